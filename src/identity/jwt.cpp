#include "identity/jwt.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <optional>

#include "identity/base64.hpp"
#include "identity/jws.hpp"

namespace cutover::identity {
namespace {

namespace json = boost::json;
std::string q(std::string_view s) { return quote_untrusted(s); }

// now +/- leeway without overflow, whatever the caller passes as now.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

Error unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

Result<std::string> decode_part(std::string_view part, std::string_view name) {
  std::string out;
  char bad = 0;
  auto problem = base64url_decode(part, out, &bad);
  if (problem != Base64Problem::kNone)
    return unauthenticated("token " + std::string(name) + " " + describe(problem, bad));
  return out;
}

Result<json::object> parse_object(std::string_view text, std::string_view name) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec)
    return unauthenticated("token " + std::string(name) + " is not valid JSON (" + ec.message() +
                           ")");
  if (!v.is_object())
    return unauthenticated("token " + std::string(name) + " must be a JSON object");
  return std::move(v.get_object());
}

// A NumericDate claim (RFC 7519 §2), clamped to int64; nullopt when absent.
Result<std::optional<std::int64_t>> numeric_date(const json::object& o, std::string_view name) {
  using Opt = std::optional<std::int64_t>;
  const json::value* v = o.if_contains(name);
  if (!v) return Opt();
  if (v->is_int64()) return Opt(v->get_int64());
  if (v->is_uint64())
    return Opt(static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX)));
  if (v->is_double()) {
    const double d = v->get_double();
    if (d >= 9.2e18) return Opt(INT64_MAX);
    if (d <= -9.2e18) return Opt(INT64_MIN);
    return Opt(static_cast<std::int64_t>(d));
  }
  return unauthenticated("claim '" + std::string(name) +
                         "' must be a number of seconds since 1970 (NumericDate), e.g. 1767225600");
}

// "" when absent; an error when present with another type.
Result<std::string> string_claim(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (!v) return std::string();
  if (!v->is_string()) return unauthenticated("claim " + q(name) + " must be a string");
  return std::string(v->get_string());
}

Result<std::vector<std::string>> string_or_array(const json::value& v, std::string_view name) {
  std::vector<std::string> out;
  if (v.is_string()) out.emplace_back(v.get_string());
  if (v.is_array())
    for (const auto& e : v.get_array())
      if (e.is_string()) out.emplace_back(e.get_string());
  if (v.is_string() || (v.is_array() && out.size() == v.get_array().size())) return out;
  return unauthenticated("claim '" + std::string(name) +
                         "' must be a string or an array of strings");
}

std::string join_quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + q(s);
  return out.empty() ? "(none configured)" : out;
}

Result<const JwtIssuer*> find_issuer(const std::vector<JwtIssuer>& issuers, std::string_view iss) {
  for (const auto& i : issuers)
    if (i.issuer == iss) return &i;
  std::string hint;
  for (const auto& i : issuers) {
    std::string_view a = i.issuer, b = iss;
    if (a.size() < b.size()) std::swap(a, b);
    if (a.size() == b.size() + 1 && a.back() == '/' && a.starts_with(b))
      hint = "; issuers must match exactly, did you mean " + q(i.issuer) + "?";
  }
  return unauthenticated("unknown issuer " + q(iss) + ": this gateway does not trust its tokens" +
                         hint);
}

