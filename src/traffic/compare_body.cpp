#include <boost/json.hpp>
#include <optional>

#include "store/canonical_json.hpp"
#include "traffic/compare_detail.hpp"
#include "traffic/stream_fold.hpp"

namespace cutover::traffic::detail {
namespace json = boost::json;
namespace {

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view kSse = "text/event-stream";
  if (content_type.size() < kSse.size()) return false;
  for (std::size_t i = 0; i < kSse.size(); ++i) {
    char c = content_type[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kSse[i]) return false;
  }
  return true;
}

std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

std::optional<json::value> parse_text(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

constexpr std::string_view kContentPath = "choices[].message.content";

void collect(const json::value& v, const std::string& path, std::set<std::string>& out) {
  out.insert((path.empty() ? std::string("(body)") : path) + ": " + std::string(type_name(v)));
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (path.empty() && is_volatile(kv.key())) continue;
      collect(kv.value(), path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key()),
              out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v.get_array()) collect(item, path + "[]", out);
  } else if (v.is_string() && path == kContentPath) {
    if (auto inner = parse_text(v.get_string())) collect(*inner, path + "(json)", out);
  }
}

// Whitespace runs become one space, ends trimmed, ASCII letters lower-cased.
std::string normalized(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

}  // namespace

Body read_body(const Observed& o) {
  Body b;
  b.bytes = o.body;
  if (is_event_stream(o.content_type)) {
    b.stream = true;
    if (auto folded = fold_chat_stream(o.body)) {
      b.json = true;
      b.value = std::move(folded->completion);
      b.cut_short = !folded->done;
      return b;
    }
  }
  if (auto v = parse_text(o.body)) {
    b.json = true;
    b.value = std::move(*v);
  }
  return b;
}

std::set<std::string> structure_of(const json::value& v) {
  std::set<std::string> out;
  collect(v, "", out);
  return out;
}

Likeness compare_text(std::string_view a, std::string_view b) {
  if (a == b) return Likeness::kSame;
  return normalized(a) == normalized(b) ? Likeness::kEquivalent : Likeness::kDifferent;
}

Likeness compare_text_or_json(std::string_view a, std::string_view b) {
  if (a == b) return Likeness::kSame;
  auto x = parse_text(a), y = parse_text(b);
  if (x && y) return *x == *y ? Likeness::kSame : Likeness::kDifferent;
  return compare_text(a, b);
}

bool same_arguments(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto x = parse_text(a), y = parse_text(b);
  return x && y && *x == *y;
}

bool is_volatile(std::string_view key) {
  return key == "id" || key == "created" || key == "system_fingerprint";
}

std::string clip(std::string_view s, std::size_t n) {
  // Invalid UTF-8 becomes '?', byte by byte: samples end up in JSON documents.
  std::string out;
  out.reserve(std::min(s.size(), n));
  for (std::size_t i = 0; i < s.size() && out.size() <= n;) {
    auto lead = static_cast<unsigned char>(s[i]);
    std::size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (len > 0 && store::valid_utf8(s.substr(i, len)) && i + len <= s.size()) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  if (out.size() <= n) return out;
  std::size_t cut = n >= 3 ? n - 3 : 0;  // room for "…"
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "\xE2\x80\xA6";
}

std::string render(const json::value* v, std::size_t n) {
  if (!v) return "(absent)";
  return clip(json::serialize(*v), n);
}

}  // namespace cutover::traffic::detail
