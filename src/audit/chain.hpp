// Sealing entries into the chain and verifying a range offline (entry-mode signatures;
// group-commit batches with signed chain heads come with the audit store).
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
class Keyring final {
 public:
  Status add(std::string_view public_raw32);
  bool verify(const std::string& key_id, const std::string& message, const std::string& signature) const;
  bool knows(const std::string& key_id) const { return keys_.count(key_id) != 0; }

 private:
  std::map<std::string, Pkey> keys_;
};

// Links e after prev (prev_hash, hash) and signs it when signer is given.
void seal(Entry& e, const Sha256& prev_hash, const Signer* signer);

struct Verdict {
  bool ok = true;
  std::int64_t entries = 0;
  std::int64_t first_bad_seq = 0;
  std::string what;  // "broken link", "bad signature", "missing seq", ...
};

// Verifies entries (in the order given) as the continuation of a chain whose last entry
// had seq first_seq - 1 and hash prev_hash: sequence continuity, links, hashes and
// signatures. Names the first bad seq and what is wrong with it.
Verdict verify_chain(const std::vector<Entry>& entries, const Keyring& keys, std::int64_t first_seq,
                     const Sha256& prev_hash);

}  // namespace cutover::audit
