#include "traffic/compare.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <optional>

#include "traffic/compare_detail.hpp"

namespace cutover::traffic {
namespace json = boost::json;
using detail::Body;
using detail::Likeness;

namespace {

// In the order Comparison::kinds lists them.
constexpr std::string_view kStatus = "status", kErrorType = "error_type", kStructure = "structure",
                           kModel = "model", kContent = "content", kToolCalls = "tool_calls",
                           kTokens = "tokens";
constexpr std::string_view kKinds[] = {kStatus,  kErrorType, kStructure, kModel,
                                       kContent, kToolCalls, kTokens};
constexpr std::size_t kShown = 100;  // bytes of each side quoted in a sample

class Findings {
 public:
  void add(std::string_view kind, Likeness how, std::string detail) {
    if (how == Likeness::kSame) return;
    list_.push_back({kind, how == Likeness::kDifferent, std::move(detail)});
  }
  void different(std::string_view kind, std::string detail) {
    add(kind, Likeness::kDifferent, std::move(detail));
  }

  void into(Comparison& c) const {
    for (auto kind : kKinds)
      if (std::any_of(list_.begin(), list_.end(), [&](const auto& f) { return f.kind == kind; }))
        c.kinds.push_back(kind);
    auto first =
        std::find_if(list_.begin(), list_.end(), [](const auto& f) { return f.different; });
    if (first != list_.end())
      c.outcome = Outcome::kDifferent;
    else if (!list_.empty())
      c.outcome = Outcome::kEquivalent;
    if (first == list_.end()) first = list_.begin();
    if (first != list_.end())
      c.sample = detail::clip(std::string(first->kind) + ": " + first->detail, kMaxSample);
  }

