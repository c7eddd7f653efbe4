// Secrets at rest: AES-256-GCM under a master key that never enters the store.
//
// The store holds only sealed text, "v1:<key id>:<base64url(nonce || ciphertext || tag)>",
// where the key id is the first 8 bytes of SHA-256(master key) in hex. Carrying the key id
// turns "wrong master key" into a clear error instead of an authentication failure that
// looks like tampering. The caller's associated data (the secret's name, e.g.
// "providers/openai/api_key") is authenticated with the value, so a sealed value copied to
// another name does not open. The version prefix and key id are authenticated too.
//
// Nonces are 12 random bytes (RAND_bytes), safe for far more seals than a secret store
// will ever make under one key (NIST SP 800-38D: 2^32 per key). Errors are kInternal: a
// value that does not open is the operator's problem, never the client's.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cutover::identity {

// Where `cutover` looks for the master key unless told otherwise.
inline constexpr const char* kMasterKeyEnv = "CUTOVER_MASTER_KEY";
// seal() refuses larger values: secrets are keys, not documents.
inline constexpr std::size_t kMaxSecretBytes = 64 * 1024;

class MasterKey final {
 public:
  // 32 bytes as base64 (standard or url alphabet, padding optional) or as 64 hex
  // characters; surrounding whitespace is ignored. `source` names where the text came from
  // in error messages ("environment variable CUTOVER_MASTER_KEY").
  static Result<MasterKey> from_text(std::string_view text, std::string_view source = "master key");
  // Reads the variable; an unset or empty variable is an error.
  static Result<MasterKey> from_env(const char* variable = kMasterKeyEnv);
  // Text as above, or exactly 32 raw bytes. The file must be a regular file that only its
  // owner can access (mode 600 or 400): anything else is an error suggesting chmod 600.
  static Result<MasterKey> from_file(const std::string& path);
  // Exactly 32 bytes.
  static Result<MasterKey> from_bytes(std::string_view raw, std::string_view source = "master key");

  MasterKey(const MasterKey& other) = default;
  MasterKey& operator=(const MasterKey& other) = default;
  ~MasterKey();  // wipes the key

  // 16 hex characters: the first 8 bytes of SHA-256(key). Safe to log.
  const std::string& id() const { return id_; }
  const std::array<std::uint8_t, 32>& bytes() const { return bytes_; }

 private:
  MasterKey() = default;
  std::array<std::uint8_t, 32> bytes_{};
  std::string id_;
};

class SecretBox final {
 public:
  explicit SecretBox(MasterKey key) : key_(std::move(key)) {}

  const std::string& key_id() const { return key_.id(); }

  // Returns the sealed text. Throws std::runtime_error only when OpenSSL or its random
  // generator fails, and std::length_error above kMaxSecretBytes: sealing happens in the
  // CLI and control plane, never on the request path.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // The plaintext, or an error saying which of these went wrong: not sealed text, a format
  // version this build cannot read, sealed under another master key (both ids named),
  // truncated or non-base64url data, or failed authentication (modified, or sealed for
  // different associated data; GCM cannot tell those two apart).
  Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

 private:
  MasterKey key_;
};

}  // namespace cutover::identity
