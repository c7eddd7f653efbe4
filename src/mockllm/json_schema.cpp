#include "mockllm/json_schema.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "core/json_text.hpp"

namespace cutover::mockllm {
namespace json = boost::json;
namespace {

constexpr int kMaxDepth = 16;
constexpr std::uint64_t kMaxItems = 3;

class Writer {
 public:
  Writer(std::string& out, const json::value& root, ExampleSource src)
      : out_(out), root_(root), src_(src) {}

  void value(const json::value& schema, int depth) {
    if (depth > kMaxDepth || !schema.is_object()) {
      out_ += "null";  // `true`, `false` and runaway recursion
      return;
    }
    const auto& s = schema.get_object();
    if (auto* ref = s.if_contains("$ref"); ref && ref->is_string()) {
      if (const json::value* target = resolve(ref->get_string())) return value(*target, depth + 1);
    }
    if (auto* c = s.if_contains("const")) return literal(*c);
    if (auto* e = s.if_contains("enum"); e && e->is_array() && !e->get_array().empty())
      return literal(e->get_array().front());
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
      if (auto* branches = s.if_contains(key);
          branches && branches->is_array() && !branches->get_array().empty())
        return value(first_non_null(branches->get_array()), depth + 1);
    }
    std::string_view type = type_of(s);
    if (type == "object") return object(s, depth);
    if (type == "array") return array(s, depth);
    if (type == "integer") return number(s, true);
    if (type == "number") return number(s, false);
    if (type == "boolean") {
      out_ += (src_.rng.next() & 1) ? "true" : "false";
      return;
    }
    if (type == "null") {
      out_ += "null";
      return;
    }
    string(s);
  }

 private:
  const json::value* resolve(json::string_view ref) {
    if (ref.empty() || ref.front() != '#') return nullptr;
    json::error_code ec;
    return root_.find_pointer(ref.substr(1), ec);
  }

  static const json::value& first_non_null(const json::array& branches) {
    for (const auto& b : branches)
      if (!(b.is_object() && b.get_object().contains("type") &&
            b.get_object().at("type") == "null"))
        return b;
    return branches.front();
  }

  static std::string_view type_of(const json::object& s) {
    if (auto* t = s.if_contains("type")) {
      if (t->is_string()) return t->get_string();
      if (t->is_array()) {
        std::string_view first;
        for (const auto& e : t->get_array()) {
          if (!e.is_string()) continue;
          if (e.get_string() != "null") return e.get_string();
          first = e.get_string();
        }
        if (!first.empty()) return first;
      }
    }
    if (s.contains("properties") || s.contains("required") || s.contains("additionalProperties"))
      return "object";
    if (s.contains("items") || s.contains("prefixItems")) return "array";
    return "string";
  }

  void literal(const json::value& v) { out_ += json::serialize(v); }

  void object(const json::object& s, int depth) {
    out_ += '{';
    bool first = true;
    auto key = [&](std::string_view k) {
      if (!first) out_ += ',';
      first = false;
      append_json_string(out_, k);
      out_ += ':';
    };
    const json::object* props = nullptr;
    if (auto* p = s.if_contains("properties"); p && p->is_object()) props = &p->get_object();
    if (props) {
      for (const auto& kv : *props) {
        key(kv.key());
        value(kv.value(), depth + 1);
      }
    }
    // A required name without a property schema still has to be present.
    if (auto* req = s.if_contains("required"); req && req->is_array()) {
      for (const auto& r : req->get_array()) {
        if (!r.is_string() || (props && props->contains(r.get_string()))) continue;
        key(r.get_string());
        word();
      }
    }
    out_ += '}';
  }

  void array(const json::object& s, int depth) {
    std::uint64_t n = 1;
    if (auto* m = s.if_contains("minItems"); m && m->is_number())
      n = static_cast<std::uint64_t>(std::max(0.0, m->to_number<double>()));
    if (auto* m = s.if_contains("maxItems"); m && m->is_number())
      n = std::min(n, static_cast<std::uint64_t>(std::max(0.0, m->to_number<double>())));
    n = std::min(n, kMaxItems);
    const json::array* prefix = nullptr;
    if (auto* p = s.if_contains("prefixItems"); p && p->is_array()) {
      prefix = &p->get_array();
      n = std::max<std::uint64_t>(n, std::min<std::uint64_t>(prefix->size(), kMaxItems));
    }
    const json::value* items = s.if_contains("items");
    out_ += '[';
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i) out_ += ',';
      if (prefix && i < prefix->size())
        value((*prefix)[i], depth + 1);
      else if (items)
        value(*items, depth + 1);
      else
        word();  // items unconstrained: any value will do
    }
    out_ += ']';
  }

  void number(const json::object& s, bool integer) {
    auto bound = [&](const char* key, double fallback) {
      auto* v = s.if_contains(key);
      return v && v->is_number() ? v->to_number<double>() : fallback;
    };
    double lo = bound("minimum", 0), hi = bound("maximum", lo + 100);
    if (auto* x = s.if_contains("exclusiveMinimum"); x && x->is_number())
      lo = std::max(lo, x->to_number<double>() + (integer ? 1 : 1e-3));
    if (auto* x = s.if_contains("exclusiveMaximum"); x && x->is_number())
      hi = std::min(hi, x->to_number<double>() - (integer ? 1 : 1e-3));
    if (hi < lo) hi = lo;
    if (integer) {
      auto l = static_cast<std::int64_t>(std::ceil(lo)),
           h = static_cast<std::int64_t>(std::floor(hi));
      if (h < l) h = l;
      append_int(out_, l + static_cast<std::int64_t>(src_.rng.next() %
                                                     static_cast<std::uint64_t>(h - l + 1)));
      return;
    }
    double v = lo + (hi - lo) * src_.rng.uniform();
    v = std::round(v * 100) / 100;
    v = std::clamp(v, lo, hi);
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }

  void string(const json::object& s) {
    if (auto* f = s.if_contains("format"); f && f->is_string()) {
      std::string_view fmt = f->get_string();
      const char* fixed = fmt == "date-time"             ? "2024-01-01T00:00:00Z"
                          : fmt == "date"                ? "2024-01-01"
                          : fmt == "time"                ? "00:00:00"
                          : fmt == "email"               ? "mock@example.com"
                          : fmt == "uri" || fmt == "url" ? "https://example.com/mock"
                          : fmt == "uuid"                ? "00000000-0000-4000-8000-000000000000"
                                                         : nullptr;
      if (fixed) return append_json_string(out_, fixed);
    }
    std::size_t min_len = 0, max_len = SIZE_MAX;
    if (auto* m = s.if_contains("minLength"); m && m->is_number())
      min_len = static_cast<std::size_t>(std::max(0.0, m->to_number<double>()));
    if (auto* m = s.if_contains("maxLength"); m && m->is_number())
      max_len = static_cast<std::size_t>(std::max(0.0, m->to_number<double>()));
    std::string text(pick());
    for (int i = 1; i < src_.string_words; ++i) {
      text += ' ';
      text += pick();
    }
    while (text.size() < min_len) {
      text += ' ';
      text += pick();
    }
    if (text.size() > max_len) text.resize(std::max(min_len, max_len));
    append_json_string(out_, text);
  }

  void word() { append_json_string(out_, pick()); }
  std::string_view pick() { return src_.words[src_.rng.next() % src_.words.size()]; }

  std::string& out_;
  const json::value& root_;
  ExampleSource src_;
};

}  // namespace

void append_example(std::string& out, const json::value& schema, ExampleSource src) {
  Writer(out, schema, src).value(schema, 0);
}

}  // namespace cutover::mockllm
