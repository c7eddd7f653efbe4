#include "store/canonical_json.hpp"

#include "core/json_text.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>

namespace cutover::store {
namespace json = boost::json;
namespace {

// boost::json::parse's default depth limit; deeper YAML could be written but not read back.
constexpr int kMaxDepth = 32;
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

std::string item_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
std::string member_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

bool is_json_number(std::string_view s, bool& integral_syntax) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (i < s.size() && s[i] >= '1' && s[i] <= '9') {
    digits();
  } else {
    return false;
  }
  integral_syntax = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    integral_syntax = false;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    integral_syntax = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// 2^53: every integer below it is exactly representable as a double.
constexpr double kExactIntLimit = 9007199254740992.0;

json::value number_from_double(double d) {
  if (std::trunc(d) == d && std::fabs(d) < kExactIntLimit) return static_cast<std::int64_t>(d);
  return d;
}

json::value plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  bool integral = false;
  if (!is_json_number(s, integral)) return json::string(s);
  if (integral) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && p == s.data() + s.size()) return v;
    return json::string(s);  // out of range: kept exactly, as text
  }
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(d)) return json::string(s);
  return number_from_double(d);
}

json::value convert(const YAML::Node& n, const std::string& path, const YamlTyping& typing,
                    bool force_string, int depth, std::vector<std::string>& problems) {
  if (depth > kMaxDepth) {
    problems.push_back(path + ": nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return nullptr;
  }
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (!valid_utf8(s)) {
        problems.push_back(path + ": not valid UTF-8");
        return nullptr;
      }
      const std::string& tag = n.Tag();
      if (force_string || tag == "!" || tag == kStrTag) return json::string(s);
      if (tag != "?" && !tag.starts_with("tag:yaml.org,2002:")) {
        problems.push_back(path + ": unsupported tag '" + tag + "'");
        return nullptr;
      }
      return plain_scalar(s);
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      a.reserve(n.size());
      for (std::size_t i = 0; i < n.size(); ++i)
        a.push_back(convert(n[i], item_path(path, i), typing, force_string, depth + 1, problems));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          problems.push_back(path + ": keys must be strings");
          continue;
        }
        const std::string& key = kv.first.Scalar();
        std::string p = member_path(path, key);
        if (!valid_utf8(key)) {
          problems.push_back(path + ": a key is not valid UTF-8");
          continue;
        }
        if (o.contains(key)) {
          problems.push_back(p + ": duplicate key");
          continue;
        }
        bool str = typing.string_keys && typing.string_keys(key);
        o[key] = convert(kv.second, p, typing, str, depth + 1, problems);
      }
      return o;
    }
  }
  return nullptr;
}

void write_string(std::string& out, std::string_view s) { append_json_string(out, s); }

void write_number(std::string& out, const json::value& v) {
  char buf[32];
  std::to_chars_result r{};
  if (v.is_int64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
  } else if (v.is_uint64()) {
    std::uint64_t u = v.get_uint64();
    r = std::to_chars(buf, buf + sizeof buf, u);
  } else {
    json::value n = number_from_double(v.get_double());
    if (n.is_int64()) return write_number(out, n);
    double d = n.get_double();
    if (!std::isfinite(d)) {  // JSON has no infinity; never produced from YAML or JSON input
      out += "null";
      return;
    }
    // A large integral double in exponent form, so that it never reads back as an integer
    // literal (which could overflow and turn into a string): 1.2345678901234567e+19.
    r = std::trunc(d) == d ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific)
                           : std::to_chars(buf, buf + sizeof buf, d);
  }
  out.append(buf, r.ptr);
}

std::vector<const json::key_value_pair*> sorted_members(const json::object& o) {
  std::vector<const json::key_value_pair*> m;
  m.reserve(o.size());
  for (const auto& kv : o) m.push_back(&kv);
  std::sort(m.begin(), m.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  return m;
}

void write(std::string& out, const json::value& v, int indent, int level) {
  auto newline = [&](int l) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * l), ' ');
  };
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      write_number(out, v);
      break;
    case json::kind::string:
      write_string(out, v.get_string());
      break;
    case json::kind::array: {
      const auto& a = v.get_array();
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        write(out, a[i], indent, level + 1);
      }
      if (!a.empty()) newline(level);
      out += ']';
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      out += '{';
      bool first = true;
      for (const auto* kv : sorted_members(o)) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        write_string(out, kv->key());
        out += indent < 0 ? ":" : ": ";
        write(out, kv->value(), indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

json::value json_from_yaml(const YAML::Node& node, const std::string& path,
                           const YamlTyping& typing, std::vector<std::string>& problems) {
  return convert(node, path, typing, false, 0, problems);
}

std::string canonical_json(const json::value& value) {
  std::string out;
  write(out, value, -1, 0);
  return out;
}

std::string pretty_json(const json::value& value) {
  std::string out;
  write(out, value, 2, 0);
  return out;
}

json::value parse_json(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) throw std::invalid_argument("not valid JSON: " + ec.message());
  return v;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace cutover::store
