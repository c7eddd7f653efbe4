#include "policy/limits.hpp"

#include <boost/json/parse.hpp>

namespace cutover::policy {
namespace json = boost::json;

namespace {

Error bad(const std::string& path, const std::string& what) {
  return Error(ErrorCode::kInvalidRequest, path + ": " + what);
}

// A non-negative integer field, or 0 when absent.
bool count(const json::object& o, std::string_view key, const std::string& path, std::int64_t& out,
           std::optional<Error>& err) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return true;
  if (!v->is_int64() || v->as_int64() < 0) {
    err = bad(path + "." + std::string(key), "expected a non-negative integer");
    return false;
  }
  out = v->as_int64();
  return true;
}

}  // namespace

Result<Limits> parse_limits(std::string_view text, std::int64_t version) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("limits", "expected a JSON object");
  const auto& o = v.as_object();
  for (const auto& kv : o)
    if (kv.key() != "max_tokens" && kv.key() != "max_input_bytes" && kv.key() != "rate")
      return bad("limits." + std::string(kv.key()), "unknown key");
  Limits l;
  l.version = version;
  std::optional<Error> err;
  if (!count(o, "max_tokens", "limits", l.max_tokens, err) ||
      !count(o, "max_input_bytes", "limits", l.max_input_bytes, err))
    return std::move(*err);
  if (auto* r = o.if_contains("rate")) {
    if (!r->is_array()) return bad("limits.rate", "expected a list");
    for (std::size_t i = 0; i < r->as_array().size(); ++i) {
      std::string path = "limits.rate[" + std::to_string(i) + "]";
      const auto& e = r->as_array()[i];
      if (!e.is_object()) return bad(path, "expected an object");
      const auto& eo = e.as_object();
      for (const auto& kv : eo)
        if (kv.key() != "scope" && kv.key() != "rpm" && kv.key() != "tpm")
          return bad(path + "." + std::string(kv.key()), "unknown key");
      RateRule rule;
      auto* scope = eo.if_contains("scope");
      if (!scope || !scope->is_string() || (scope->as_string() != "key" && scope->as_string() != "tenant"))
        return bad(path + ".scope", "expected \"key\" or \"tenant\"");
      rule.scope = scope->as_string() == "key" ? RateRule::Scope::kKey : RateRule::Scope::kTenant;
      if (!count(eo, "rpm", path, rule.rpm, err) || !count(eo, "tpm", path, rule.tpm, err)) return std::move(*err);
      if (rule.rpm == 0 && rule.tpm == 0) return bad(path, "set rpm, tpm or both");
      l.rate.push_back(rule);
    }
  }
  return l;
}

std::int64_t tokens_to_reserve(std::int64_t max_tokens, std::size_t body_bytes) {
  std::int64_t completion = max_tokens > 0 ? max_tokens : kDefaultCompletionReserve;
  return completion + static_cast<std::int64_t>(body_bytes / 4);
}

}  // namespace cutover::policy