Result<const Jwk*> select_key(const JwtIssuer& issuer, JwsAlg alg, std::string_view alg_name,
                              const std::optional<std::string_view>& kid) {
  const KeyType want = key_type_for(alg);
  const std::string of_issuer = " of issuer " + q(issuer.issuer);
  if (kid) {
    auto it = std::find_if(issuer.keys.begin(), issuer.keys.end(),
                           [&](const Jwk& k) { return k.kid == *kid; });
    if (it == issuer.keys.end())
      return unauthenticated("unknown key id " + q(*kid) + " for issuer " + q(issuer.issuer) +
                             "; the issuer may have rotated its keys, get a new token");
    const Jwk& k = *it;
    if (k.type != want)
      return unauthenticated("alg " + q(alg_name) + " does not match key " + q(k.kid) + of_issuer +
                             ": that key is " + std::string(describe(k.type)) + " and verifies " +
                             std::string(jose_alg(k.type)) + " only");
    if (!k.alg.empty() && k.alg != alg_name)
      return unauthenticated("alg " + q(alg_name) + " does not match key " + q(k.kid) + of_issuer +
                             ", whose JWK declares alg " + q(k.alg));
    if (k.use == "enc")
      return unauthenticated("key " + q(k.kid) + of_issuer +
                             " is an encryption key (use 'enc') and cannot verify signatures");
    return &k;
  }
  const Jwk* found = nullptr;
  int count = 0;
  for (const Jwk& k : issuer.keys) {
    if (k.type == want && (k.alg.empty() || k.alg == alg_name) && k.use != "enc") {
      found = &k;
      ++count;
    }
  }
  if (count == 1) return found;
  if (count == 0)
    return unauthenticated("issuer " + q(issuer.issuer) + " has no " + std::string(alg_name) +
                           " key");
  return unauthenticated("token has no 'kid' header and issuer " + q(issuer.issuer) + " has " +
                         std::to_string(count) + " " + std::string(alg_name) +
                         " keys; the token must name its key with 'kid'");
}

// exp (required), nbf and iat against now, each with the issuer's leeway.
Status check_times(const json::object& payload, std::int64_t leeway, std::int64_t now,
                   std::int64_t& exp_out) {
  auto exp = numeric_date(payload, "exp");
  if (!exp) return exp.error();
  if (!*exp)
    return unauthenticated("token has no 'exp' claim; tokens without an expiry are not accepted");
  const std::string with_leeway = " (leeway " + std::to_string(leeway) + " s)";
  if (**exp < saturating_add(now, -leeway))
    return unauthenticated("token expired at " + format_utc(**exp) + with_leeway);
  exp_out = **exp;
  auto nbf = numeric_date(payload, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && **nbf > saturating_add(now, leeway))
    return unauthenticated("token is not valid before " + format_utc(**nbf) + ", it is now " +
                           format_utc(now) + with_leeway);
  auto iat = numeric_date(payload, "iat");
  if (!iat) return iat.error();
  if (*iat && **iat > saturating_add(now, leeway))
    return unauthenticated("token was issued in the future, at " + format_utc(**iat) +
                           ", it is now " + format_utc(now) + with_leeway +
                           "; check the identity provider's clock");
  return {};
}

Status fill_claims(const JwtIssuer& issuer, JwtClaims& c) {
  const json::value* aud = c.payload.if_contains("aud");
  if (!aud)
    return unauthenticated("token has no 'aud' claim; this gateway accepts " +
                           join_quoted(issuer.audiences));
  auto auds = string_or_array(*aud, "aud");
  if (!auds) return auds.error();
  c.aud = std::move(*auds);
  const bool ours = std::any_of(c.aud.begin(), c.aud.end(), [&](const std::string& a) {
    return std::find(issuer.audiences.begin(), issuer.audiences.end(), a) != issuer.audiences.end();
  });
  if (!ours)
    return unauthenticated("token audience " + join_quoted(c.aud) +
                           " is not accepted; this gateway accepts " +
                           join_quoted(issuer.audiences));
  auto sub = string_claim(c.payload, "sub");
  if (!sub) return sub.error();
  c.sub = std::move(*sub);
  auto tenant = string_claim(c.payload, issuer.tenant_claim);
  if (!tenant) return tenant.error();
  c.tenant = std::move(*tenant);
  if (const json::value* roles = c.payload.if_contains("roles")) {
    auto r = string_or_array(*roles, "roles");
    if (!r) return r.error();
    c.roles = std::move(*r);
  } else {
    auto scope = string_claim(c.payload, "scope");
    if (!scope) return scope.error();
    std::string_view rest = *scope;
    while (!rest.empty()) {
      auto space = rest.find(' ');
      if (space != 0) c.roles.emplace_back(rest.substr(0, space));
      rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    }
  }
  return {};
}

}  // namespace

