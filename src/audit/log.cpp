#include "audit/log.hpp"

#include <algorithm>

#include "audit/entry_codec.hpp"
#include "audit/merkle.hpp"
#include "identity/base64.hpp"

namespace cutover::audit {
namespace {

Error bad_row(std::int64_t seq, const std::string& what) {
  return Error(ErrorCode::kInternal, "audit seq " + std::to_string(seq) + ": " + what);
}

Result<std::string> signature_of(std::int64_t seq, const std::string& text) {
  std::string raw;
  if (text.empty()) return raw;
  if (identity::base64url_decode(text, raw) != identity::Base64Problem::kNone || raw.size() != 64)
    return bad_row(seq, "the signature is not 64 bytes of base64url");
  return raw;
}

}  // namespace

namespace {

Result<store::Sealed> seal_batch(const store::AuditHead& head, std::vector<Entry>& entries,
                                 const Signer* signer, SignMode mode, std::int64_t now_unix_ns) {
  Sha256 prev;
  if (!parse_sha256_hex(head.hash, prev)) return bad_row(head.seq, "the chain head hash is malformed");
  auto frontier = head.frontier.empty() ? Result<CompactRange>(CompactRange())
                                        : CompactRange::decode(head.frontier);
  if (!frontier) return bad_row(head.seq, "the Merkle frontier is unreadable: " + frontier.error().message());
  if (frontier->size() != static_cast<std::uint64_t>(head.seq))
    return bad_row(head.seq, "the Merkle frontier has " + std::to_string(frontier->size()) + " leaves");
  store::Sealed out;
  out.rows.reserve(entries.size());
  std::int64_t seq = head.seq, newest = 0;
  for (Entry& e : entries) {
    e.seq = ++seq;
    e.key_id.clear();
    e.signature.clear();
    std::string bytes = seal(e, prev, mode == SignMode::kEntry ? signer : nullptr);
    prev = e.hash;
    newest = std::max(newest, e.time_unix_ns);
    if (Status st = frontier->append(e.hash); !st) return st.error();
    out.rows.push_back(to_row(e, std::move(bytes)));
  }
  out.head = {seq, to_hex(prev), frontier->encode()};
  if (signer && mode == SignMode::kBatch && !entries.empty())
    out.signed_head = to_row(sign_head(seq, std::max(now_unix_ns, newest), prev, *signer));
  return out;
}

}  // namespace

Result<store::Sealed> seal_after(const store::AuditHead& head, std::vector<Entry>& entries,
                                 const Signer& signer, SignMode mode, std::int64_t now_unix_ns) {
  return seal_batch(head, entries, &signer, mode, now_unix_ns);
}

Result<store::Sealed> seal_unsigned(const store::AuditHead& head, std::vector<Entry>& entries) {
  return seal_batch(head, entries, nullptr, SignMode::kBatch, 0);
}

store::AuditRow to_row(const Entry& e) { return to_row(e, canonical(e)); }

store::AuditRow to_row(const Entry& e, std::string canonical_bytes) {
  return store::AuditRow{e.seq,       e.time_unix_ns,        e.color,
                         e.kind,      e.request_id,          std::move(canonical_bytes),
                         to_hex(e.prev_hash), to_hex(e.hash), e.key_id,
                         e.signature.empty() ? std::string() : identity::base64url_encode(e.signature)};
}

store::SignedHead to_row(const Head& h) {
  return store::SignedHead{h.seq, to_hex(h.hash), h.key_id, identity::base64url_encode(h.signature),
                           h.time_unix_ns};
}

Result<Entry> from_row(const store::AuditRow& r) {
  auto e = decode_canonical(r.entry);
  if (!e) return bad_row(r.seq, e.error().message());
  if (e->seq != r.seq) return bad_row(r.seq, "the row holds the entry of seq " + std::to_string(e->seq));
  if (!parse_sha256_hex(r.prev_hash, e->prev_hash)) return bad_row(r.seq, "prev_hash is not 64 hex");
  if (!parse_sha256_hex(r.hash, e->hash)) return bad_row(r.seq, "hash is not 64 hex");
  auto sig = signature_of(r.seq, r.signature);
  if (!sig) return sig.error();
  e->key_id = r.key_id;
  e->signature = std::move(sig.value());
  return e;
}

Result<Head> from_row(const store::SignedHead& r) {
  Head h{r.seq, r.time_unix_ns, {}, r.key_id, {}};
  if (!parse_sha256_hex(r.hash, h.hash)) return bad_row(r.seq, "the signed head's hash is not 64 hex");
  auto sig = signature_of(r.seq, r.signature);
  if (!sig || sig->empty()) return bad_row(r.seq, "the signed head's signature is not 64 bytes of base64url");
  h.signature = std::move(sig.value());
  return h;
}

}  // namespace cutover::audit
