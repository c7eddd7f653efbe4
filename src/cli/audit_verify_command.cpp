// `cutover audit verify|prove|consistency|check-proof`: checking the log, and Merkle
// proofs that anyone holding the public key can check offline.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"
#include "audit/note.hpp"
#include "audit/reader.hpp"
#include "cli/commands.hpp"
#include "cli/store_args.hpp"
#include "identity/base64.hpp"

namespace cutover::cli {
namespace {

int fail(std::string_view cmd, const std::string& why) {
  std::cerr << "cutover audit " << cmd << ": " << why << "\n";
  return 1;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kInvalidRequest, "cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A public key file: 64 hex characters, base64 of 32 bytes, or a note verifier key
// ("name+hash+base64").
Result<std::string> public_key_from(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  std::string t = text.value();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  Sha256 hex;
  if (parse_sha256_hex(t, hex)) return std::string(reinterpret_cast<const char*>(hex.data()), 32);
  if (auto vk = audit::parse_vkey(t)) return vk->public_raw32;
  std::string raw;
  if (identity::base64_decode_lenient(t, raw) && raw.size() == 32) return raw;
  return Error(ErrorCode::kInvalidRequest,
               path + ": not an Ed25519 public key (64 hex, base64 of 32 bytes, or a vkey)");
}

struct VerifyArgs {
  std::string store_url, input;
  std::int64_t from = 1, to = INT64_MAX;
  std::vector<std::string> public_keys, checkpoints;
};

int run_verify(const VerifyArgs& a) {
  std::vector<std::string> trusted;
  for (const auto& path : a.checkpoints) {
    auto note = read_file(path);
    if (!note) return fail("verify", note.error().message());
    trusted.push_back(std::move(note.value()));
  }
  // Trust comes from --public-key; keys read from the log only prove it is self-consistent.
  std::optional<audit::Keyring> given;
  if (!a.public_keys.empty()) {
    given.emplace();
    for (const auto& path : a.public_keys) {
      auto raw = public_key_from(path);
      if (!raw) return fail("verify", raw.error().message());
      if (Status s = given->add(raw.value()); !s) return fail("verify", path + ": " + s.error().message());
    }
  }
  Result<audit::VerifyReport> report = Error(ErrorCode::kInternal, "not run");
  std::string source;
  if (!a.input.empty()) {
    std::ifstream in(a.input);
    if (!in) return fail("verify", "cannot read " + a.input);
    report = audit::verify_export(in, given ? &*given : nullptr, trusted);
    source = a.input;
  } else {
    auto s = open_store_or_report(a.store_url, false, "audit verify");
    if (!s) return 1;
    audit::Keyring from_store;
    auto rows = s->audit().keys();
    if (!rows) return fail("verify", rows.error().message());
    if (!given) {
      auto ring = audit::keyring_of(rows.value());
      if (!ring) return fail("verify", ring.error().message());
      from_store = std::move(ring.value());
    } else {
      // The given keys, with the retirement times the log recorded for them.
      for (const auto& k : rows.value()) {
        Sha256 raw;
        if (!given->knows(k.key_id) || !k.retired_unix_ns || !parse_sha256_hex(k.public_key, raw)) continue;
        (void)given->add(std::string(reinterpret_cast<const char*>(raw.data()), 32), k.retired_unix_ns);
      }
    }
    report = audit::verify_store(s->audit(), given ? *given : from_store, a.from, a.to, trusted);
    source = s->display_url();
  }
  if (!report) return fail("verify", report.error().message());
  const auto& r = report.value();
  if (!r.verdict.ok) {
    std::cerr << "cutover audit verify: FAILED at seq " << r.verdict.first_bad_seq << ": " << r.verdict.what
              << "\n";
    return 1;
  }
  std::cout << "ok: " << r.verdict.entries << " entries";
  if (r.verdict.entries) std::cout << " (seq " << r.first_seq << ".." << r.last_seq << ")";
  std::cout << ", " << r.heads << " signed heads, " << r.checkpoints << " checkpoints";
  if (r.checkpoints) std::cout << " (latest size " << r.latest_checkpoint << ")";
  std::cout << ", " << r.keys << (r.keys == 1 ? " key" : " keys")
            << (given ? " (--public-key)" : " (read from the log: use --public-key for independent trust)")
            << ", " << source << "\n";
  return 0;
}

std::string hex_list(const std::vector<Sha256>& proof) {
  std::string out = "[";
  for (std::size_t i = 0; i < proof.size(); ++i) out += (i ? ",\"" : "\"") + to_hex(proof[i]) + "\"";
  return out + "]";
}

Result<std::vector<Sha256>> leaves(store::AuditStore& store, std::int64_t size) {
  auto hashes = store.hashes(1, size);
  if (!hashes) return hashes.error();
  if (static_cast<std::int64_t>(hashes->size()) != size)
    return Error(ErrorCode::kInternal, "the log has fewer than " + std::to_string(size) + " entries");
  std::vector<Sha256> out(hashes->size());
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!parse_sha256_hex((*hashes)[i], out[i])) return Error(ErrorCode::kInternal, "a stored hash is malformed");
  return out;
}

Result<store::CheckpointRow> checkpoint_of_size(store::AuditStore& store, std::int64_t size, std::int64_t at_least) {
  auto cps = store.checkpoints();
  if (!cps) return cps.error();
  for (auto it = cps->rbegin(); it != cps->rend(); ++it)
    if (size ? it->size == size : it->size >= at_least) return *it;
  if (size) return Error(ErrorCode::kNotFound, "no checkpoint of size " + std::to_string(size));
  return Error(ErrorCode::kNotFound, "no checkpoint covers seq " + std::to_string(at_least) +
                                         " yet: wait for the next, or run `cutover audit checkpoint`");
}

int run_prove(const std::string& url, std::int64_t seq, std::int64_t size) {
  auto s = open_store_or_report(url, false, "audit prove");
  if (!s) return 1;
  auto cp = checkpoint_of_size(s->audit(), size, seq);
  if (!cp) return fail("prove", cp.error().message());
  if (seq > cp->size) return fail("prove", "seq " + std::to_string(seq) + " is not in the checkpoint of size " + std::to_string(cp->size));
  auto l = leaves(s->audit(), cp->size);
  if (!l) return fail("prove", l.error().message());
  auto proof = audit::inclusion_proof(l.value(), static_cast<std::uint64_t>(seq - 1));
  if (!proof) return fail("prove", proof.error().message());
  boost::json::object o{{"type", "inclusion"},
                        {"seq", seq},
                        {"leaf_index", seq - 1},
                        {"entry_hash", to_hex((*l)[static_cast<std::size_t>(seq - 1)])},
                        {"tree_size", cp->size},
                        {"checkpoint", cp->note}};
  std::cout << boost::json::serialize(o).insert(1, "\"proof\":" + hex_list(proof.value()) + ",") << "\n";
  return 0;
}

int run_consistency(const std::string& url, std::int64_t old_size, std::int64_t new_size) {
  auto s = open_store_or_report(url, false, "audit consistency");
  if (!s) return 1;
  if (old_size > new_size) return fail("consistency", "OLD must not be larger than NEW");
  auto old_cp = checkpoint_of_size(s->audit(), old_size, 0);
  if (!old_cp) return fail("consistency", old_cp.error().message());
  auto new_cp = checkpoint_of_size(s->audit(), new_size, 0);
  if (!new_cp) return fail("consistency", new_cp.error().message());
  auto l = leaves(s->audit(), new_size);
  if (!l) return fail("consistency", l.error().message());
  auto proof = audit::consistency_proof(l.value(), static_cast<std::uint64_t>(old_size));
  if (!proof) return fail("consistency", proof.error().message());
  boost::json::object o{{"type", "consistency"},
                        {"old_checkpoint", old_cp->note},
                        {"new_checkpoint", new_cp->note}};
  std::cout << boost::json::serialize(o).insert(1, "\"proof\":" + hex_list(proof.value()) + ",") << "\n";
  return 0;
}

// Offline: a proof file from prove/consistency and the public key(s); no store.
int run_check_proof(const std::string& path, const std::vector<std::string>& key_files) {
  auto text = read_file(path);
  if (!text) return fail("check-proof", text.error().message());
  boost::json::error_code ec;
  auto v = boost::json::parse(text.value(), ec);
  if (ec || !v.is_object()) return fail("check-proof", path + " is not a JSON proof");
  const auto& o = v.as_object();
  std::vector<std::string> pubs;
  for (const auto& f : key_files) {
    auto raw = public_key_from(f);
    if (!raw) return fail("check-proof", raw.error().message());
    pubs.push_back(raw.value());
  }
  auto open = [&](std::string_view field) -> Result<audit::Checkpoint> {
    const auto* note = o.if_contains(field);
    if (!note || !note->is_string()) return Error(ErrorCode::kInvalidRequest, std::string(field) + " is missing");
    std::string_view n = note->as_string();
    auto blank = n.find("\n\n");
    auto body = audit::parse_body(n.substr(0, blank == std::string_view::npos ? 0 : blank + 1));
    if (!body) return body.error();
    std::vector<audit::NoteVerifier> known;
    for (const auto& p : pubs) known.push_back({body->origin, p});
    return audit::open_checkpoint(n, known);
  };
  std::vector<Sha256> proof;
  const auto* list = o.if_contains("proof");
  if (!list || !list->is_array()) return fail("check-proof", "proof is missing");
  for (const auto& h : list->as_array()) {
    Sha256 d;
    if (!h.is_string() || !parse_sha256_hex(h.as_string(), d)) return fail("check-proof", "a proof hash is not 64 hex");
    proof.push_back(d);
  }
  const auto* type = o.if_contains("type");
  if (type && type->is_string() && type->as_string() == "inclusion") {
    auto cp = open("checkpoint");
    if (!cp) return fail("check-proof", cp.error().message());
    Sha256 entry;
    const auto* eh = o.if_contains("entry_hash");
    const auto* idx = o.if_contains("leaf_index");
    if (!eh || !eh->is_string() || !parse_sha256_hex(eh->as_string(), entry) || !idx || !idx->is_int64())
      return fail("check-proof", "entry_hash and leaf_index are required");
    if (Status st = audit::verify_inclusion(static_cast<std::uint64_t>(idx->as_int64()),
                                            static_cast<std::uint64_t>(cp->size), entry, proof, cp->root);
        !st)
      return fail("check-proof", st.error().message());
    std::cout << "ok: entry " << to_hex(entry) << " is leaf " << idx->as_int64() << " of the signed tree of size "
              << cp->size << " (" << cp->origin << ")\n";
    return 0;
  }
  if (type && type->is_string() && type->as_string() == "consistency") {
    auto older = open("old_checkpoint");
    if (!older) return fail("check-proof", "old_checkpoint: " + older.error().message());
    auto newer = open("new_checkpoint");
    if (!newer) return fail("check-proof", "new_checkpoint: " + newer.error().message());
    if (Status st = audit::check_consistent(older.value(), newer.value(), proof); !st)
      return fail("check-proof", st.error().message());
    std::cout << "ok: the tree of size " << newer->size << " extends the tree of size " << older->size << " ("
              << newer->origin << ")\n";
    return 0;
  }
  return fail("check-proof", "type must be inclusion or consistency");
}

}  // namespace

void add_audit_verify_commands(CLI::App& cmd) {
  auto va = std::make_shared<VerifyArgs>();
  auto* v = cmd.add_subcommand(
      "verify", "Check the log: schema, hashes, links, sequence continuity, signatures (entries and "
                "signed heads), key retirement and checkpoints (a truncated tail is caught). Exit 0 "
                "with a one-line summary, else 1 naming the first bad seq and what is wrong");
  add_store_option(*v, va->store_url);
  v->add_option("--input", va->input, "Verify this export (JSON Lines) instead of the store");
  v->add_option("--from", va->from, "First seq")->check(CLI::Range(std::int64_t{1}, INT64_MAX));
  v->add_option("--to", va->to, "Last seq");
  v->add_option("--public-key", va->public_keys,
                "Trusted public key file (hex, base64 or vkey); repeat for rotated keys. Without it the "
                "log's own key table is used");
  v->add_option("--checkpoint", va->checkpoints,
                "A checkpoint kept from earlier: the log must contain its tree and not offer an older "
                "latest checkpoint");
  v->callback([va] { set_exit_code(run_verify(*va)); });

  struct ProveArgs {
    std::string url;
    std::int64_t seq = 0, size = 0, old_size = 0, new_size = 0;
    std::string file;
    std::vector<std::string> keys;
  };
  auto pa = std::make_shared<ProveArgs>();
  auto* p = cmd.add_subcommand("prove", "Print an inclusion proof (JSON) of entry SEQ against a signed checkpoint");
  add_store_option(*p, pa->url);
  p->add_option("SEQ", pa->seq, "The entry")->required()->check(CLI::Range(std::int64_t{1}, INT64_MAX));
  p->add_option("--size", pa->size, "Against the checkpoint of this size (default: the latest)");
  p->callback([pa] { set_exit_code(run_prove(pa->url, pa->seq, pa->size)); });

  auto* c = cmd.add_subcommand("consistency", "Print a consistency proof (JSON) between the checkpoints of sizes OLD and NEW");
  add_store_option(*c, pa->url);
  c->add_option("OLD", pa->old_size, "Size of the older checkpoint")->required();
  c->add_option("NEW", pa->new_size, "Size of the newer checkpoint")->required();
  c->callback([pa] { set_exit_code(run_consistency(pa->url, pa->old_size, pa->new_size)); });

  auto* k = cmd.add_subcommand("check-proof", "Check a proof file from prove or consistency offline, with the public key");
  k->add_option("FILE", pa->file, "The proof (JSON)")->required();
  k->add_option("--public-key", pa->keys, "Public key file (hex, base64 or vkey)")->required();
  k->callback([pa] { set_exit_code(run_check_proof(pa->file, pa->keys)); });
}

}  // namespace cutover::cli
