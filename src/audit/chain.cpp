#include "audit/chain.hpp"

#include <openssl/evp.h>


namespace cutover::audit {
namespace {

EVP_PKEY* raw(const Pkey& k) { return static_cast<EVP_PKEY*>(k.get()); }

std::string key_id_of(std::string_view public_raw) { return to_hex(sha256(public_raw)).substr(0, 16); }

constexpr std::string_view kHeadTag{"cutover-audit-head-v1\0", 22};

void append_be64(std::string& out, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((u >> shift) & 0xff);
}

}  // namespace

std::string key_id_of_public(std::string_view public_raw32) { return key_id_of(public_raw32); }

std::string head_signing_input(std::int64_t seq, std::int64_t time_unix_ns, const Sha256& hash) {
  std::string s(kHeadTag);
  append_be64(s, seq);
  append_be64(s, time_unix_ns);
  s.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return s;
}

Head sign_head(std::int64_t seq, std::int64_t time_unix_ns, const Sha256& hash, const Signer& s) {
  return Head{seq, time_unix_ns, hash, s.key_id(), s.sign(head_signing_input(seq, time_unix_ns, hash))};
}

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

Status Keyring::add(std::string_view public_raw32, std::int64_t retired_at_unix_ns) {
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(public_raw32.data()),
                                            public_raw32.size());
  if (!k || public_raw32.size() != 32) {
    EVP_PKEY_free(k);
    return Error(ErrorCode::kInvalidRequest, "not an Ed25519 public key (32 bytes)");
  }
  Key& key = keys_[key_id_of(public_raw32)];
  key.pkey.reset(k);
  key.retired_at = retired_at_unix_ns;
  return {};
}

std::vector<std::string> Keyring::public_keys() const {
  std::vector<std::string> out;
  for (const auto& [id, key] : keys_) {
    std::string bytes(32, '\0');
    std::size_t n = bytes.size();
    EVP_PKEY_get_raw_public_key(raw(key.pkey), reinterpret_cast<unsigned char*>(bytes.data()), &n);
    out.push_back(std::move(bytes));
  }
  return out;
}

bool Keyring::retired_at(const std::string& key_id, std::int64_t time_unix_ns) const {
  auto it = keys_.find(key_id);
  return it != keys_.end() && it->second.retired_at != 0 && it->second.retired_at <= time_unix_ns;
}

bool Keyring::verify(const std::string& key_id, const std::string& message, const std::string& signature) const {
  auto it = keys_.find(key_id);
  if (it == keys_.end() || signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, raw(it->second.pkey)) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string seal(Entry& e, const Sha256& prev_hash, const Signer* signer) {
  e.prev_hash = prev_hash;
  std::string bytes = canonical(e);
  e.hash = chain_hash(prev_hash, bytes);
  if (signer) {
    e.key_id = signer->key_id();
    e.signature = signer->sign(signing_input(e.hash));
  }
  return bytes;
}

}  // namespace cutover::audit
