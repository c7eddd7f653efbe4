// `cutover audit keygen|checkpoint|query|export` (verify and the proofs:
// audit_verify_command.cpp). The audit log's logic lives in src/audit/; this wires it to
// the store and the terminal.
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "audit/export.hpp"
#include "audit/key_rotation.hpp"
#include "audit/log.hpp"
#include "audit/reader.hpp"
#include "cli/audit_common.hpp"
#include "cli/commands.hpp"
#include "cli/master_key_option.hpp"
#include "cli/secrets.hpp"
#include "cli/store_args.hpp"
#include "gateway/config.hpp"
#include "identity/base64.hpp"

namespace cutover::cli {
namespace {

int fail(std::string_view cmd, const std::string& why) {
  std::cerr << "cutover audit " << cmd << ": " << why << "\n";
  return 1;
}

struct KeygenArgs {
  std::string store_url, master_key_file, public_key_out;
  int retire_after_s = 60;
};

int run_keygen(const KeygenArgs& a) {
  auto key = load_master_key(a.master_key_file);
  if (report_bad_master_key_file(key, a.master_key_file, "audit keygen")) return 1;
  if (!key) return fail("keygen", key.error().message());
  auto s = open_store_or_report(a.store_url, true, "audit keygen");
  if (!s) return 1;
  auto generated = audit::Signer::generate();
  if (!generated) return fail("keygen", generated.error().message());
  auto signer = std::make_shared<const audit::Signer>(std::move(generated.value()));
  const std::int64_t now = unix_ns_now();
  // Keys in service until now keep signing for retire_after_s (gateways pick the new key
  // up from their next snapshot); signatures of theirs dated later are refused. They are
  // retired only once the new key is sealed: a failure before leaves them in service.
  auto rotation = audit::rotate_signing_key(
      s->audit(), *signer, now, now + std::int64_t{a.retire_after_s} * 1'000'000'000, [&] {
        return store_secret(*s, key.value(), gateway::kAuditSigningKeySecret,
                            identity::base64url_encode(signer->private_raw()), "cli:audit keygen");
      });
  if (!rotation) return fail("keygen", rotation.error().message());
  const std::string raw = signer->public_raw();
  const std::string pub_hex = to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  std::cout << "audit signing key " << signer->key_id() << " created and sealed with master key "
            << key.value().id() << " (secrets v" << rotation->sealed_version
            << ")\npublic key: " << pub_hex << "\n";
  for (const auto& old : rotation->retired)
    std::cout << "key " << old << " retires in " << a.retire_after_s << " s\n";
  int code = 0;
  if (!a.public_key_out.empty()) {
    std::ofstream out(a.public_key_out, std::ios::trunc);
    out << pub_hex << "\n";
    if (out) std::cout << "written to " << a.public_key_out << "\n";
    else code = fail("keygen", "the key is in service, but its public key could not be written to " +
                                   a.public_key_out + " (it is printed above)");
  }
  // Signed with the new key, never a retired one: with --retire-after 0 the old key is
  // already past its retirement, and its signature would not verify (docs/AUDIT.md "Keys").
  const auto event = audit::key_rotation_event(
      rotation.value(), "cli:audit keygen (" + user_at_host() + ")",
      "secrets=" + std::to_string(rotation->sealed_version));
  if (!record_control(*s, event, "audit keygen", audit::SignerRef{signer, ""})) code = 1;
  return code;
}

int run_checkpoint(const std::string& url, const std::string& master_key_file) {
  auto master = load_master_key(master_key_file);
  if (report_bad_master_key_file(master, master_key_file, "audit checkpoint")) return 1;
  auto s = open_store_or_report(url, true, "audit checkpoint");
  if (!s) return 1;
  auto key = load_audit_signer(*s, master);
  if (!key.signer) return fail("checkpoint", key.problem);
  auto made = audit::checkpoint_if_due(s->audit(), *key.signer, 1, std::chrono::milliseconds(0),
                                       unix_ns_now());
  if (!made) return fail("checkpoint", made.error().message());
  auto cps = s->audit().checkpoints();
  if (!cps) return fail("checkpoint", cps.error().message());
  if (cps->empty()) return fail("checkpoint", "the audit log is empty: nothing to checkpoint");
  std::cout << (made.value() ? "signed " : "unchanged since ") << "checkpoint of size "
            << cps->back().size << "\n"
            << cps->back().note;
  return 0;
}

struct QueryArgs {
  std::string store_url, since, until, color, request_id, format = "jsonl";
  std::int64_t limit = 1000;
};

std::string format_time(std::int64_t unix_ns) {
  std::time_t t = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(unix_ns / 1'000'000 % 1000));
  return buf;
}

