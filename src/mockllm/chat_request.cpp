#include "mockllm/chat_request.hpp"

#include <boost/json.hpp>
#include <limits>
#include <string>

namespace cutover::mockllm {
namespace json = boost::json;
namespace {

Error invalid(std::string message, std::string param) {
  return Error(ErrorCode::kInvalidRequest, std::move(message)).with_param(std::move(param));
}

std::string indexed(std::string_view base, std::size_t i, std::string_view rest = {}) {
  std::string s(base);
  s += '[';
  s += std::to_string(i);
  s += ']';
  s += rest;
  return s;
}

// Characters of text in a message content (string or array of parts); false when malformed.
bool content_chars(const json::value& content, std::size_t& chars) {
  if (content.is_string()) {
    chars += content.get_string().size();
    return true;
  }
  if (content.is_null()) return true;
  if (!content.is_array()) return false;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) return false;
    if (auto* t = part.get_object().if_contains("text"); t && t->is_string())
      chars += t->get_string().size();
  }
  return true;
}

Status read_messages(const json::object& body, ChatInput& in) {
  auto* m = body.if_contains("messages");
  if (!m || !m->is_array() || m->get_array().empty())
    return invalid("'messages' is required: a non-empty array of {\"role\", \"content\"} objects",
                   "messages");
  const auto& messages = m->get_array();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& msg = messages[i];
    const json::string* role = nullptr;
    if (msg.is_object())
      if (auto* r = msg.get_object().if_contains("role"); r && r->is_string())
        role = &r->get_string();
    if (!role)
      return invalid("each message needs a string 'role' (system, user, assistant, tool)",
                     indexed("messages", i, ".role"));
    const json::value* content = msg.get_object().if_contains("content");
    if (content && !content_chars(*content, in.content_chars))
      return invalid("message content must be a string, null or an array of parts",
                     indexed("messages", i, ".content"));
    if (*role == "user" && content) in.prompt = content;
  }
  in.messages = messages.size();
  return {};
}

Status read_max_tokens(const json::object& body, ChatInput& in) {
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    auto* v = body.if_contains(key);
    if (!v || v->is_null()) continue;
    std::int64_t n = 0;  // anything but a positive integer is refused below
    if (v->is_int64()) n = v->get_int64();
    if (v->is_uint64()) n = std::numeric_limits<std::int64_t>::max();
    if (n < 1) return invalid(std::string("'") + key + "' must be a positive integer", key);
    in.max_tokens = static_cast<std::uint32_t>(
        std::min<std::int64_t>(n, std::numeric_limits<std::uint32_t>::max()));
    return {};
  }
  return {};
}

Status read_tools(const json::object& body, ChatInput& in) {
  auto* t = body.if_contains("tools");
  if (!t || t->is_null()) return {};
  if (!t->is_array())
    return invalid("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}",
                   "tools");
  const json::object* first = nullptr;
  std::vector<const json::object*> functions;
  const auto& tools = t->get_array();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const json::object* fn = nullptr;
    if (tools[i].is_object())
      if (auto* f = tools[i].get_object().if_contains("function"); f && f->is_object())
        fn = &f->get_object();
    if (!fn) continue;  // other tool kinds are not callable by the mock
    auto* name = fn->if_contains("name");
    if (!name || !name->is_string() || name->get_string().empty())
      return invalid("each function tool needs a non-empty 'name'",
                     indexed("tools", i, ".function.name"));
    if (!first) first = fn;
    functions.push_back(fn);
  }

  auto* choice = body.if_contains("tool_choice");
  if (!choice || choice->is_null()) {
    in.tool = first;
    return {};
  }
  if (choice->is_string()) {
    const auto& c = choice->get_string();
    if (c == "none") return {};
    if (c == "auto" || c == "required") {
      in.tool = first;
      return {};
    }
    return invalid(
        "'tool_choice' must be none, auto, required or {\"type\": \"function\", "
        "\"function\": {\"name\": ...}}",
        "tool_choice");
  }
  const json::string* wanted = nullptr;
  if (choice->is_object())
    if (auto* f = choice->get_object().if_contains("function"); f && f->is_object())
      if (auto* n = f->get_object().if_contains("name"); n && n->is_string())
        wanted = &n->get_string();
  if (!wanted)
    return invalid(
        "'tool_choice' object must name a function: {\"type\": \"function\", "
        "\"function\": {\"name\": ...}}",
        "tool_choice");
  for (const auto* fn : functions)
    if (fn->at("name").get_string() == *wanted) {
      in.tool = fn;
      return {};
    }
  return invalid(
      "'tool_choice' names function '" + std::string(*wanted) + "' which is not among 'tools'",
      "tool_choice");
}

Status read_response_format(const json::object& body, ChatInput& in) {
  auto* rf = body.if_contains("response_format");
  if (!rf || rf->is_null()) return {};
  const json::string* type = nullptr;
  if (rf->is_object())
    if (auto* t = rf->get_object().if_contains("type"); t && t->is_string())
      type = &t->get_string();
  if (!type || (*type != "text" && *type != "json_object" && *type != "json_schema"))
    return invalid("'response_format.type' must be text, json_object or json_schema",
                   "response_format.type");
  if (*type == "json_object") in.format = ResponseFormat::kJsonObject;
  if (*type == "json_schema") {
    in.format = ResponseFormat::kJsonSchema;
    if (auto* js = rf->get_object().if_contains("json_schema"); js && js->is_object())
      if (auto* s = js->get_object().if_contains("schema"); s && s->is_object()) in.schema = s;
  }
  return {};
}

}  // namespace

Result<ChatInput> read_chat_request(const json::object& body) {
  ChatInput in;
  auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty())
    return invalid("'model' is required: a model name such as \"mock-fast\" or \"mock-fast:slow\"",
                   "model");
  in.model = model->get_string();
  for (auto read : {read_messages, read_max_tokens, read_tools, read_response_format})
    if (Status st = read(body, in); !st) return std::move(st.error());

  if (auto* s = body.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return invalid("'stream' must be a boolean", "stream");
    in.stream = s->get_bool();
  }
  if (auto* so = body.if_contains("stream_options"); so && so->is_object())
    if (auto* u = so->get_object().if_contains("include_usage"); u && u->is_bool())
      in.include_usage = u->get_bool();
  return in;
}

}  // namespace cutover::mockllm
