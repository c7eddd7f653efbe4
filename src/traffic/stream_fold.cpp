#include "traffic/stream_fold.hpp"

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>

#include "http/sse.hpp"

namespace cutover::traffic {
namespace json = boost::json;
namespace {

struct ToolCallState {
  json::value id, type, name;  // null until a delta carries them
  std::string arguments;
};

struct ChoiceState {
  json::value role;
  std::optional<std::string> content, refusal;
  std::map<std::int64_t, ToolCallState> tool_calls;
  json::value finish_reason;
};

// A member's integer "index", else the position it came at.
std::int64_t index_of(const json::value& v, std::size_t position) {
  if (v.is_object())
    if (auto* i = v.get_object().if_contains("index"); i && i->is_int64() && i->get_int64() >= 0)
      return i->get_int64();
  return static_cast<std::int64_t>(position);
}

void append_string(std::optional<std::string>& out, const json::value* v) {
  if (!v || !v->is_string()) return;
  if (!out) out.emplace();
  out->append(v->get_string());
}

void set_once(json::value& out, const json::value* v) {
  if (out.is_null() && v && !v->is_null()) out = *v;
}

class Folder {
 public:
  // False when the event is not a JSON object.
  bool chunk(const json::value& v) {
    if (!v.is_object()) return false;
    const auto& o = v.get_object();
    if (auto* e = o.if_contains("error"); e && !e->is_null()) {
      error_ = *e;
      return true;
    }
    for (auto key : {"id", "created", "model", "system_fingerprint"})
      if (auto* m = o.if_contains(key); m && !head_.contains(key)) head_[key] = *m;
    if (auto* u = o.if_contains("usage"); u && !u->is_null()) usage_ = *u;
    auto* choices = o.if_contains("choices");
    if (!choices || !choices->is_array()) return true;
    const auto& list = choices->get_array();
    for (std::size_t i = 0; i < list.size(); ++i) choice(list[i], index_of(list[i], i));
    return true;
  }

  bool errored() const { return !error_.is_null(); }

  json::value result() const {
    json::object out;
    for (auto key : {"id", "created", "model", "system_fingerprint"})
      if (auto* m = head_.if_contains(key)) out[key] = *m;
    out["object"] = "chat.completion";
    json::array choices;
    for (const auto& [index, c] : choices_) {
      json::object message;
      message["role"] = c.role.is_null() ? json::value("assistant") : c.role;
      message["content"] = c.content ? json::value(*c.content) : json::value(nullptr);
      if (c.refusal) message["refusal"] = *c.refusal;
      if (!c.tool_calls.empty()) {
        json::array calls;
        for (const auto& [_, t] : c.tool_calls)
          calls.push_back(json::object{
              {"id", t.id},
              {"type", t.type.is_null() ? json::value("function") : t.type},
              {"function", json::object{{"name", t.name}, {"arguments", t.arguments}}}});
        message["tool_calls"] = std::move(calls);
      }
      choices.push_back(json::object{
          {"index", index}, {"message", std::move(message)}, {"finish_reason", c.finish_reason}});
    }
    out["choices"] = std::move(choices);
    if (!usage_.is_null()) out["usage"] = usage_;
    if (!error_.is_null()) out["error"] = error_;
    return out;
  }

 private:
  void choice(const json::value& v, std::int64_t index) {
    ChoiceState& c = choices_[index];
    if (!v.is_object()) return;
    const auto& o = v.get_object();
    if (auto* f = o.if_contains("finish_reason"); f && !f->is_null()) c.finish_reason = *f;
    auto* delta = o.if_contains("delta");
    if (!delta || !delta->is_object()) return;
    const auto& d = delta->get_object();
    set_once(c.role, d.if_contains("role"));
    append_string(c.content, d.if_contains("content"));
    append_string(c.refusal, d.if_contains("refusal"));
    auto* calls = d.if_contains("tool_calls");
    if (!calls || !calls->is_array()) return;
    const auto& list = calls->get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_object()) continue;
      const auto& call = list[i].get_object();
      ToolCallState& t = c.tool_calls[index_of(list[i], i)];
      set_once(t.id, call.if_contains("id"));
      set_once(t.type, call.if_contains("type"));
      auto* fn = call.if_contains("function");
      if (!fn || !fn->is_object()) continue;
      set_once(t.name, fn->get_object().if_contains("name"));
      if (auto* a = fn->get_object().if_contains("arguments"); a && a->is_string())
        t.arguments.append(a->get_string());
    }
  }

  json::object head_;
  std::map<std::int64_t, ChoiceState> choices_;
  json::value usage_;
  json::value error_;
};

}  // namespace

Result<FoldedStream> fold_chat_stream(std::string_view body) {
  FoldedStream out;
  Folder folder;
  std::optional<std::string> problem;
  http::SseParser parser;
  bool within_limit = parser.feed(body, [&](std::string_view data) {
    if (out.done || problem || folder.errored()) return;
    ++out.events;
    if (data == "[DONE]") {
      out.done = true;
      return;
    }
    json::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !folder.chunk(v))
      problem = "event " + std::to_string(out.events) + " is not a JSON object";
  });
  if (!within_limit) problem = "an event is larger than the SSE limit";
  if (!problem && out.events == 0) problem = "no data events";
  if (problem) return Error(ErrorCode::kUpstreamError, "not a chat completion stream: " + *problem);
  out.completion = folder.result();
  return out;
}

}  // namespace cutover::traffic
