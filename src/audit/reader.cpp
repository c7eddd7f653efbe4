#include "audit/reader.hpp"

#include <algorithm>
#include <istream>
#include <ostream>

#include "audit/export.hpp"
#include "audit/log.hpp"
#include "audit/verifier.hpp"

namespace cutover::audit {
namespace {

constexpr std::int64_t kPage = 5000;

Error unreadable(const std::string& what) { return Error(ErrorCode::kInvalidRequest, what); }

// Where a range that starts at `from` continues from: entry from-1's hash and the Merkle
// frontier of entries 1..from-1.
Status anchor(store::AuditStore& store, std::int64_t from, Sha256& prev, CompactRange& frontier) {
  prev = Sha256{};
  if (from <= 1) return {};
  auto hashes = store.hashes(1, from - 1);
  if (!hashes) return hashes.error();
  if (static_cast<std::int64_t>(hashes->size()) != from - 1)
    return unreadable("entries before seq " + std::to_string(from) + " are missing");
  for (const std::string& hex : hashes.value()) {
    if (!parse_sha256_hex(hex, prev)) return unreadable("a stored entry hash is malformed");
    if (Status s = frontier.append(prev); !s) return s;
  }
  return {};
}

// The seq the read must reach so that the entries up to `to` are covered by a head.
Result<std::int64_t> covered_end(store::AuditStore& store, std::int64_t to, std::int64_t head) {
  if (to >= head) return head;
  auto heads = store.signed_heads(to, to + 100'000);
  if (!heads) return heads.error();
  return heads->empty() ? to : heads->front().seq;
}

}  // namespace

Result<Keyring> keyring_of(const std::vector<store::AuditKey>& keys) {
  Keyring ring;
  for (const auto& k : keys) {
    std::string raw(32, '\0');
    Sha256 bytes;
    if (!parse_sha256_hex(k.public_key, bytes))
      return unreadable("audit key " + k.key_id + ": the public key is not 64 hex characters");
    raw.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (Status s = ring.add(raw, k.retired_unix_ns); !s) return s.error();
  }
  return ring;
}

Result<VerifyReport> verify_store(store::AuditStore& store, const Keyring& keys, std::int64_t from,
                                  std::int64_t to, const std::vector<std::string>& trusted) {
  // Checkpoints before the head: one signed meanwhile would look like a truncated tail.
  auto checkpoints = store.checkpoints();
  if (!checkpoints) return checkpoints.error();
  auto head = store.head();
  if (!head) return head.error();
  auto end = covered_end(store, to, head->seq);
  if (!end) return end.error();
  Sha256 prev;
  CompactRange frontier;
  if (Status s = anchor(store, from, prev, frontier); !s) return s.error();
  ChainVerifier v(keys, from, prev, std::move(frontier));
  for (const std::string& note : trusted) v.trusted_checkpoint(note);
  // Checkpoints of sizes before the range were checked when their range was; the ones in
  // it go right after their entry; beyond it only when the whole log is read (truncation).
  auto cp = checkpoints->begin();
  while (cp != checkpoints->end() && cp->size < from) ++cp;
  VerifyReport report;
  report.first_seq = from;
  for (std::int64_t at = from; at <= end.value() && v.ok();) {
    store::AuditQuery q;
    q.from_seq = at;
    q.to_seq = std::min(end.value(), at + kPage - 1);
    q.limit = kPage;
    auto rows = store.entries(q);
    if (!rows) return rows.error();
    auto heads = store.signed_heads(q.from_seq, q.to_seq);
    if (!heads) return heads.error();
    auto h = heads->begin();
    for (const auto& row : rows.value()) {
      auto e = from_row(row);
      if (!e) return e.error();
      if (!v.entry(e.value())) break;
      report.last_seq = row.seq;
      for (; h != heads->end() && h->seq <= row.seq; ++h) {
        auto parsed = from_row(*h);
        if (!parsed) return parsed.error();
        if (!v.head(parsed.value())) break;
      }
      for (; cp != checkpoints->end() && cp->size <= row.seq; ++cp)
        if (!v.checkpoint(cp->note)) break;
    }
    if (rows->size() < static_cast<std::size_t>(q.to_seq - q.from_seq + 1)) break;  // the log ends
    at = q.to_seq + 1;
  }
  if (to >= head->seq)
    for (; v.ok() && cp != checkpoints->end(); ++cp) v.checkpoint(cp->note);
  report.verdict = v.finish();
  report.heads = v.heads();
  report.checkpoints = v.checkpoints();
  report.latest_checkpoint = v.latest_checkpoint();
  report.keys = keys.size();
  return report;
}

Result<VerifyReport> verify_export(std::istream& in, const Keyring* keys,
                                   const std::vector<std::string>& trusted) {
  Keyring own;
  const Keyring* ring = keys ? keys : &own;
  std::optional<ChainVerifier> v;
  VerifyReport report;
  std::string line;
  std::int64_t n = 0;
  auto start = [&](const LogHeader& h) -> Status {
    Sha256 prev{};
    if (h.from > 1 && !parse_sha256_hex(h.prev_hash, prev))
      return unreadable("line " + std::to_string(n) + ": prev_hash is not 64 hex");
    auto frontier = h.frontier.empty() ? Result<CompactRange>(CompactRange()) : CompactRange::decode(h.frontier);
    if (!frontier) return unreadable("line " + std::to_string(n) + ": " + frontier.error().message());
    v.emplace(*ring, h.from, prev, std::move(frontier.value()));
    report.first_seq = h.from;
    for (const std::string& note : trusted) v->trusted_checkpoint(note);
    return {};
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto parsed = parse_export_line(line);
    if (!parsed) return unreadable("line " + std::to_string(n) + ": " + parsed.error().message());
    if (auto* h = std::get_if<LogHeader>(&*parsed)) {
      if (v) return unreadable("line " + std::to_string(n) + ": a second log header");
      if (Status s = start(*h); !s) return s.error();
      continue;
    }
    if (auto* k = std::get_if<store::AuditKey>(&*parsed)) {
      if (!keys) {
        if (v) return unreadable("line " + std::to_string(n) + ": key lines come before the entries");
        auto one = keyring_of({*k});
        if (!one) return unreadable("line " + std::to_string(n) + ": " + one.error().message());
        Sha256 raw;
        parse_sha256_hex(k->public_key, raw);
        if (Status s = own.add(std::string(reinterpret_cast<const char*>(raw.data()), 32), k->retired_unix_ns); !s)
          return s.error();
      }
      continue;
    }
    if (!v)
      if (Status s = start(LogHeader{}); !s) return s.error();
    if (!v->ok()) break;
    if (auto* r = std::get_if<store::AuditRow>(&*parsed)) {
      auto e = from_row(*r);
      if (!e) return unreadable("line " + std::to_string(n) + ": " + e.error().message());
      if (v->entry(e.value())) report.last_seq = r->seq;
    } else if (auto* h = std::get_if<store::SignedHead>(&*parsed)) {
      auto head = from_row(*h);
      if (!head) return unreadable("line " + std::to_string(n) + ": " + head.error().message());
      v->head(head.value());
    } else if (auto* c = std::get_if<store::CheckpointRow>(&*parsed)) {
      v->checkpoint(c->note);
    }
  }
  if (!v)
    if (Status s = start(LogHeader{}); !s) return s.error();
  report.verdict = v->finish();
  report.heads = v->heads();
  report.checkpoints = v->checkpoints();
  report.latest_checkpoint = v->latest_checkpoint();
  report.keys = ring->size();
  return report;
}

Result<std::int64_t> write_export(store::AuditStore& store, std::int64_t from, std::int64_t to,
                                  std::ostream& out) {
  auto checkpoints = store.checkpoints();  // before the head, as in verify_store
  if (!checkpoints) return checkpoints.error();
  auto head = store.head();
  if (!head) return head.error();
  auto end = covered_end(store, to, head->seq);
  if (!end) return end.error();
  Sha256 prev;
  CompactRange frontier;
  if (Status s = anchor(store, from, prev, frontier); !s) return s.error();
  out << header_line({from, from > 1 ? to_hex(prev) : std::string(), frontier.encode()}) << "\n";
  auto keys = store.keys();
  if (!keys) return keys.error();
  for (const auto& k : keys.value()) out << key_line(k) << "\n";
  auto cp = checkpoints->begin();
  while (cp != checkpoints->end() && cp->size < from) ++cp;
  std::int64_t written = 0;
  for (std::int64_t at = from; at <= end.value();) {
    store::AuditQuery q;
    q.from_seq = at;
    q.to_seq = std::min(end.value(), at + kPage - 1);
    q.limit = kPage;
    auto rows = store.entries(q);
    if (!rows) return rows.error();
    auto heads = store.signed_heads(q.from_seq, q.to_seq);
    if (!heads) return heads.error();
    auto h = heads->begin();
    for (const auto& row : rows.value()) {
      out << entry_line(row) << "\n";
      ++written;
      for (; h != heads->end() && h->seq <= row.seq; ++h) out << head_line(*h) << "\n";
      for (; cp != checkpoints->end() && cp->size <= row.seq; ++cp) out << checkpoint_line(*cp) << "\n";
    }
    if (rows->size() < static_cast<std::size_t>(q.to_seq - q.from_seq + 1)) break;
    at = q.to_seq + 1;
  }
  return written;
}

}  // namespace cutover::audit
