#include "audit/entry_codec.hpp"

#include <array>
#include <charconv>
#include <string>

#include "audit/strict_text.hpp"

namespace cutover::audit {
namespace {

enum class Kind { kString, kInteger, kBoolean };

struct Member {
  std::string_view key;
  Kind kind;
  std::string Entry::*str = nullptr;
  std::int64_t Entry::*num = nullptr;
  bool Entry::*flag = nullptr;
};

constexpr Member text(std::string_view k, std::string Entry::*m) { return {k, Kind::kString, m}; }
constexpr Member integer(std::string_view k, std::int64_t Entry::*m) {
  return {k, Kind::kInteger, nullptr, m};
}
constexpr Member boolean(std::string_view k, bool Entry::*m) {
  return {k, Kind::kBoolean, nullptr, nullptr, m};
}

// Exactly what canonical() writes, in its order. "schema" has no Entry field.
constexpr std::array<Member, 29> kMembers = {
    boolean("cache_hit", &Entry::cache_hit),
    text("color", &Entry::color),
    text("decision", &Entry::decision),
    text("fallback_reason", &Entry::fallback_reason),
    text("gateway_version", &Entry::gateway_version),
    integer("http_status", &Entry::http_status),
    text("kind", &Entry::kind),
    integer("latency_us", &Entry::latency_us),
    text("node_id", &Entry::node_id),
    text("policy_versions", &Entry::policy_versions),
    text("provider", &Entry::provider),
    text("reason", &Entry::reason),
    text("request_id", &Entry::request_id),
    text("request_sha256", &Entry::request_sha256),
    text("requested_model", &Entry::requested_model),
    text("responding_model", &Entry::responding_model),
    text("response_sha256", &Entry::response_sha256),
    integer("retries", &Entry::retries),
    text("route", &Entry::route),
    text("route_version", &Entry::route_version),
    integer("schema", nullptr),
    integer("seq", &Entry::seq),
    boolean("shadow", &Entry::shadow),
    text("subject", &Entry::subject),
    text("tenant", &Entry::tenant),
    integer("time_unix_ns", &Entry::time_unix_ns),
    integer("tokens_in", &Entry::tokens_in),
    integer("tokens_out", &Entry::tokens_out),
    text("trace_id", &Entry::trace_id),
};

std::string_view kind_name(Kind k) {
  return k == Kind::kString ? "a string" : k == Kind::kInteger ? "an integer" : "a boolean";
}

Error bad(std::string what, std::string_view member = {}) {
  Error e(ErrorCode::kInvalidRequest, "audit entry: " + std::move(what));
  if (!member.empty()) e.with_param(std::string(member));
  return e;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A JSON reader for one flat object of strings, integers and booleans: anything else is an
// error that names the member, never a crash or a recursion.
class Reader final {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  Result<Entry> entry() {
    Entry e;
    std::array<bool, kMembers.size()> seen{};
    skip_ws();
    if (!eat('{')) return bad("not a JSON object");
    skip_ws();
    bool first = true;
    while (!eat('}')) {
      if (!first) {
        if (!eat(',')) return bad("expected ',' or '}' at byte " + std::to_string(pos_));
        skip_ws();
      }
      first = false;
      std::string key;
      if (peek() != '"') return bad("expected a member name at byte " + std::to_string(pos_));
      if (auto s = string(key, {}); !s.ok()) return s.error();
      skip_ws();
      if (!eat(':')) return bad("expected ':' after \"" + key + "\"", key);
      skip_ws();
      std::size_t i = 0;
      while (i < kMembers.size() && kMembers[i].key != key) ++i;
      if (i == kMembers.size()) return bad("unknown member \"" + key + "\"", key);
      if (seen[i]) return bad("duplicate member \"" + key + "\"", key);
      seen[i] = true;
      if (auto s = value(e, kMembers[i]); !s.ok()) return s.error();
      skip_ws();
    }
    skip_ws();
    if (pos_ != in_.size()) return bad("trailing bytes after the object");
    for (std::size_t i = 0; i < kMembers.size(); ++i) {
      if (!seen[i]) {
        return bad("missing member \"" + std::string(kMembers[i].key) + "\"", kMembers[i].key);
      }
    }
    return e;
  }

 private:
  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool eat(char c) {
    if (pos_ >= in_.size() || in_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void skip_ws() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }

  Status value(Entry& e, const Member& m) {
    const char c = peek();
    const std::string_view key = m.key;
    const auto wrong = [&] {
      return bad("member \"" + std::string(key) + "\" must be " + std::string(kind_name(m.kind)),
                 key);
    };
    if (c == '"') {
      if (m.kind != Kind::kString) return wrong();
      return string(e.*m.str, key);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      if (m.kind != Kind::kInteger) return wrong();
      std::int64_t v = 0;
      if (auto s = integer(v, key); !s.ok()) return s;
      if (m.num) {
        e.*m.num = v;
      } else if (v != kSchemaVersion) {
        return bad("schema " + std::to_string(v) + " is not supported (this reader knows schema " +
                       std::to_string(kSchemaVersion) + ")",
                   key);
      }
      return {};
    }
    if (in_.substr(pos_, 4) == "true" || in_.substr(pos_, 5) == "false") {
      if (m.kind != Kind::kBoolean) return wrong();
      const bool v = in_[pos_] == 't';
      pos_ += v ? 4 : 5;
      e.*m.flag = v;
      return {};
    }
    if (c == '{' || c == '[' || in_.substr(pos_, 4) == "null") return wrong();
    return bad("member \"" + std::string(key) + "\" has no valid JSON value", key);
  }

  Status integer(std::int64_t& out, std::string_view key) {
    const std::size_t start = pos_;
    eat('-');
    if (!eat('0')) {
      if (peek() < '1' || peek() > '9')
        return bad("member \"" + std::string(key) + "\" is not a JSON number", key);
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == '.' || peek() == 'e' || peek() == 'E') {
      return bad("member \"" + std::string(key) + "\" must be an integer", key);
    }
    if (peek() >= '0' && peek() <= '9') {
      return bad("member \"" + std::string(key) + "\" has a leading zero", key);
    }
    const char* b = in_.data() + start;
    const char* end = in_.data() + pos_;
    auto [p, ec] = std::from_chars(b, end, out);
    if (ec != std::errc() || p != end) {
      return bad("member \"" + std::string(key) + "\" is outside the 64-bit integer range", key);
    }
    return {};
  }

  // A JSON string at pos_ (which is '"'), unescaped into out. `member` is empty while
  // reading a member name.
  Status string(std::string& out, std::string_view member) {
    const auto fail = [&](std::string_view why) {
      const std::string what =
          member.empty() ? "a member name" : "member \"" + std::string(member) + "\"";
      return bad(what + ": " + std::string(why), member);
    };
    ++pos_;
    out.clear();
    while (true) {
      if (pos_ >= in_.size()) return fail("the string is not terminated");
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        ++pos_;
        return {};
      }
      if (c < 0x20) return fail("raw control character in a string (it must be escaped)");
      if (c != '\\') {
        std::size_t i = pos_;
        std::uint32_t cp = 0;
        if (!next_code_point(in_, i, cp)) return fail("not valid UTF-8");
        out.append(in_.substr(pos_, i - pos_));
        pos_ = i;
        continue;
      }
      if (++pos_ >= in_.size()) return fail("the string is not terminated");
      const char esc = in_[pos_++];
      switch (esc) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return fail("\\u needs four hex digits");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) {
              return fail("high surrogate without its low surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return fail("unknown escape");
      }
    }
  }

  bool hex4(std::uint32_t& out) {
    if (in_.size() - pos_ < 4) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in_[pos_++];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return false;
      out = out << 4 | static_cast<std::uint32_t>(d);
    }
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<Entry> decode_canonical(std::string_view json) {
  if (json.size() > kMaxEntryBytes) return bad("larger than 1 MiB");
  auto e = Reader(json).entry();
  if (!e.ok()) return e;
  const std::string again = canonical(*e);
  if (again != json) {
    std::size_t at = 0;
    while (at < again.size() && at < json.size() && again[at] == json[at]) ++at;
    return bad("not canonical (differs from the canonical encoding at byte " + std::to_string(at) +
               "): keys must be sorted, without whitespace, with minimal escapes and plain "
               "integers; see docs/AUDIT.md");
  }
  return e;
}

}  // namespace cutover::audit
