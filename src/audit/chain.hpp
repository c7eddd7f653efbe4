// Sealing entries into the chain and verifying a range offline, in both signing modes:
// entry mode (every entry signed) and batch mode (each group-commit batch ends with a
// signed chain head that covers every entry before it through the hashes).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audit/entry.hpp"
#include "core/error.hpp"

namespace cutover::audit {

struct PkeyDeleter {
  void operator()(void* p) const;
};
using Pkey = std::unique_ptr<void, PkeyDeleter>;  // EVP_PKEY*, kept opaque here

class Signer final {
 public:
  // A new Ed25519 key (tests, `cutover audit keygen` later).
  static Result<Signer> generate();
  // From the 32-byte raw private key (as unsealed from the secrets domain).
  static Result<Signer> from_private(std::string_view raw32);
  std::string sign(const std::string& message) const;  // 64 bytes
  std::string public_raw() const;                       // 32 bytes
  std::string private_raw() const;                      // 32 bytes: seal it, never log it
  const std::string& key_id() const { return key_id_; }  // 16 hex of SHA-256(public)

 private:
  Pkey key_;
  std::string key_id_;
};

// Public keys by key id; old keys stay so that old entries keep verifying after rotation.
// A key retired at T verifies signatures made before T only (retired_at 0: in service).
class Keyring final {
 public:
  Status add(std::string_view public_raw32, std::int64_t retired_at_unix_ns = 0);
  bool verify(const std::string& key_id, const std::string& message, const std::string& signature) const;
  bool knows(const std::string& key_id) const { return keys_.count(key_id) != 0; }
  // True when key_id was retired at or before time_unix_ns.
  bool retired_at(const std::string& key_id, std::int64_t time_unix_ns) const;
  std::size_t size() const { return keys_.size(); }
  // Raw public keys (for checkpoint note verifiers).
  std::vector<std::string> public_keys() const;

 private:
  struct Key {
    Pkey pkey;
    std::int64_t retired_at = 0;
  };
  std::map<std::string, Key> keys_;
};

std::string key_id_of_public(std::string_view public_raw32);

// A signed chain head (batch mode): signature over head_signing_input(seq, time, hash).
struct Head {
  std::int64_t seq = 0;
  std::int64_t time_unix_ns = 0;
  Sha256 hash{};
  std::string key_id;
  std::string signature;  // 64 raw bytes
};
// "cutover-audit-head-v1" 0x00 || seq (8 bytes, big-endian) || time (8 bytes) || hash
std::string head_signing_input(std::int64_t seq, std::int64_t time_unix_ns, const Sha256& hash);
Head sign_head(std::int64_t seq, std::int64_t time_unix_ns, const Sha256& hash, const Signer& s);

// Links e after prev (prev_hash, hash) and signs it when signer is given. Returns the
// canonical encoding it hashed (stored as is: computed once).
std::string seal(Entry& e, const Sha256& prev_hash, const Signer* signer);

struct Verdict {
  bool ok = true;
  std::int64_t entries = 0;
  std::int64_t first_bad_seq = 0;
  std::string what;  // "broken link", "bad signature", "missing seq", ...
};

// Verifies entries (in the order given) as the continuation of a chain whose last entry
// had seq first_seq - 1 and hash prev_hash: sequence continuity, links, hashes and
// signatures. An entry without a signature must be covered by a signed head in `heads`
// at its seq or later within the range. Names the first bad seq and what is wrong with
// it. (audit/verifier.hpp does the same incrementally, with checkpoints: this is it over
// vectors, in verifier.cpp.)
Verdict verify_chain(const std::vector<Entry>& entries, const std::vector<Head>& heads,
                     const Keyring& keys, std::int64_t first_seq, const Sha256& prev_hash);
inline Verdict verify_chain(const std::vector<Entry>& entries, const Keyring& keys,
                            std::int64_t first_seq, const Sha256& prev_hash) {
  return verify_chain(entries, {}, keys, first_seq, prev_hash);
}

}  // namespace cutover::audit
