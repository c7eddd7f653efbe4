// `cutover secret set|list`: provider API keys (and later the audit signing key) sealed
// with AES-256-GCM under the master key, stored in the "secrets" domain. The master key
// comes from $CUTOVER_MASTER_KEY or --master-key-file and is never written anywhere.
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "cli/commands.hpp"
#include "cli/master_key_option.hpp"
#include "cli/secrets.hpp"
#include "cli/store_args.hpp"
#include "gateway/config.hpp"
#include "store/secrets_document.hpp"

namespace cutover::cli {
namespace {

struct SecretArgs {
  std::string store_url, name, from_env, master_key_file;
  bool from_stdin = false;
};

int run_set(const SecretArgs& a) {
  auto fail = [](const std::string& why) {
    std::cerr << "cutover secret set: " << why << "\n";
    return 1;
  };
  if (!store::valid_secret_name(a.name)) return fail("NAME must be 1-64 characters of A-Z a-z 0-9 . _ -");
  std::string value;
  if (!a.from_env.empty()) {
    const char* v = std::getenv(a.from_env.c_str());
    if (!v || !*v) return fail("environment variable " + a.from_env + " is not set");
    value = v;
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), {});
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) return fail("no value on standard input");
  }
  auto key = load_master_key(a.master_key_file);
  if (report_bad_master_key_file(key, a.master_key_file, "secret set")) return 1;
  if (!key) return fail(key.error().message());
  auto s = open_store_or_report(a.store_url, true, "secret set");
  if (!s) return 1;
  auto version = store_secret(*s, key.value(), a.name, value, "cli:secret set");
  if (!version) return fail(version.error().message());
  std::cout << "secret " << a.name << " sealed with master key " << key.value().id() << " (secrets v"
            << version.value() << ")\n";
  return 0;
}

int run_list(const SecretArgs& a) {
  auto s = open_store_or_report(a.store_url, true, "secret list");
  if (!s) return 1;
  auto current = active_secrets(*s);
  auto secrets = current ? store::parse_secrets(current.value()) : Result<std::map<std::string, std::string>>(current.error());
  if (!secrets) {
    std::cerr << "cutover secret list: " << secrets.error().message() << "\n";
    return 1;
  }
  for (const auto& [name, sealed] : secrets.value()) {
    auto second = sealed.find(':', 3);
    std::cout << name << "  master key " << sealed.substr(3, second - 3) << "\n";  // never the value
  }
  return 0;
}

}  // namespace

void add_secret_command(CLI::App& app) {
  auto args = std::make_shared<SecretArgs>();
  auto* cmd = app.add_subcommand("secret", "Secrets sealed under the master key in the shared store");
  cmd->require_subcommand(1);
  auto* set = cmd->add_subcommand("set", "Seal a value (AES-256-GCM, master key from $CUTOVER_MASTER_KEY or "
                                         "--master-key-file) and store it under NAME; providers use it with "
                                         "api_key_secret: NAME");
  set->add_option("NAME", args->name, "Secret name")->required();
  auto* env = set->add_option("--from-env", args->from_env, "Read the value from this environment variable");
  auto* in = set->add_flag("--stdin", args->from_stdin, "Read the value from standard input");
  env->excludes(in);
  add_master_key_option(*set, args->master_key_file, "the store's secrets, where the value is sealed");
  add_store_option(*set, args->store_url);
  set->callback([args, env, in] {
    if (!*env && !*in) {
      std::cerr << "cutover secret set: give --from-env VAR or --stdin\n";
      set_exit_code(2);
      return;
    }
    set_exit_code(run_set(*args));
  });
  auto* list = cmd->add_subcommand("list", "List secret names and the master key id each is sealed with");
  add_store_option(*list, args->store_url);
  list->callback([args] { set_exit_code(run_list(*args)); });
}

}  // namespace cutover::cli
