#include "mockllm/generator.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <span>

#include "core/hash.hpp"
#include "core/random.hpp"
#include "mockllm/json_schema.hpp"
#include "core/json_text.hpp"

namespace cutover::mockllm {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 64> kWords = {
    "the",    "system", "model",   "answer",  "gateway",  "release", "request", "response",
    "token",  "stream", "latency", "stable",  "quickly",  "careful", "canary",  "traffic",
    "green",  "blue",   "policy",  "audit",   "provider", "context", "value",   "result",
    "simple", "clear",  "data",    "process", "check",    "safe",    "future",  "plan",
    "is",     "are",    "will",    "can",     "should",   "and",     "with",    "for",
    "of",     "to",     "in",      "on",      "every",    "each",    "first",   "next",
    "final",  "small",  "large",   "steady",  "signal",   "metric",  "window",  "budget",
    "review", "deploy", "switch",  "route",   "cache",    "guard",   "prompt",  "output"};

// drift-words: a disjoint vocabulary, so any comparison of wording notices.
constexpr std::array<std::string_view, 64> kDriftWords = {
    "a",      "platform", "outcome", "service",  "reply",     "query",      "unit",    "flow",
    "delay",  "robust",   "rapidly", "cautious", "pilot",     "load",       "jade",    "azure",
    "rule",   "ledger",   "vendor",  "frame",    "figure",    "product",    "plain",   "lucid",
    "record", "handle",   "verify",  "secure",   "horizon",   "scheme",     "was",     "were",
    "would",  "could",    "might",   "plus",     "alongside", "toward",     "from",    "into",
    "under",  "over",     "any",     "per",      "initial",   "subsequent", "closing", "tiny",
    "huge",   "constant", "beacon",  "gauge",    "span",      "allowance",  "survey",  "rollout",
    "toggle", "path",     "store",   "shield",   "lantern",   "yield",      "harbor",  "orbit"};

constexpr std::size_t kJsonPiece = 4;  // bytes per token of JSON text

std::uint64_t seed_of(const ChatInput& in) {
  std::uint64_t h = hash64(base_model(in.model));
  if (in.prompt) {
    if (in.prompt->is_string()) {
      h = hash64(in.prompt->get_string(), h);
    } else if (in.prompt->is_array()) {
      for (const auto& part : in.prompt->get_array())
        if (auto* t = part.is_object() ? part.get_object().if_contains("text") : nullptr;
            t && t->is_string())
          h = hash64(t->get_string(), h);
    }
  }
  if (in.drift.has(Behaviour::kDriftWords)) h = hash64("drift-words", h);
  return h;
}

std::string prompt_text(const ChatInput& in) {
  std::string out;
  if (!in.prompt) return out;
  if (in.prompt->is_string()) return std::string(in.prompt->get_string());
  if (!in.prompt->is_array()) return out;
  for (const auto& part : in.prompt->get_array()) {
    auto* t = part.is_object() ? part.get_object().if_contains("text") : nullptr;
    if (!t || !t->is_string()) continue;
    if (!out.empty()) out += '\n';
    out += t->get_string();
  }
  return out;
}

// Sentences of n words from the vocabulary; each token is one word with its leading space.
void append_sentences(Completion& c, Random& rng, std::span<const std::string_view> words,
                      std::size_t n) {
  std::size_t until_stop = 5 + rng.next() % 8;
  bool capital = true;
  for (std::size_t i = 0; i < n; ++i) {
    if (!c.text.empty()) c.text += ' ';
    std::size_t start = c.text.size();
    c.text += words[rng.next() % words.size()];
    if (capital && c.text[start] >= 'a' && c.text[start] <= 'z') c.text[start] -= 'a' - 'A';
    capital = false;
    if (--until_stop == 0 || i + 1 == n) {
      c.text += '.';
      capital = true;
      until_stop = 5 + rng.next() % 8;
    }
    c.ends.push_back(static_cast<std::uint32_t>(c.text.size()));
  }
}

// Splits text into tokens at whitespace: each token is the whitespace before a word + the word.
void split_words(Completion& c) {
  auto space = [](char ch) { return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r'; };
  std::size_t i = 0, n = c.text.size();
  while (i < n) {
    while (i < n && space(c.text[i])) ++i;
    while (i < n && !space(c.text[i])) ++i;
    c.ends.push_back(static_cast<std::uint32_t>(i));
  }
}

// Fixed-size pieces, never splitting a UTF-8 sequence (each delta must be valid UTF-8).
void split_pieces(Completion& c) {
  std::size_t i = 0, n = c.text.size();
  c.ends.reserve(n / kJsonPiece + 1);
  while (i < n) {
    std::size_t e = std::min(i + kJsonPiece, n);
    while (e < n && (static_cast<unsigned char>(c.text[e]) & 0xC0) == 0x80) ++e;
    c.ends.push_back(static_cast<std::uint32_t>(e));
    i = e;
  }
}

// drift-json: a proper prefix of an object or array never parses; a scalar gets an
// unclosed brace in front.
void break_json(std::string& text) {
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
    std::size_t cut = text.size() * 2 / 3;
    while (cut > 1 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(std::max<std::size_t>(cut, 1));
  } else {
    text.insert(text.begin(), '{');
  }
}

void text_answer(const ChatInput& in, Completion& c, Random& rng) {
  bool drift_words = in.drift.has(Behaviour::kDriftWords);
  bool drift_tokens = in.drift.has(Behaviour::kDriftTokens);
  if (base_model(in.model) == "echo") {
    std::string p = prompt_text(in);
    if (drift_words)
      for (char& ch : p)
        if (ch >= 'a' && ch <= 'z') ch -= 'a' - 'A';
    c.text = drift_tokens && !p.empty() ? p + ' ' + p : std::move(p);
    split_words(c);
    return;
  }
  std::size_t n = 12 + rng.next() % 37;
  if (drift_tokens) n *= 2;
  c.text.reserve(n * 8);
  c.ends.reserve(n);
  append_sentences(c, rng, drift_words ? std::span(kDriftWords) : std::span(kWords), n);
}

// drift-tokens makes string values four words long instead of one.
ExampleSource example_source(const ChatInput& in, Random& rng) {
  return {rng, in.drift.has(Behaviour::kDriftWords) ? std::span(kDriftWords) : std::span(kWords),
          in.drift.has(Behaviour::kDriftTokens) ? 4 : 1};
}

void json_answer(const ChatInput& in, Completion& c, Random& rng) {
  auto words = in.drift.has(Behaviour::kDriftWords) ? std::span(kDriftWords) : std::span(kWords);
  if (in.format == ResponseFormat::kJsonSchema && in.schema) {
    append_example(c.text, *in.schema, example_source(in, rng));
  } else {
    Completion sentence;
    std::size_t n = 6 + rng.next() % 19;
    if (in.drift.has(Behaviour::kDriftTokens)) n *= 2;
    append_sentences(sentence, rng, words, n);
    c.text += "{\"answer\":";
    append_json_string(c.text, sentence.text);
    c.text += ",\"model\":";
    append_json_string(c.text, in.model);
    c.text += '}';
  }
}

void tool_answer(const ChatInput& in, Completion& c, Random& rng, std::uint64_t seed) {
  ToolCall call;
  call.name = std::string(in.tool->at("name").get_string());
  call.id = "call_";
  append_hex(call.id, hash64("call", seed), 16);
  append_hex(call.id, hash64(call.name, seed), 8);
  const json::value* params = in.tool->if_contains("parameters");
  if (params && params->is_object() && !params->get_object().empty())
    append_example(c.text, *params, example_source(in, rng));
  else
    c.text = "{}";
  c.tool_call = std::move(call);
}

}  // namespace

std::uint32_t estimate_prompt_tokens(std::size_t chars, std::size_t messages) {
  return static_cast<std::uint32_t>((chars + 3) / 4 + 3 * messages);
}

Completion generate(const ChatInput& in) {
  Completion c;
  c.seed = seed_of(in);
  Random rng(c.seed);
  bool structured = true;
  if (in.tool)
    tool_answer(in, c, rng, c.seed);
  else if (in.format != ResponseFormat::kText)
    json_answer(in, c, rng);
  else
    structured = false;

  if (structured) {
    if (in.drift.has(Behaviour::kDriftJson)) break_json(c.text);
    split_pieces(c);
  } else {
    text_answer(in, c, rng);
  }
  c.finish_reason = c.tool_call ? "tool_calls" : "stop";
  if (in.max_tokens && c.ends.size() > *in.max_tokens) {
    c.ends.resize(*in.max_tokens);
    c.text.resize(c.ends.back());
    c.finish_reason = "length";
  }
  c.prompt_tokens = estimate_prompt_tokens(in.content_chars, in.messages);
  c.completion_tokens = static_cast<std::uint32_t>(c.ends.size());
  return c;
}

}  // namespace cutover::mockllm