 private:
  struct Finding {
    std::string_view kind;
    bool different;
    std::string detail;
  };
  std::vector<Finding> list_;
};

const json::value* member(const json::value* v, std::string_view key) {
  return v && v->is_object() ? v->get_object().if_contains(key) : nullptr;
}

std::string_view string_at(const json::value* v, std::string_view key) {
  auto* m = member(v, key);
  return m && m->is_string() ? std::string_view(m->get_string()) : std::string_view{};
}

const json::array& array_at(const json::value* v, std::string_view key) {
  static const json::array empty;
  auto* m = member(v, key);
  return m && m->is_array() ? m->get_array() : empty;
}

std::string versus(std::string_view what, const std::string& a, const std::string& b) {
  return std::string(what) + ": " + a + " vs " + b;
}

std::string quoted(std::string_view s) {
  json::value v = json::string(s);
  return detail::render(&v, kShown);
}

// Both texts quoted from a little before the first byte where they part, so that a sample
// shows the difference even when it lies beyond what fits.
std::string quoted_pair(std::string_view a, std::string_view b) {
  constexpr std::size_t kContext = 24;
  std::size_t common =
      std::mismatch(a.begin(), a.begin() + std::min(a.size(), b.size()), b.begin()).first -
      a.begin();
  std::size_t start = common > kContext ? common - kContext : 0;
  while (start > 0 && (static_cast<unsigned char>(a[start]) & 0xC0) == 0x80) --start;
  std::string lead = start > 0 ? "\xE2\x80\xA6" : "";
  return quoted(lead + std::string(a.substr(start))) + " vs " +
         quoted(lead + std::string(b.substr(start)));
}

// error.type (and /error.code) of an OpenAI error body; "" when it is none.
std::string error_type(const Body& b) {
  const json::value* e = member(b.json ? &b.value : nullptr, "error");
  if (!e) return {};
  if (e->is_string()) return std::string(e->get_string());
  std::string t(string_at(e, "type"));
  if (auto* code = member(e, "code"); code && !code->is_null()) {
    t += '/';
    if (code->is_string())
      t.append(code->get_string());
    else
      t.append(json::serialize(*code));
  }
  return t.empty() ? "(untyped error)" : t;
}

void compare_structure(const Body& p, const Body& s, Findings& f) {
  if (p.stream != s.stream)
    return f.different(kStructure, p.stream ? "primary streamed, shadow did not"
                                            : "shadow streamed, primary did not");
  if (p.json != s.json)
    return f.different(kStructure, p.json ? "primary body is JSON, shadow's is not"
                                          : "shadow body is JSON, primary's is not");
  if (p.cut_short != s.cut_short)
    f.different(kStructure,
                std::string(p.cut_short ? "primary" : "shadow") + " stream ended without [DONE]");
  if (!p.json) return;
  auto a = detail::structure_of(p.value), b = detail::structure_of(s.value);
  if (a == b) return;
  auto only_a = std::find_if(a.begin(), a.end(), [&](const auto& x) { return !b.contains(x); });
  auto only_b = std::find_if(b.begin(), b.end(), [&](const auto& x) { return !a.contains(x); });
  // The smaller path first, so that the sample names where the bodies part.
  if (only_a != a.end() && (only_b == b.end() || *only_a <= *only_b))
    f.different(kStructure, *only_a + " only in primary");
  else
    f.different(kStructure, *only_b + " only in shadow");
}

void compare_choices(const Body& p, const Body& s, Findings& f) {
  const auto& a = array_at(&p.value, "choices");
  const auto& b = array_at(&s.value, "choices");
  if (a.size() != b.size()) {
    f.different(kContent, versus("choices", std::to_string(a.size()), std::to_string(b.size())));
    f.different(kToolCalls, "a different number of choices");
  }
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    std::string path = "choices[" + std::to_string(i) + "]";
    const auto *x = member(&a[i], "message"), *y = member(&b[i], "message");
    for (auto key : {"content", "refusal"}) {
      auto u = string_at(x, key), v = string_at(y, key);
      f.add(kContent, detail::compare_text_or_json(u, v),
            path + ".message." + key + ": " + quoted_pair(u, v));
    }
    auto fr = detail::render(member(&a[i], "finish_reason"), kShown);
    auto fs = detail::render(member(&b[i], "finish_reason"), kShown);
    if (fr != fs) f.different(kContent, versus(path + ".finish_reason", fr, fs));

    const auto &ca = array_at(x, "tool_calls"), &cb = array_at(y, "tool_calls");
    if (ca.size() != cb.size()) {
      f.different(kToolCalls, versus(path + ".message.tool_calls", std::to_string(ca.size()),
                                     std::to_string(cb.size()) + " calls"));
      continue;
    }
    for (std::size_t j = 0; j < ca.size(); ++j) {
      std::string call = path + ".message.tool_calls[" + std::to_string(j) + "]";
      const auto *fa = member(&ca[j], "function"), *fb = member(&cb[j], "function");
      if (string_at(&ca[j], "type") != string_at(&cb[j], "type"))
        f.different(kToolCalls, versus(call + ".type", quoted(string_at(&ca[j], "type")),
                                       quoted(string_at(&cb[j], "type"))));
      if (string_at(fa, "name") != string_at(fb, "name"))
        f.different(kToolCalls, versus(call + ".function.name", quoted(string_at(fa, "name")),
                                       quoted(string_at(fb, "name"))));
      auto ga = string_at(fa, "arguments"), gb = string_at(fb, "arguments");
      if (!detail::same_arguments(ga, gb))
        f.different(kToolCalls, call + ".function.arguments: " + quoted_pair(ga, gb));
    }
  }
}

// The value without its volatile members and usage (compared on their own).
json::value comparable(const json::value& v) {
  if (!v.is_object()) return v;
  json::object o = v.get_object();
  for (auto key : {"id", "created", "system_fingerprint", "usage", "model"}) o.erase(key);
  return o;
}

void compare_content(const Body& p, const Body& s, Findings& f) {
  if (!p.json && !s.json) {
    f.add(kContent, detail::compare_text(p.bytes, s.bytes),
          "body: " + quoted_pair(p.bytes, s.bytes));
    return;
  }
  bool chat_p = member(&p.value, "choices") != nullptr;
  if (chat_p != (member(&s.value, "choices") != nullptr)) return;  // structure's part
  if (chat_p) return compare_choices(p, s, f);
  json::value a = comparable(p.value), b = comparable(s.value);
  if (a != b)
    f.different(kContent, versus("body", detail::render(&a, kShown), detail::render(&b, kShown)));
}

constexpr std::int64_t kMaxTokens = std::int64_t{1} << 48;

struct Tokens {
  std::int64_t prompt = 0, completion = 0, total = 0;
};

std::optional<std::int64_t> count(const json::value* usage, std::string_view a,
                                  std::string_view b) {
  for (auto key : {a, b})
    if (auto* v = member(usage, key)) {
      // Clamped, so that no arithmetic below can overflow on a hostile body.
      if (v->is_int64()) return std::clamp<std::int64_t>(v->get_int64(), 0, kMaxTokens);
      if (v->is_uint64()) return kMaxTokens;
    }
  return std::nullopt;
}

std::optional<Tokens> tokens_of(const Body& b) {
  const json::value* u = member(b.json ? &b.value : nullptr, "usage");
  if (!u || !u->is_object()) return std::nullopt;
  Tokens t;
  t.prompt = count(u, "prompt_tokens", "input_tokens").value_or(0);
  t.completion = count(u, "completion_tokens", "output_tokens").value_or(0);
  t.total = count(u, "total_tokens", "total_tokens").value_or(t.prompt + t.completion);
  return t;
}

void compare_tokens(const Body& p, const Body& s, Findings& f, Comparison& c) {
  auto a = tokens_of(p), b = tokens_of(s);
  if (!a && !b) return;
  if (!a || !b)
    return f.different(kTokens, std::string("usage only in ") + (a ? "primary" : "shadow"));
  c.token_delta = b->total - a->total;
  auto within = [](std::int64_t base, std::int64_t other) {
    std::int64_t d = other > base ? other - base : base - other;
    return d * 10 <= base;  // at most 10% of the primary's count
  };
  if (a->prompt == b->prompt && a->completion == b->completion && a->total == b->total) return;
  bool close = within(a->prompt, b->prompt) && within(a->completion, b->completion) &&
               within(a->total, b->total);
  f.add(kTokens, close ? Likeness::kEquivalent : Likeness::kDifferent,
        "prompt " + std::to_string(a->prompt) + " vs " + std::to_string(b->prompt) +
            ", completion " + std::to_string(a->completion) + " vs " +
            std::to_string(b->completion));
}

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kEqual:
      return "equal";
    case Outcome::kEquivalent:
      return "equivalent";
    case Outcome::kDifferent:
      return "different";
  }
  return "?";
}

