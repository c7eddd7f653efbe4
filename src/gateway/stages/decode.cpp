#include "gateway/stages/decode.hpp"

#include <boost/json/parse.hpp>

namespace cutover::gateway {
namespace json = boost::json;

Status Decode::check(RequestContext& ctx) {
  // Like the OpenAI API, the body decides: curl's default form Content-Type is common.
  json::error_code ec;
  json::value v = json::parse(ctx.request.body(), ec, &ctx.json_memory);
  if (ec)
    return Error(ErrorCode::kInvalidJson,
                 "We could not parse the JSON body of your request (" + ec.message() +
                     "). Send a valid JSON object.");
  if (!v.is_object())
    return Error(ErrorCode::kInvalidJson, "The request body must be a JSON object.");
  ctx.body = std::move(v.as_object());

  auto* model = ctx.body.if_contains("model");
  if (!model) return Error(ErrorCode::kInvalidRequest, "Missing required parameter: 'model'.").with_param("model");
  if (!model->is_string() || model->as_string().empty())
    return Error(ErrorCode::kInvalidRequest, "'model' must be a non-empty string.").with_param("model");
  ctx.model = model->as_string();

  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    auto* m = ctx.body.if_contains(k);
    if (!m || m->is_null()) continue;
    if (!m->is_int64() || m->as_int64() < 1)
      return Error(ErrorCode::kInvalidRequest, std::string("'") + k + "' must be a positive integer.").with_param(k);
    ctx.max_tokens = m->as_int64();
  }
  if (ctx.endpoint == Endpoint::kChatCompletions) {
    auto* messages = ctx.body.if_contains("messages");
    if (!messages)
      return Error(ErrorCode::kInvalidRequest, "Missing required parameter: 'messages'.").with_param("messages");
    if (!messages->is_array() || messages->as_array().empty())
      return Error(ErrorCode::kInvalidRequest, "'messages' must be a non-empty array.").with_param("messages");
    if (auto* s = ctx.body.if_contains("stream"); s && !s->is_null()) {
      if (!s->is_bool()) return Error(ErrorCode::kInvalidRequest, "'stream' must be a boolean.").with_param("stream");
      ctx.stream = s->as_bool();
    }
    if (auto* so = ctx.body.if_contains("stream_options"); so && so->is_object())
      if (auto* u = so->as_object().if_contains("include_usage"); u && u->is_bool())
        ctx.client_wants_usage = u->as_bool();
  } else if (ctx.endpoint == Endpoint::kEmbeddings) {
    if (!ctx.body.if_contains("input"))
      return Error(ErrorCode::kInvalidRequest, "Missing required parameter: 'input'.").with_param("input");
  }
  return {};
}

}  // namespace cutover::gateway
