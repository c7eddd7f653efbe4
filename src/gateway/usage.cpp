#include "gateway/usage.hpp"

#include <boost/json/parse.hpp>

namespace cutover::gateway {
namespace json = boost::json;
namespace {

// The end of the JSON object starting at s[open] ('{'), skipping strings; npos if none.
std::size_t object_end(std::string_view s, std::size_t open) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

std::size_t usage_object(std::string_view s, std::size_t& end) {
  auto k = s.rfind("\"usage\"");
  if (k == std::string_view::npos) return std::string_view::npos;
  auto open = s.find_first_not_of(" \t\r\n:", k + 7);
  if (open == std::string_view::npos || s[open] != '{') return std::string_view::npos;
  end = object_end(s, open);
  return end == std::string_view::npos ? end : open;
}

std::int64_t int_field(const json::object& o, std::string_view a, std::string_view b) {
  for (auto k : {a, b})
    if (auto* v = o.if_contains(k); v && v->is_int64()) return v->as_int64();
  return 0;
}

}  // namespace

bool extract_usage(std::string_view s, Usage& u) {
  std::size_t end = 0;
  auto open = usage_object(s, end);
  if (open == std::string_view::npos) return false;
  json::error_code ec;
  auto v = json::parse(s.substr(open, end - open + 1), ec);
  if (ec || !v.is_object()) return false;
  u.input = int_field(v.as_object(), "prompt_tokens", "input_tokens");
  u.output = int_field(v.as_object(), "completion_tokens", "output_tokens");
  return true;
}

bool is_usage_only_chunk(std::string_view s) {
  std::size_t end = 0;
  if (usage_object(s, end) == std::string_view::npos) return false;
  auto c = s.find("\"choices\"");
  if (c == std::string_view::npos) return true;
  auto open = s.find_first_not_of(" \t\r\n:", c + 9);
  if (open == std::string_view::npos || s[open] != '[') return false;
  auto next = s.find_first_not_of(" \t\r\n", open + 1);
  return next != std::string_view::npos && s[next] == ']';
}

std::string_view error_message_of(std::string_view body) {
  auto k = body.find("\"message\"");
  if (k != std::string_view::npos) {
    auto q = body.find('"', body.find(':', k + 9));
    if (q != std::string_view::npos) {
      auto e = q + 1;
      while (e < body.size() && body[e] != '"') e += body[e] == '\\' ? 2 : 1;
      if (e <= body.size()) return body.substr(q + 1, std::min<std::size_t>(e - q - 1, 300));
    }
  }
  return body.substr(0, std::min<std::size_t>(body.size(), 200));
}

}  // namespace cutover::gateway
