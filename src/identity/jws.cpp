#include "identity/jws.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace cutover::identity {
namespace {

Error unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](char x, char y) { return lower(x) == lower(y); });
}

// JOSE ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4); OpenSSL verifies the DER
// form SEQUENCE { INTEGER r, INTEGER s }. Returns the DER length (at most 72).
std::size_t jose_to_der(const unsigned char* rs, unsigned char* der) {
  std::size_t n = 2;
  for (const unsigned char* part : {rs, rs + 32}) {
    std::size_t skip = 0;
    while (skip < 31 && part[skip] == 0) ++skip;
    const bool pad = part[skip] & 0x80;  // a set high bit would make the INTEGER negative
    der[n++] = 0x02;
    der[n++] = static_cast<unsigned char>(32 - skip + (pad ? 1 : 0));
    if (pad) der[n++] = 0;
    std::copy(part + skip, part + 32, der + n);
    n += 32 - skip;
  }
  der[0] = 0x30;
  der[1] = static_cast<unsigned char>(n - 2);
  return n;
}

}  // namespace

std::string quote_untrusted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 80) out += "...";
  return out + "'";
}

Result<JwsAlg> parse_jws_alg(std::string_view alg) {
  if (alg == "RS256") return JwsAlg::kRs256;
  if (alg == "ES256") return JwsAlg::kEs256;
  if (alg == "EdDSA") return JwsAlg::kEdDsa;
  if (iequals(alg, "none"))
    return unauthenticated("alg " + quote_untrusted(alg) +
                           " is not accepted: tokens must be signed (RS256, ES256 or EdDSA)");
  if (alg.size() <= 8 && alg.size() >= 2 && iequals(alg.substr(0, 2), "HS"))
    return unauthenticated(quote_untrusted(alg).substr(1, std::min<std::size_t>(alg.size(), 8)) +
                           " tokens are not accepted: this gateway verifies with public keys "
                           "(RS256, ES256 or EdDSA)");
  return unauthenticated("alg " + quote_untrusted(alg) +
                         " is not supported; use RS256, ES256 or EdDSA");
}

KeyType key_type_for(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRs256:
      return KeyType::kRsa;
    case JwsAlg::kEs256:
      return KeyType::kEcP256;
    case JwsAlg::kEdDsa:
      return KeyType::kEd25519;
  }
  return KeyType::kRsa;
}

std::optional<std::string> check_jws_signature(JwsAlg alg, EVP_PKEY* key,
                                               std::string_view signing_input,
                                               std::string_view signature) {
  auto data = reinterpret_cast<const unsigned char*>(signature.data());
  std::size_t size = signature.size();
  if (size == 0) return std::string("the signature is empty; unsigned tokens are not accepted");
  if (alg != JwsAlg::kRs256 && size != 64) {
    char why[120];  // snprintf: GCC 12 warns falsely on appending to a literal-sized string
    std::snprintf(why, sizeof why, "an %s signature is 64 bytes%s, this one is %zu",
                  alg == JwsAlg::kEs256 ? "ES256" : "EdDSA",
                  alg == JwsAlg::kEs256 ? " (r||s, RFC 7518 §3.4)" : "", size);
    return std::string(why);
  }
  unsigned char der[72];
  if (alg == JwsAlg::kEs256) {
    size = jose_to_der(data, der);
    data = der;
  }
  // Fetched once: an implicit fetch on every call contends on a lock in OpenSSL 3.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const bool ok = ctx && sha256 &&
                  EVP_DigestVerifyInit(ctx.get(), nullptr, alg == JwsAlg::kEdDsa ? nullptr : sha256,
                                       nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), data, size,
                                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                                   signing_input.size()) == 1;
  // A failed verification leaves entries on the thread's queue that later TLS code would
  // mistake for its own errors.
  ERR_clear_error();
  if (ok) return std::nullopt;
  return std::string("the signature does not match");
}

}  // namespace cutover::identity
