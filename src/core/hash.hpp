// SHA-256 and constant-time comparison (OpenSSL).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_st;  // OpenSSL's EVP_MD, kept out of this header

namespace cutover {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data);
// The SHA-256 algorithm, fetched once (for EVP digests elsewhere: no lookup per call).
const evp_md_st* sha256_md();
std::string to_hex(const std::uint8_t* data, std::size_t n);
inline std::string to_hex(const Sha256& d) { return to_hex(d.data(), d.size()); }
// Parses 64 hex characters; false when malformed.
bool parse_sha256_hex(std::string_view hex, Sha256& out);

// SHA-256 over bytes that arrive in pieces (a streamed response).
class Sha256Stream final {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::string_view bytes);
  Sha256 finish();  // once

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// Equal in time that depends only on the length.
bool constant_time_equal(const Sha256& a, const Sha256& b);

// 64-bit non-cryptographic hash for determinism (mock output, sampling).
std::uint64_t hash64(std::string_view data, std::uint64_t seed = 0);

}  // namespace cutover
