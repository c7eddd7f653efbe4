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

// What reading seqs [from, to] needs: the checkpoints (read BEFORE the head, so that one
// signed meanwhile cannot look like a truncated tail), the head, the last seq to read
// (on to the head that signs `to`), and where the range continues from.
struct Range {
  std::vector<store::CheckpointRow> checkpoints;
  std::int64_t head = 0, end = 0;
  Sha256 prev{};
  CompactRange frontier;
};

Result<Range> open_range(store::AuditStore& store, std::int64_t from, std::int64_t to) {
  Range r;
  auto checkpoints = store.checkpoints();
  if (!checkpoints) return checkpoints.error();
  r.checkpoints = std::move(checkpoints.value());
  auto head = store.head();
  if (!head) return head.error();
  r.head = head->seq;
  auto end = covered_end(store, to, r.head);
  if (!end) return end.error();
  r.end = end.value();
  if (Status s = anchor(store, from, r.prev, r.frontier); !s) return s.error();
  return r;
}

// Visits seqs [from, range.end] in export order: each entry, then the signed heads of its
// seq, then the checkpoints of its size (those below `from` skipped; `cp` is left at the
// first one not visited). A visitor returning false stops the walk.
template <class OnEntry, class OnHead, class OnCheckpoint>
Status walk(store::AuditStore& store, std::int64_t from, const Range& range,
            std::vector<store::CheckpointRow>::const_iterator& cp, OnEntry on_entry, OnHead on_head,
            OnCheckpoint on_checkpoint) {
  while (cp != range.checkpoints.end() && cp->size < from) ++cp;
  for (std::int64_t at = from; at <= range.end;) {
    store::AuditQuery q;
    q.from_seq = at;
    q.to_seq = std::min(range.end, at + kPage - 1);
    q.limit = kPage;
    auto rows = store.entries(q);
    if (!rows) return rows.error();
    auto heads = store.signed_heads(q.from_seq, q.to_seq);
    if (!heads) return heads.error();
    auto h = heads->begin();
    for (const auto& row : rows.value()) {
      auto go = on_entry(row);
      if (!go) return go.error();
      if (!go.value()) return {};
      for (; h != heads->end() && h->seq <= row.seq; ++h) {
        auto more = on_head(*h);
        if (!more) return more.error();
        if (!more.value()) return {};
      }
      for (; cp != range.checkpoints.end() && cp->size <= row.seq; ++cp)
        if (!on_checkpoint(*cp)) return {};
    }
    if (rows->size() < static_cast<std::size_t>(q.to_seq - q.from_seq + 1)) break;  // the log ends
    at = q.to_seq + 1;
  }
  return {};
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
  auto range = open_range(store, from, to);
  if (!range) return range.error();
  ChainVerifier v(keys, from, range->prev, range->frontier);
  for (const std::string& note : trusted) v.trusted_checkpoint(note);
  VerifyReport report;
  report.first_seq = from;
  auto cp = range->checkpoints.cbegin();
  Status walked = walk(
      store, from, range.value(), cp,
      [&](const store::AuditRow& row) -> Result<bool> {
        auto e = from_row(row);
        if (!e) return e.error();
        if (!v.entry(e.value())) return false;
        report.last_seq = row.seq;
        return true;
      },
      [&](const store::SignedHead& h) -> Result<bool> {
        auto parsed = from_row(h);
        if (!parsed) return parsed.error();
        return v.head(parsed.value());
      },
      [&](const store::CheckpointRow& c) { return v.checkpoint(c.note); });
  if (!walked) return walked.error();
  // Checkpoints beyond the entries: only when the whole log was read (a truncated tail).
  if (to >= range->head)
    for (; v.ok() && cp != range->checkpoints.cend(); ++cp) v.checkpoint(cp->note);
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
  auto range = open_range(store, from, to);
  if (!range) return range.error();
  out << header_line({from, from > 1 ? to_hex(range->prev) : std::string(), range->frontier.encode()}) << "\n";
  auto keys = store.keys();
  if (!keys) return keys.error();
  for (const auto& k : keys.value()) out << key_line(k) << "\n";
  std::int64_t written = 0;
  auto cp = range->checkpoints.cbegin();
  Status walked = walk(
      store, from, range.value(), cp,
      [&](const store::AuditRow& row) -> Result<bool> {
        out << entry_line(row) << "\n";
        ++written;
        return true;
      },
      [&](const store::SignedHead& h) -> Result<bool> {
        out << head_line(h) << "\n";
        return true;
      },
      [&](const store::CheckpointRow& c) {
        out << checkpoint_line(c) << "\n";
        return true;
      });
  if (!walked) return walked.error();
  return written;
}

}  // namespace cutover::audit
