#include "audit/chain.hpp"

#include <openssl/evp.h>

namespace cutover::audit {
namespace {

EVP_PKEY* raw(const Pkey& k) { return static_cast<EVP_PKEY*>(k.get()); }

std::string key_id_of(std::string_view public_raw) { return to_hex(sha256(public_raw)).substr(0, 16); }

}  // namespace

void PkeyDeleter::operator()(void* p) const { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); }

Result<Signer> Signer::generate() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!k) return Error(ErrorCode::kInternal, "cannot generate an Ed25519 key");
  Signer s;
  s.key_.reset(k);
  s.key_id_ = key_id_of(s.public_raw());
  return s;
}

Result<Signer> Signer::from_private(std::string_view raw32) {
  if (raw32.size() != 32) return Error(ErrorCode::kInvalidRequest, "an Ed25519 private key is 32 bytes");
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw32.data()), 32);
  if (!k) return Error(ErrorCode::kInvalidRequest, "not a usable Ed25519 private key");
  Signer s;
  s.key_.reset(k);
  s.key_id_ = key_id_of(s.public_raw());
  return s;
}

std::string Signer::sign(const std::string& message) const {
  std::string sig(64, '\0');
  std::size_t n = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, raw(key_)) &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size());
  EVP_MD_CTX_free(ctx);
  return ok && n == 64 ? sig : std::string();
}

std::string Signer::public_raw() const {
  std::string out(32, '\0');
  std::size_t n = out.size();
  EVP_PKEY_get_raw_public_key(raw(key_), reinterpret_cast<unsigned char*>(out.data()), &n);
  return out;
}

std::string Signer::private_raw() const {
  std::string out(32, '\0');
  std::size_t n = out.size();
  EVP_PKEY_get_raw_private_key(raw(key_), reinterpret_cast<unsigned char*>(out.data()), &n);
  return out;
}

Status Keyring::add(std::string_view public_raw32) {
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(public_raw32.data()),
                                            public_raw32.size());
  if (!k || public_raw32.size() != 32) {
    EVP_PKEY_free(k);
    return Error(ErrorCode::kInvalidRequest, "not an Ed25519 public key (32 bytes)");
  }
  keys_[key_id_of(public_raw32)].reset(k);
  return {};
}

bool Keyring::verify(const std::string& key_id, const std::string& message, const std::string& signature) const {
  auto it = keys_.find(key_id);
  if (it == keys_.end() || signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, raw(it->second)) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

void seal(Entry& e, const Sha256& prev_hash, const Signer* signer) {
  e.prev_hash = prev_hash;
  e.hash = chain_hash(prev_hash, canonical(e));
  if (signer) {
    e.key_id = signer->key_id();
    e.signature = signer->sign(signing_input(e.hash));
  }
}

Verdict verify_chain(const std::vector<Entry>& entries, const Keyring& keys, std::int64_t first_seq,
                     const Sha256& prev_hash) {
  Verdict v;
  std::int64_t expect = first_seq;
  Sha256 prev = prev_hash;
  auto bad = [&](std::int64_t seq, std::string what) {
    v.ok = false;
    v.first_bad_seq = seq;
    v.what = std::move(what);
    return v;
  };
  for (const Entry& e : entries) {
    if (e.seq < expect) return bad(e.seq, "duplicate or out-of-order seq " + std::to_string(e.seq));
    if (e.seq > expect) return bad(expect, "missing seq " + std::to_string(expect));
    if (!constant_time_equal(e.prev_hash, prev)) return bad(e.seq, "broken link: prev_hash is not the hash of seq " + std::to_string(e.seq - 1));
    if (!constant_time_equal(chain_hash(e.prev_hash, canonical(e)), e.hash))
      return bad(e.seq, "hash mismatch: the entry was changed after it was written");
    if (!keys.knows(e.key_id)) return bad(e.seq, "unknown key id '" + e.key_id + "'");
    if (!keys.verify(e.key_id, signing_input(e.hash), e.signature)) return bad(e.seq, "bad signature");
    prev = e.hash;
    ++expect;
    ++v.entries;
  }
  return v;
}

}  // namespace cutover::audit
