#include "store/secrets_document.hpp"

#include <boost/json/parse.hpp>

#include "core/json_text.hpp"

namespace cutover::store {

bool valid_secret_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

Result<std::map<std::string, std::string>> parse_secrets(std::string_view document) {
  std::map<std::string, std::string> out;
  if (document.empty()) return out;
  boost::json::error_code ec;
  auto v = boost::json::parse(document, ec);
  if (ec || !v.is_object()) return Error(ErrorCode::kInvalidRequest, "secrets: expected a JSON object");
  for (const auto& kv : v.as_object()) {
    if (!kv.value().is_string() || !kv.value().as_string().starts_with("v1:"))
      return Error(ErrorCode::kInvalidRequest, "secrets." + std::string(kv.key()) + ": expected sealed text");
    out.emplace(kv.key(), kv.value().as_string());
  }
  return out;
}

std::string secrets_document(const std::map<std::string, std::string>& secrets) {
  std::string out = "{";
  for (const auto& [name, sealed] : secrets) {
    if (out.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, sealed);
  }
  out += '}';
  return out;
}

}  // namespace cutover::store
