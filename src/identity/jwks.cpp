#include "identity/jwks.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>

#include "identity/base64.hpp"

namespace cutover::identity {

void EvpPkeyFree::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

Jwk::Jwk(const Jwk& other) : kid(other.kid), type(other.type), alg(other.alg), use(other.use) {
  if (other.key && EVP_PKEY_up_ref(other.key.get()) == 1) key.reset(other.key.get());
}

Jwk& Jwk::operator=(const Jwk& other) {
  if (this != &other) *this = Jwk(other);
  return *this;
}

std::string_view jose_alg(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RS256";
    case KeyType::kEcP256:
      return "ES256";
    case KeyType::kEd25519:
      return "EdDSA";
  }
  return "";
}

std::string_view describe(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEd25519:
      return "OKP Ed25519";
  }
  return "";
}

namespace {

namespace json = boost::json;

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

// Builds errors that name the key and field: "keys[2].x: ...".
struct Where {
  std::size_t index;
  Error operator()(std::string_view field, std::string_view what) const {
    std::string m = "keys[" + std::to_string(index) + "]";
    if (!field.empty()) {
      m += '.';
      m += field;
    }
    m += ": ";
    m += what;
    return Error(ErrorCode::kInvalidRequest, std::move(m));
  }
};

// 'value', for messages (built by appending: GCC 12 warns falsely on "'" + string).
std::string quoted(std::string_view value) {
  std::string out = "'";
  out += value;
  out += '\'';
  return out;
}

// A required base64url member, decoded. expected_size 0: any non-empty size.
Result<std::string> member_bytes(const json::object& jwk, std::string_view name, const Where& at,
                                 std::size_t expected_size = 0) {
  const json::value* v = jwk.if_contains(name);
  if (!v) return at(name, "missing");
  if (!v->is_string()) return at(name, "must be a base64url string");
  std::string out;
  char bad = 0;
  auto problem = base64url_decode(v->get_string(), out, &bad);
  if (problem != Base64Problem::kNone) return at(name, describe(problem, bad));
  if (out.empty()) return at(name, "is empty");
  if (expected_size && out.size() != expected_size)
    return at(name, "must be " + std::to_string(expected_size) + " bytes, got " +
                        std::to_string(out.size()));
  return out;
}

// Optional string members; wrong types are errors rather than silently ignored.
Result<std::string> member_string(const json::object& jwk, std::string_view name, const Where& at) {
  const json::value* v = jwk.if_contains(name);
  if (!v) return std::string();
  if (!v->is_string()) return at(name, "must be a string");
  return std::string(v->get_string());
}

Result<EvpPkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld, const Where& at) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld),
                                                                 &OSSL_PARAM_free);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return at("", std::string("OpenSSL rejected the ") + type + " public key");
  EvpPkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return at("", std::string("not a valid ") + type + " public key");
  return key;
}

Result<EvpPkeyPtr> rsa_key(const json::object& jwk, const Where& at) {
  auto n = member_bytes(jwk, "n", at);
  if (!n) return n.error();
  auto e = member_bytes(jwk, "e", at);
  if (!e) return e.error();
  auto as_bn = [](const std::string& s) {
    return std::unique_ptr<BIGNUM, decltype(&BN_free)>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()),
                  nullptr),
        &BN_free);
  };
  auto bn_n = as_bn(*n), bn_e = as_bn(*e);
  int bits = bn_n ? BN_num_bits(bn_n.get()) : 0;
  if (bits < 2048 || bits > 8192)
    return at("n", "RSA modulus is " + std::to_string(bits) + " bits; use 2048 to 8192 bits");
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (!bld || !bn_e || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return at("", "could not build the RSA key");
  return from_params("RSA", bld.get(), at);
}

Result<EvpPkeyPtr> ec_key(const json::object& jwk, const Where& at) {
  // RFC 7518 §6.2.1.2: coordinates are the full field size, 32 bytes for P-256.
  auto x = member_bytes(jwk, "x", at, 32);
  if (!x) return x.error();
  auto y = member_bytes(jwk, "y", at, 32);
  if (!y) return y.error();
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return at("", "could not build the EC key");
  auto key = from_params("EC", bld.get(), at);
  if (!key) return at("x", "(x, y) is not a point on P-256");
  return key;
}