Result<JwtIssuer> make_jwt_issuer(std::string issuer, std::vector<std::string> audiences,
                                  std::string_view jwks_json, std::int64_t leeway_seconds,
                                  std::string tenant_claim) {
  auto invalid = [&](std::string what) {
    return Error(ErrorCode::kInvalidRequest, "JWT issuer " + q(issuer) + ": " + what);
  };
  if (issuer.empty()) return invalid("the issuer ('iss') must not be empty");
  if (audiences.empty() ||
      std::any_of(audiences.begin(), audiences.end(), [](auto& a) { return a.empty(); }))
    return invalid(
        "list at least one non-empty audience: a token minted for another service must not be "
        "accepted here");
  if (leeway_seconds < 0 || leeway_seconds > 600)
    return invalid("leeway must be 0 to 600 seconds, got " + std::to_string(leeway_seconds));
  if (tenant_claim.empty()) return invalid("the tenant claim name must not be empty");
  auto keys = parse_jwks(jwks_json);
  if (!keys) return invalid(keys.error().message());
  return JwtIssuer{std::move(issuer), std::move(audiences), std::move(*keys), leeway_seconds,
                   std::move(tenant_claim)};
}

Result<JwtClaims> verify_jwt(std::string_view token, const std::vector<JwtIssuer>& issuers,
                             std::int64_t now_unix) {
  if (token.size() > kMaxJwtBytes)
    return unauthenticated("token is " + std::to_string(token.size()) + " bytes; the limit is " +
                           std::to_string(kMaxJwtBytes) + " bytes");
  const auto parts = std::count(token.begin(), token.end(), '.') + 1;
  if (parts != 3)
    return unauthenticated(
        "a JWT has 3 parts separated by '.' (header.payload.signature); this token has " +
        std::to_string(parts));
  const auto dot1 = token.find('.'), dot2 = token.find('.', dot1 + 1);
  auto header_text = decode_part(token.substr(0, dot1), "header");
  if (!header_text) return header_text.error();
  auto header = parse_object(*header_text, "header");
  if (!header) return header.error();
  const json::value* alg_v = header->if_contains("alg");
  if (!alg_v || !alg_v->is_string()) return unauthenticated("token header needs a string 'alg'");
  const std::string_view alg_name = alg_v->get_string();
  auto alg = parse_jws_alg(alg_name);
  if (!alg) return alg.error();
  if (header->contains("crit"))
    return unauthenticated(
        "token header lists critical extensions ('crit'), which this gateway does not support");
  std::optional<std::string_view> kid;
  if (const json::value* k = header->if_contains("kid")) {
    if (!k->is_string()) return unauthenticated("token header 'kid' must be a string");
    kid = k->get_string();
  }

  auto payload_text = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!payload_text) return payload_text.error();
  auto payload = parse_object(*payload_text, "payload");
  if (!payload) return payload.error();
  const json::value* iss = payload->if_contains("iss");
  if (!iss || !iss->is_string())
    return unauthenticated("token needs a string 'iss' claim naming its issuer");
  auto issuer = find_issuer(issuers, iss->get_string());
  if (!issuer) return issuer.error();
  auto key = select_key(**issuer, *alg, alg_name, kid);
  if (!key) return key.error();

  auto signature = decode_part(token.substr(dot2 + 1), "signature");
  if (!signature) return signature.error();
  if (auto why = check_jws_signature(*alg, (*key)->key.get(), token.substr(0, dot2), *signature))
    return unauthenticated("invalid signature for key " + q((*key)->kid) + " of issuer " +
                           q((**issuer).issuer) + ": " + *why +
                           "; the token was altered or signed with another key");

  JwtClaims claims;
  const std::int64_t leeway = std::clamp<std::int64_t>((**issuer).leeway_seconds, 0, 600);
  if (auto s = check_times(*payload, leeway, now_unix, claims.exp); !s) return s.error();
  claims.iss = (**issuer).issuer;
  claims.payload = std::move(*payload);
  if (auto s = fill_claims(**issuer, claims); !s) return s.error();
  return claims;
}

std::string format_utc(std::int64_t t) {
  // Howard Hinnant's civil_from_days in 64 bits, so any claim value formats without UB.
  std::int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) secs += 86400, --days;
  const std::int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

}  // namespace cutover::identity
