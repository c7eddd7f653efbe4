#include "audit/verifier.hpp"

#include <algorithm>

namespace cutover::audit {

ChainVerifier::ChainVerifier(const Keyring& keys, std::int64_t first_seq, const Sha256& prev_hash,
                             std::optional<CompactRange> frontier)
    : keys_(keys), expect_(first_seq), prev_(prev_hash), frontier_(std::move(frontier)) {}

bool ChainVerifier::bad(std::int64_t seq, std::string what) {
  if (!v_.ok) return false;
  v_.ok = false;
  v_.first_bad_seq = seq;
  v_.what = std::move(what);
  return false;
}

bool ChainVerifier::entry(const Entry& e) {
  if (!v_.ok) return false;
  if (e.seq < expect_) return bad(e.seq, "duplicate or out-of-order seq " + std::to_string(e.seq));
  if (e.seq > expect_) return bad(expect_, "missing seq " + std::to_string(expect_));
  if (!constant_time_equal(e.prev_hash, prev_))
    return bad(e.seq, "broken link: prev_hash is not the hash of seq " + std::to_string(e.seq - 1));
  if (!constant_time_equal(chain_hash(e.prev_hash, canonical(e)), e.hash))
    return bad(e.seq, "hash mismatch: the entry was changed after it was written");
  if (!e.signature.empty()) {
    if (!keys_.knows(e.key_id)) return bad(e.seq, "unknown key id '" + e.key_id + "'");
    if (keys_.retired_at(e.key_id, e.time_unix_ns))
      return bad(e.seq, "signed with key '" + e.key_id + "' after it was retired");
    if (!keys_.verify(e.key_id, signing_input(e.hash), e.signature)) return bad(e.seq, "bad signature");
  } else {
    if (!first_uncovered_) first_uncovered_ = e.seq;
    recent_[e.seq] = {e.hash, e.time_unix_ns};
  }
  prev_ = e.hash;
  ++expect_;
  ++v_.entries;
  if (frontier_) {
    if (Status s = frontier_->append(e.hash); !s) return bad(e.seq, s.error().message());
    auto it = ahead_.find(e.seq);
    if (it != ahead_.end()) {
      Checkpoint c = std::move(it->second);
      ahead_.erase(it);
      return check_checkpoint(c);
    }
  }
  return true;
}

bool ChainVerifier::head(const Head& h) {
  if (!v_.ok) return false;
  const std::int64_t last = expect_ - 1;
  if (h.seq > last) return bad(h.seq, "a signed chain head for seq " + std::to_string(h.seq) + ", which is not in the log");
  auto it = recent_.find(h.seq);
  const Sha256* hash = it != recent_.end() ? &it->second.hash : (h.seq == last ? &prev_ : nullptr);
  if (!hash)
    return bad(h.seq, "a signed chain head for seq " + std::to_string(h.seq) + " out of order");
  if (!constant_time_equal(h.hash, *hash))
    return bad(h.seq, "the signed chain head at seq " + std::to_string(h.seq) + " does not match the chain");
  if (!keys_.knows(h.key_id)) return bad(h.seq, "unknown key id '" + h.key_id + "' on the chain head");
  std::int64_t newest = 0;
  for (auto r = recent_.begin(); r != recent_.end() && r->first <= h.seq; ++r)
    newest = std::max(newest, r->second.time_unix_ns);
  if (h.time_unix_ns < newest)
    return bad(h.seq, "the chain head is dated before the entries it covers");
  if (keys_.retired_at(h.key_id, h.time_unix_ns))
    return bad(h.seq, "chain head signed with key '" + h.key_id + "' after it was retired");
  if (!keys_.verify(h.key_id, head_signing_input(h.seq, h.time_unix_ns, h.hash), h.signature))
    return bad(h.seq, "bad signature on the chain head");
  ++heads_;
  // It covers every entry up to its seq.
  recent_.erase(recent_.begin(), recent_.upper_bound(h.seq));
  first_uncovered_ = recent_.empty() ? 0 : recent_.begin()->first;
  return true;
}

Result<Checkpoint> ChainVerifier::open(std::string_view note) {
  auto blank = note.find("\n\n");
  auto body = blank == std::string_view::npos
                  ? Result<Checkpoint>(Error(ErrorCode::kInvalidRequest, "no blank line before the signatures"))
                  : parse_body(note.substr(0, blank + 1));
  if (!body) return Error(ErrorCode::kInvalidRequest, "malformed checkpoint: " + body.error().message());
  std::vector<NoteVerifier> known;
  for (std::string& pub : keys_.public_keys()) known.push_back({body->origin, std::move(pub)});
  auto opened = open_checkpoint(note, known);
  if (!opened)
    return Error(ErrorCode::kInvalidRequest,
                 "checkpoint of size " + std::to_string(body->size) + ": " + opened.error().message());
  return opened;
}

bool ChainVerifier::trusted_checkpoint(std::string_view note) {
  if (!v_.ok) return false;
  auto c = open(note);
  if (!c) return bad(expect_, "trusted " + c.error().message());
  trusted_max_ = std::max(trusted_max_, c->size);
  if (!frontier_) return true;
  if (c->size > static_cast<std::int64_t>(frontier_->size())) {
    ahead_.emplace(c->size, std::move(c.value()));
    return true;
  }
  return check_checkpoint(c.value());
}

bool ChainVerifier::checkpoint(std::string_view note) {
  if (!v_.ok) return false;
  auto opened = open(note);
  if (!opened) return bad(expect_, opened.error().message());
  Checkpoint c = std::move(opened.value());
  if (!origin_.empty() && c.origin != origin_)
    return bad(std::max<std::int64_t>(c.size, 1), "checkpoint of size " + std::to_string(c.size) + " names another log ('" + c.origin + "')");
  origin_ = c.origin;
  if (auto it = roots_by_size_.find(c.size); it != roots_by_size_.end()) {
    if (it->second != c.root)
      return bad(std::max<std::int64_t>(c.size, 1), "two checkpoints of size " + std::to_string(c.size) +
                                                        " with different roots (" + to_hex(it->second) + ", " +
                                                        to_hex(c.root) + "): the log forked");
    return true;  // the same checkpoint again
  }
  if (c.size < max_checkpoint_)
    return bad(std::max<std::int64_t>(c.size, 1), "checkpoint of size " + std::to_string(c.size) +
                                                      " after one of size " + std::to_string(max_checkpoint_) +
                                                      ": an older checkpoint replayed");
  roots_by_size_[c.size] = c.root;
  max_checkpoint_ = c.size;
  ++checkpoints_;
  if (!frontier_) return true;
  if (c.size > static_cast<std::int64_t>(frontier_->size())) {
    ahead_.emplace(c.size, std::move(c));
    return true;
  }
  return check_checkpoint(c);
}

bool ChainVerifier::check_checkpoint(const Checkpoint& c) {
  // Called when the frontier has exactly c.size leaves... or more, for a checkpoint that
  // arrived late: then only the current size can be compared, which is the usual case
  // (store order puts it right after its entry).
  if (static_cast<std::int64_t>(frontier_->size()) != c.size)
    return bad(std::max<std::int64_t>(c.size, 1), "checkpoint of size " + std::to_string(c.size) +
                                                      " arrived after entry " + std::to_string(frontier_->size()));
  if (frontier_->root() != c.root)
    return bad(std::max<std::int64_t>(c.size, 1), "checkpoint mismatch: the root of entries 1.." + std::to_string(c.size) +
                                                      " is not the one the checkpoint signed");
  return true;
}

Verdict ChainVerifier::finish() {
  if (!v_.ok) return v_;
  if (trusted_max_ > max_checkpoint_) {
    bad(std::max<std::int64_t>(max_checkpoint_, 1),
        "the log's latest checkpoint (size " + std::to_string(max_checkpoint_) +
            ") is older than the trusted one (size " + std::to_string(trusted_max_) +
            "): an older checkpoint replayed, or the log rolled back");
    return v_;
  }
  if (!ahead_.empty()) {
    bad(expect_, "truncated tail: a checkpoint of size " + std::to_string(ahead_.rbegin()->first) +
                     " was signed, but the log ends at seq " + std::to_string(expect_ - 1));
    return v_;
  }
  if (first_uncovered_)
    bad(first_uncovered_, "seq " + std::to_string(first_uncovered_) +
                              " is not covered by any signature (no signed head after it)");
  return v_;
}

Verdict verify_chain(const std::vector<Entry>& entries, const std::vector<Head>& heads,
                     const Keyring& keys, std::int64_t first_seq, const Sha256& prev_hash) {
  std::vector<const Head*> by_seq;
  for (const Head& h : heads) by_seq.push_back(&h);
  std::stable_sort(by_seq.begin(), by_seq.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  ChainVerifier v(keys, first_seq, prev_hash, std::nullopt);
  auto next = by_seq.begin();
  for (const Entry& e : entries) {
    if (!v.entry(e)) return v.verdict();
    while (next != by_seq.end() && (*next)->seq < e.seq) ++next;  // outside the range
    for (; next != by_seq.end() && (*next)->seq == e.seq; ++next)
      if (!v.head(**next)) return v.verdict();
  }
  return v.finish();
}

}  // namespace cutover::audit