bool Comparison::has(std::string_view kind) const {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

Comparison compare(const Observed& primary, const Observed& shadow) {
  Comparison c;
  c.latency_delta_us = shadow.latency_us - primary.latency_us;
  Body p = detail::read_body(primary), s = detail::read_body(shadow);
  Findings f;
  if (primary.status != shadow.status)
    f.different(kStatus, std::to_string(primary.status) + " vs " + std::to_string(shadow.status));
  auto ea = error_type(p), eb = error_type(s);
  if (ea != eb)
    f.different(kErrorType, (ea.empty() ? "(none)" : quoted(ea)) + " vs " +
                                (eb.empty() ? "(none)" : quoted(eb)));
  compare_structure(p, s, f);
  // What an error body lacks (model, choices, usage) is its error's doing, not a difference
  // of its own; likewise what a body that is not JSON lacks.
  if (p.json && s.json && ea.empty() && eb.empty()) {
    auto ma = string_at(&p.value, "model"), mb = string_at(&s.value, "model");
    if (!ma.empty() && !mb.empty() && ma != mb)
      f.different(kModel, quoted(ma) + " vs " + quoted(mb));
    compare_content(p, s, f);
    compare_tokens(p, s, f, c);
  } else if (!p.json && !s.json) {
    compare_content(p, s, f);
  }
  f.into(c);
  return c;
}

}  // namespace cutover::traffic
