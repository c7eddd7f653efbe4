// `cutover store migrate|status`: the schema of the shared store (docs/STORE.md).
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/store_args.hpp"

namespace cutover::cli {

void add_store_option(CLI::App& cmd, std::string& url) {
  const char* env = std::getenv("CUTOVER_STORE");
  url = env && *env ? env : store::default_store_url();
  cmd.add_option("--store", url,
                 "Store URL: sqlite:///path.db, sqlite://relative.db or "
                 "postgres://user:pw@host:port/db (default: $CUTOVER_STORE, else "
                 "sqlite://cutover.db)");
}

std::unique_ptr<store::Store> open_store_or_report(const std::string& url, bool migrate,
                                                   std::string_view command) {
  auto s = store::open_store(url);
  if (!s.ok()) {
    std::cerr << "cutover " << command << ": " << s.error().message() << "\n";
    return nullptr;
  }
  if (migrate) {
    if (Status m = s.value()->migrate(); !m.ok()) {
      std::cerr << "cutover " << command << ": " << m.error().message() << "\n";
      return nullptr;
    }
  }
  return std::move(s.value());
}

namespace {

int run_migrate(const std::string& url) {
  auto s = open_store_or_report(url, true, "store migrate");
  if (!s) return 1;
  auto v = s->schema_version();
  if (!v.ok()) {
    std::cerr << "cutover store migrate: " << v.error().message() << "\n";
    return 1;
  }
  std::cout << "schema at version " << *v << "\n";
  return 0;
}

int run_status(const std::string& url) {
  auto s = open_store_or_report(url, false, "store status");
  if (!s) return 1;
  auto v = s->schema_version();
  if (!v.ok()) {
    std::cerr << "cutover store status: " << v.error().message() << "\n";
    return 1;
  }
  const int known = store::Store::known_schema_version();
  std::cout << "store:          " << s->display_url() << "\n"
            << "backend:        " << s->backend() << "\n"
            << "schema version: " << *v << " (this binary knows " << known << ")\n";
  if (*v > 0) {
    auto min = s->min_reader_version();
    if (!min.ok()) {
      std::cerr << "cutover store status: " << min.error().message() << "\n";
      return 1;
    }
    std::cout << "min reader:     " << *min
              << (*min > known ? " (this binary is too old for this store)" : "") << "\n";
  }
  if (*v < known) std::cout << "pending:        run `cutover store migrate` (or start a gateway)\n";
  return 0;
}

}  // namespace

void add_store_command(CLI::App& app) {
  auto* store = app.add_subcommand("store", "Schema of the shared store (SQLite or PostgreSQL)");
  store->require_subcommand(1);
  store->footer("The schema only expands during a release; see docs/STORE.md.");

  auto url = std::make_shared<std::string>();
  auto* migrate = store->add_subcommand(
      "migrate", "Apply the schema migrations this binary knows; prints \"schema at version N\"");
  add_store_option(*migrate, *url);
  migrate->callback([url] { set_exit_code(run_migrate(*url)); });

  auto status_url = std::make_shared<std::string>();
  auto* status = store->add_subcommand(
      "status", "Show the backend, the URL (password hidden) and the schema versions");
  add_store_option(*status, *status_url);
  status->callback([status_url] { set_exit_code(run_status(*status_url)); });
}

}  // namespace cutover::cli