int run_query(const QueryArgs& a) {
  store::AuditQuery q;
  if (!a.since.empty()) {
    auto t = parse_time_arg(a.since);
    if (!t) return fail("query", "--since: " + t.error().message());
    q.since_unix_ns = t.value();
  }
  if (!a.until.empty()) {
    auto t = parse_time_arg(a.until);
    if (!t) return fail("query", "--until: " + t.error().message());
    q.until_unix_ns = t.value();
  }
  if (a.format != "jsonl" && a.format != "table") return fail("query", "--format must be jsonl or table");
  q.color = a.color;
  q.request_id = a.request_id;
  auto s = open_store_or_report(a.store_url, false, "audit query");
  if (!s) return 1;
  if (a.format == "table")
    std::printf("%-8s %-24s %-6s %-8s %-32s %-16s %-16s %-6s %-14s %s\n", "SEQ", "TIME (UTC)", "COLOR",
                "KIND", "REQUEST ID", "SUBJECT", "ROUTE", "STATUS", "DECISION", "LATENCY_US");
  std::int64_t shown = 0;
  while (shown < a.limit) {
    q.limit = std::min<std::int64_t>(1000, a.limit - shown);
    auto rows = s->audit().entries(q);
    if (!rows) return fail("query", rows.error().message());
    for (const auto& r : rows.value()) {
      if (a.format == "jsonl") {
        std::cout << audit::entry_line(r) << "\n";
      } else {
        auto e = audit::from_row(r);
        if (!e) return fail("query", e.error().message());
        std::printf("%-8lld %-24s %-6s %-8s %-32s %-16s %-16s %-6lld %-14s %lld\n",
                    static_cast<long long>(e->seq), format_time(e->time_unix_ns).c_str(), e->color.c_str(),
                    e->kind.c_str(), e->request_id.c_str(), e->subject.substr(0, 16).c_str(),
                    e->route.substr(0, 16).c_str(), static_cast<long long>(e->http_status),
                    e->decision.substr(0, 14).c_str(), static_cast<long long>(e->latency_us));
      }
    }
    shown += static_cast<std::int64_t>(rows->size());
    if (rows->size() < static_cast<std::size_t>(q.limit)) break;
    q.from_seq = rows->back().seq + 1;
  }
  return 0;
}

struct ExportArgs {
  std::string store_url, output;
  std::int64_t from = 1, to = INT64_MAX;
};

int run_export(const ExportArgs& a) {
  auto s = open_store_or_report(a.store_url, false, "audit export");
  if (!s) return 1;
  std::ofstream file;
  if (!a.output.empty()) {
    file.open(a.output, std::ios::trunc);
    if (!file) return fail("export", "cannot write " + a.output);
  }
  std::ostream& out = a.output.empty() ? std::cout : file;
  auto written = audit::write_export(s->audit(), a.from, a.to, out);
  if (!written) return fail("export", written.error().message());
  out.flush();
  if (!out) return fail("export", "write failed");
  if (!a.output.empty())
    std::cerr << "exported " << written.value() << " entries to " << a.output << "\n";
  return 0;
}

}  // namespace

void add_audit_verify_commands(CLI::App& audit);

void add_audit_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("audit", "The signed, hash-chained audit log: keys, verification, "
                                          "queries, export, checkpoints and proofs (docs/AUDIT.md)");
  cmd->require_subcommand(1);

  auto keygen = std::make_shared<KeygenArgs>();
  auto* kg = cmd->add_subcommand(
      "keygen", "Create a new Ed25519 audit signing key, seal it into the store's secrets "
                "(master key from $CUTOVER_MASTER_KEY or --master-key-file) and record its public "
                "key; the previous key is retired after --retire-after seconds. The rotation is "
                "recorded as an audit.keygen control entry signed with the new key");
  add_store_option(*kg, keygen->store_url);
  add_master_key_option(*kg, keygen->master_key_file,
                        "the store's secrets, where the new key is sealed");
  kg->add_option("--public-key-out", keygen->public_key_out, "Also write the public key (hex) to this file");
  kg->add_option("--retire-after", keygen->retire_after_s,
                 "Seconds the previous key may still sign (gateways switch on their next snapshot)")
      ->check(CLI::Range(0, 86'400));
  kg->callback([keygen] { set_exit_code(run_keygen(*keygen)); });

  struct CheckpointArgs {
    std::string store_url, master_key_file;
  };
  auto cpa = std::make_shared<CheckpointArgs>();
  auto* cp = cmd->add_subcommand("checkpoint", "Sign a checkpoint of the whole log now (gateways also do "
                                               "every audit.checkpoint_every entries or _interval_ms)");
  add_store_option(*cp, cpa->store_url);
  add_master_key_option(*cp, cpa->master_key_file,
                        "the store's audit signing key, which signs the checkpoint");
  cp->callback([cpa] { set_exit_code(run_checkpoint(cpa->store_url, cpa->master_key_file)); });

  auto query = std::make_shared<QueryArgs>();
  auto* q = cmd->add_subcommand("query", "Entries of every color, interleaved in sequence order");
  add_store_option(*q, query->store_url);
  q->add_option("--since", query->since, "From this time: RFC 3339 (2026-11-25T13:00:00Z), unix seconds, or an age (90s, 15m, 2h, 7d)");
  q->add_option("--until", query->until, "Before this time (same forms)");
  q->add_option("--color", query->color, "Only entries written by this environment");
  q->add_option("--request-id", query->request_id, "Only the entries of this request id");
  q->add_option("--format", query->format, "jsonl (the export's entry lines) or table");
  q->add_option("--limit", query->limit, "At most this many entries")->check(CLI::Range(1, 100'000'000));
  q->callback([query] { set_exit_code(run_query(*query)); });

  auto exp = std::make_shared<ExportArgs>();
  auto* ex = cmd->add_subcommand("export", "Write the log as JSON Lines for archival; `audit verify --input` "
                                           "checks such a file without the store");
  add_store_option(*ex, exp->store_url);
  ex->add_option("--from", exp->from, "First seq")->check(CLI::Range(std::int64_t{1}, INT64_MAX));
  ex->add_option("--to", exp->to, "Last seq");
  ex->add_option("-o,--output", exp->output, "File to write (default: standard output)");
  ex->callback([exp] { set_exit_code(run_export(*exp)); });

  add_audit_verify_commands(*cmd);
}

}  // namespace cutover::cli
