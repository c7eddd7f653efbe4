// `cutover state apply|show|diff|history|rollback`: the shared state (docs/STATE.md).
// Arguments and printing only; the work is in store/state_file, store/state_admin and
// gateway/state_check.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/audit_common.hpp"
#include "cli/commands.hpp"
#include "cli/master_key_option.hpp"
#include "cli/store_args.hpp"
#include "core/hash.hpp"
#include "gateway/state_check.hpp"
#include "store/canonical_json.hpp"
#include "store/line_diff.hpp"
#include "store/state_admin.hpp"
#include "store/state_file.hpp"

namespace cutover::cli {
namespace {

struct StateArgs {
  std::string store_url;
  std::string file;
  std::string author;
  std::string comment;
  bool dry_run = false;
  std::string domain;
  std::int64_t to = 0;
  std::string master_key_file;
};

void fail(std::string_view command, std::string_view message) {
  std::cerr << "cutover state " << command << ": " << message << "\n";
}

void fail_with_problems(std::string_view command, std::string_view header,
                        const std::vector<std::string>& problems) {
  fail(command, header);
  for (const auto& p : problems) std::cerr << "  " << p << "\n";
}


std::string utc_time(std::int64_t unix_ns) {
  std::time_t t = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string short_sha(std::string_view hex, std::size_t n) { return std::string(hex.substr(0, n)); }

// The document as people read it, with anything named like a secret hidden.
std::string display_document(const std::string& document) {
  try {
    return store::pretty_json(store::redact_secrets(store::parse_json(document)));
  } catch (const std::invalid_argument& e) {
    return std::string("(not shown: the stored document is ") + e.what() + ")";
  }
}

// Reads and parses a state file; prints the problems and returns nullopt when it is bad.
std::optional<store::DomainDocuments> load_file(std::string_view command, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fail(command, "cannot read state file " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return store::parse_state_file(text.str(), store::process_env());
  } catch (const store::StateFileError& e) {
    fail_with_problems(command, path + " refused, nothing was written:", e.problems());
    return std::nullopt;
  }
}

store::StateAdmin admin_of(store::Store& s) {
  return store::StateAdmin(s.state(), gateway::check_state_documents);
}

// Pads every column but the last to its widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

// "access=3,identity=2,...": what is in force now, for the control entry.
std::string versions_in_force(store::Store& s) {
  auto active = s.state().active();
  if (!active) return "";
  std::string out;
  for (const auto& v : active.value()) {
    if (v.domain == "secrets") continue;
    if (!out.empty()) out += ',';
    out += v.domain + "=" + std::to_string(v.version);
  }
  return out;
}

int run_apply(const StateArgs& a) {
  auto file = load_file("apply", a.file);
  if (!file) return 1;
  auto master = load_master_key(a.master_key_file);
  if (report_bad_master_key_file(master, a.master_key_file, "state apply")) return 1;
  auto s = open_store_or_report(a.store_url, true, "state apply");
  if (!s) return 1;
  auto admin = admin_of(*s);
  auto out =
      admin.apply(*file, a.dry_run, a.author.empty() ? default_author() : a.author, a.comment);
  if (!out.ok()) return fail("apply", out.error().message()), 1;
  if (!out->problems.empty()) {
    fail_with_problems("apply",
                       a.file +
                           " refused: the resulting state would not load on a gateway; "
                           "nothing was written:",
                       out->problems);
    return 1;
  }
  for (const auto& c : out->changes) {
    std::string sha = to_hex(sha256(c.document)).substr(0, 8) + "\u2026";
    if (c.kind == store::ChangeKind::kUnchanged) {
      std::cout << c.domain << ": unchanged (v" << c.active_version << ")\n";
    } else if (a.dry_run) {
      std::cout << c.domain << ": would be "
                << (c.kind == store::ChangeKind::kNew
                        ? "created"
                        : "changed from v" + std::to_string(c.active_version))
                << " (sha256 " << sha << ")\n";
    } else {
      auto v = std::find_if(out->created.begin(), out->created.end(),
                            [&](const store::StateVersion& v) { return v.domain == c.domain; });
      // Someone applied the same document in between: the store created nothing.
      if (v == out->created.end())
        std::cout << c.domain << ": unchanged (already active)\n";
      else
        std::cout << c.domain << ": v" << v->version << " (sha256 " << short_sha(v->sha256, 8)
                  << "\u2026)\n";
    }
  }
  if (a.dry_run) {
    std::cout << "dry run: nothing was written\n";
    return 0;
  }
  if (!out->created.empty()) {
    std::string detail;
    for (const auto& v : out->created)
      detail += (detail.empty() ? "" : ", ") + v.domain + " v" + std::to_string(v.version) + " sha256 " +
                short_sha(v.sha256, 16);
    if (!record_control(*s, {"state.apply", detail, a.author.empty() ? default_author() : a.author,
                             versions_in_force(*s), ""},
                        "state apply", master))
      return 1;
  }
  return 0;
}

int run_show(const StateArgs& a) {
  auto s = open_store_or_report(a.store_url, true, "state show");
  if (!s) return 1;
  auto active = s->state().active();
  if (!active.ok()) return fail("show", active.error().message()), 1;
  if (a.domain.empty()) {
    if (active->empty()) {
      std::cout << "no state in " << s->display_url()
                << " yet: apply a state file with `cutover state apply -f FILE`\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"DOMAIN", "VERSION", "SHA256", "AUTHOR", "APPLIED (UTC)"}};
    for (const auto& v : *active)
      rows.push_back({v.domain, "v" + std::to_string(v.version), short_sha(v.sha256, 16), v.author,
                      utc_time(v.created_unix_ns)});
    print_table(rows);
    return 0;
  }
  auto v = std::find_if(active->begin(), active->end(),
                        [&](const store::StateVersion& v) { return v.domain == a.domain; });
  if (v == active->end()) {
    std::string known;
    for (const auto& x : *active) known += (known.empty() ? "" : ", ") + x.domain;
    fail("show",
         "domain '" + a.domain + "' has no active version in " + s->display_url() +
             (known.empty() ? " (the store holds no state yet)" : " (active: " + known + ")"));
    return 1;
  }
  std::cout << "domain:  " << v->domain << "\n"
            << "version: v" << v->version << " (active)\n"
            << "sha256:  " << v->sha256 << "\n"
            << "author:  " << v->author << "\n"
            << "applied: " << utc_time(v->created_unix_ns) << "\n";
  if (!v->comment.empty()) std::cout << "comment: " << v->comment << "\n";
  std::cout << "\n" << display_document(v->document) << "\n";
  return 0;
}

int run_diff(const StateArgs& a) {
  auto file = load_file("diff", a.file);
  if (!file) return 1;
  auto s = open_store_or_report(a.store_url, true, "state diff");
  if (!s) return 1;
  auto admin = admin_of(*s);
  auto out = admin.apply(*file, /*dry_run=*/true, "", "");
  if (!out.ok()) return fail("diff", out.error().message()), 1;
  for (const auto& c : out->changes) {
    if (c.kind == store::ChangeKind::kUnchanged) {
      std::cout << c.domain << ": unchanged (v" << c.active_version << ")\n";
      continue;
    }
    std::string before =
        c.kind == store::ChangeKind::kNew ? "" : display_document(c.active_document);
    std::cout << c.domain << ": "
              << (c.kind == store::ChangeKind::kNew
                      ? "new"
                      : "changed (active v" + std::to_string(c.active_version) + ")")
              << "\n"
              << store::format_diff(store::line_diff(before, display_document(c.document)));
  }
  if (!out->any_change()) std::cout << "no changes\n";
  if (!out->problems.empty()) {
    fail_with_problems("diff", a.file + " would be refused by apply:", out->problems);
    return 1;
  }
  return 0;
}

int run_history(const StateArgs& a) {
  auto s = open_store_or_report(a.store_url, true, "state history");
  if (!s) return 1;
  auto versions = s->state().history(a.domain);
  if (!versions.ok()) return fail("history", versions.error().message()), 1;
  if (versions->empty()) {
    fail("history", "domain '" + a.domain + "' has no versions in " + s->display_url());
    return 1;
  }
  auto active = s->state().active();
  if (!active.ok()) return fail("history", active.error().message()), 1;
  std::int64_t current = 0;
  for (const auto& v : *active)
    if (v.domain == a.domain) current = v.version;
  std::cout << a.domain << ": " << versions->size() << " version"
            << (versions->size() == 1 ? "" : "s") << ", oldest first (* = active)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *versions)
    rows.push_back({v.version == current ? "*" : " ", "v" + std::to_string(v.version),
                    short_sha(v.sha256, 16), v.author, utc_time(v.created_unix_ns), v.comment});
  print_table(rows);
  return 0;
}

int run_rollback(const StateArgs& a, bool has_to) {
  auto master = load_master_key(a.master_key_file);
  if (report_bad_master_key_file(master, a.master_key_file, "state rollback")) return 1;
  auto s = open_store_or_report(a.store_url, true, "state rollback");
  if (!s) return 1;
  auto admin = admin_of(*s);
  std::optional<std::int64_t> to;
  if (has_to) to = a.to;
  auto out = admin.rollback(a.domain, to, a.author.empty() ? default_author() : a.author);
  if (!out.ok()) return fail("rollback", out.error().message()), 1;
  if (!out->problems.empty()) {
    fail_with_problems("rollback",
                       "refused: with that version of '" + a.domain +
                           "' the state would not load on a gateway; nothing changed:",
                       out->problems);
    return 1;
  }
  if (out->active.version == out->from_version)
    std::cout << a.domain << ": v" << out->active.version << " is already active\n";
  else {
    std::cout << a.domain << ": v" << out->active.version << " active (was v" << out->from_version
              << "; sha256 " << short_sha(out->active.sha256, 8) << "\u2026)\n";
    if (!record_control(*s, {"state.rollback",
                             a.domain + " v" + std::to_string(out->from_version) + " -> v" +
                                 std::to_string(out->active.version),
                             a.author.empty() ? default_author() : a.author, versions_in_force(*s), ""},
                        "state rollback", master))
      return 1;
  }
  return 0;
}

constexpr const char* kFormatHelp =
    "State file (YAML; docs/STATE.md): top-level keys providers + routes (domain 'routes'),\n"
    "api_keys (domain 'identity'), access, limits. Only the domains in the file change.\n"
    "Secrets are never stored: api_keys[].key / key_env become key_sha256; providers name\n"
    "their key with api_key_env (set on every gateway host), a literal api_key is refused.";

}  // namespace

void add_state_command(CLI::App& app) {
  auto* state = app.add_subcommand(
      "state", "Versioned shared state: routes, identity, access, limits (docs/STATE.md)");
  state->require_subcommand(1);
  state->footer(kFormatHelp);

  auto a = std::make_shared<StateArgs>();

  auto* apply = state->add_subcommand(
      "apply",
      "Make the file's domains the active state: checked whole, written in one "
      "transaction; only changed domains get a new version");
  add_store_option(*apply, a->store_url);
  apply->add_option("-f,--file", a->file, "State file (YAML)")->required();
  apply->add_option("--author", a->author,
                    "Recorded with the new versions (default: cli:USER@HOST)");
  apply->add_option("--comment", a->comment, "Recorded with the new versions");
  apply->add_flag("--dry-run", a->dry_run, "Check and print what would change; write nothing");
  add_master_key_option(*apply, a->master_key_file, kOpensTheControlEntryKey);
  apply->footer(kFormatHelp);
  apply->callback([a] { set_exit_code(run_apply(*a)); });

  auto* show = state->add_subcommand(
      "show", "Active version of every domain; with DOMAIN, also its document");
  add_store_option(*show, a->store_url);
  show->add_option("domain", a->domain, "access, identity, limits, routes, ...");
  show->callback([a] { set_exit_code(run_show(*a)); });

  auto* diff = state->add_subcommand(
      "diff",
      "Per domain of the file: unchanged, new or changed, with a line diff of the "
      "canonical documents (\"no changes\" when none; exit 0 unless it fails or the "
      "file would be refused)");
  add_store_option(*diff, a->store_url);
  diff->add_option("-f,--file", a->file, "State file (YAML)")->required();
  diff->footer(kFormatHelp);
  diff->callback([a] { set_exit_code(run_diff(*a)); });

  auto* history = state->add_subcommand("history", "Every version of DOMAIN, oldest first");
  add_store_option(*history, a->store_url);
  history->add_option("domain", a->domain, "access, identity, limits, routes, ...")->required();
  history->callback([a] { set_exit_code(run_history(*a)); });

  auto* rollback = state->add_subcommand(
      "rollback",
      "Make an earlier version of DOMAIN active again (checked first; versions are "
      "never deleted)");
  add_store_option(*rollback, a->store_url);
  rollback->add_option("domain", a->domain, "The domain to roll back")->required();
  auto* to = rollback
                 ->add_option("--to", a->to,
                              "Version to activate (default: the one before the active one)")
                 ->check(CLI::PositiveNumber);
  rollback->add_option("--author", a->author, "Recorded with the change (default: cli:USER@HOST)");
  add_master_key_option(*rollback, a->master_key_file, kOpensTheControlEntryKey);
  rollback->callback([a, to] { set_exit_code(run_rollback(*a, to->count() > 0)); });
}

}  // namespace cutover::cli