Result<EvpPkeyPtr> ed25519_key(const json::object& jwk, const Where& at) {
  auto x = member_bytes(jwk, "x", at, 32);
  if (!x) return x.error();
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!raw) return at("x", "not a valid Ed25519 public key");
  return EvpPkeyPtr(raw);
}

// The type from kty/crv, or an error for anything verify_jwt cannot use.
Result<KeyType> key_type(const json::object& jwk, const Where& at) {
  const json::value* kty = jwk.if_contains("kty");
  if (!kty) return at("kty", "missing; use RSA, EC or OKP");
  if (!kty->is_string()) return at("kty", "must be a string");
  std::string_view k = kty->get_string();
  if (k == "RSA") return KeyType::kRsa;
  if (k == "oct")
    return at("kty",
              "symmetric keys ('oct') are not accepted: this gateway verifies with public keys");
  if (k != "EC" && k != "OKP")
    return at("kty", quoted(k) + " is not supported; use RSA, EC or OKP");
  auto crv = member_string(jwk, "crv", at);
  if (!crv) return crv.error();
  if (crv->empty()) return at("crv", k == "EC" ? "missing; use P-256" : "missing; use Ed25519");
  if (k == "EC") {
    if (*crv == "P-256") return KeyType::kEcP256;
    return at("crv", quoted(*crv) + " is not supported; use P-256");
  }
  if (*crv == "Ed25519") return KeyType::kEd25519;
  return at("crv", quoted(*crv) + " is not supported; use Ed25519");
}

Result<Jwk> parse_key(const json::value& v, const Where& at) {
  if (!v.is_object()) return at("", "must be a JSON object");
  const auto& o = v.get_object();
  // A JWKS is public; a private member means a secret was published by mistake.
  for (std::string_view priv : {"d", "p", "q", "dp", "dq", "qi", "k"})
    if (o.contains(priv))
      return at(priv, "private key material; publish only the public part of the key");
  Jwk jwk;
  auto type = key_type(o, at);
  if (!type) return type.error();
  jwk.type = *type;
  auto kid = member_string(o, "kid", at);
  if (!kid) return kid.error();
  jwk.kid = std::move(*kid);
  auto alg = member_string(o, "alg", at);
  if (!alg) return alg.error();
  jwk.alg = std::move(*alg);
  // A supported alg must fit the key; other algs (PS256, RSA-OAEP) are kept but such a key
  // never verifies, and verify_jwt says why.
  for (KeyType t : {KeyType::kRsa, KeyType::kEcP256, KeyType::kEd25519})
    if (jwk.alg == jose_alg(t) && t != jwk.type)
      return at("alg", quoted(jwk.alg) + " does not fit a " + std::string(describe(jwk.type)) +
                           " key; use " + std::string(jose_alg(jwk.type)));
  auto use = member_string(o, "use", at);
  if (!use) return use.error();
  if (!use->empty() && *use != "sig" && *use != "enc")
    return at("use", quoted(*use) + " is not a key use; use 'sig'");
  jwk.use = std::move(*use);

  Result<EvpPkeyPtr> key = jwk.type == KeyType::kRsa      ? rsa_key(o, at)
                           : jwk.type == KeyType::kEcP256 ? ec_key(o, at)
                                                          : ed25519_key(o, at);
  if (!key) return key.error();
  jwk.key = std::move(*key);
  return jwk;
}

}  // namespace

Result<std::vector<Jwk>> parse_jwks(std::string_view json_text) {
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec) return Error(ErrorCode::kInvalidRequest, "JWKS is not valid JSON: " + ec.message());
  const json::value* keys = doc.is_object() ? doc.get_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array())
    return Error(ErrorCode::kInvalidRequest,
                 "JWKS must be a JSON object with a \"keys\" array: {\"keys\": [...]}");
  const auto& arr = keys->get_array();
  if (arr.empty()) return Error(ErrorCode::kInvalidRequest, "JWKS has no keys");
  std::vector<Jwk> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Where at{i};
    auto jwk = parse_key(arr[i], at);
    if (!jwk) return jwk.error();
    for (std::size_t j = 0; j < out.size(); ++j)
      if (!jwk->kid.empty() && out[j].kid == jwk->kid)
        return at("kid", quoted(jwk->kid) + " is already used by keys[" + std::to_string(j) + "]");
    out.push_back(std::move(*jwk));
  }
  return out;
}

}  // namespace cutover::identity
