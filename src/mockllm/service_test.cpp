#include "mockllm/service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/sse.hpp"

namespace cutover::mockllm {
namespace {
namespace json = boost::json;
namespace net = http::net;
namespace bhttp = http::bhttp;
using std::chrono::milliseconds;

// Records what the handler did instead of writing to a socket.
class RecordingExchange final : public http::Exchange {
 public:
  net::awaitable<bool> send(http::Response res) override {
    response = std::move(res);
    responded_ = true;
    co_return true;
  }
  net::awaitable<bool> send(unsigned status, std::span<const http::Header> headers,
                            std::string_view body) override {
    http::Response res{static_cast<bhttp::status>(status), 11};
    for (const auto& h : headers) res.set(h.name, h.value);
    res.body() = body;
    co_return co_await send(std::move(res));
  }
  net::awaitable<bool> begin_stream(http::ResponseHead h) override {
    head = std::move(h);
    responded_ = true;
    co_return true;
  }
  net::awaitable<bool> write_chunk(std::string_view data) override {
    chunks.emplace_back(data);
    co_return true;
  }
  net::awaitable<bool> end_stream() override {
    ended = true;
    co_return true;
  }
  void abort() override { aborted = true; }
  bool responded() const override { return responded_; }

  std::optional<http::Response> response;
  std::optional<http::ResponseHead> head;
  std::vector<std::string> chunks;
  bool ended = false;
  bool aborted = false;

 private:
  bool responded_ = false;
};

http::Request post(std::string_view target, std::string body) {
  http::Request req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

RecordingExchange run(Service& svc, http::Request req) {
  RecordingExchange ex;
  net::io_context ioc;
  net::co_spawn(ioc, svc.handle(req, ex), [](const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  return ex;
}

json::object body_of(const RecordingExchange& ex) {
  EXPECT_TRUE(ex.response);
  return json::parse(ex.response->body()).as_object();
}

constexpr std::string_view kChat =
    R"({"model":"MODEL","messages":[{"role":"user","content":"Hello"}]STREAM})";

std::string chat(std::string_view model, std::string_view extra = "") {
  std::string s(kChat);
  s.replace(s.find("MODEL"), 5, model);
  s.replace(s.find("STREAM"), 6, extra);
  return s;
}

TEST(MockService, NonStreamingChatCompletion) {
  Service svc({}, 1);
  auto req = post("/v1/chat/completions", chat("mock-fast"));
  req.set("x-request-id", "req-1");
  auto ex = run(svc, std::move(req));
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->result_int(), 200);
  EXPECT_EQ((*ex.response)["x-request-id"], "req-1");
  EXPECT_EQ(ex.response->count("x-mock-behaviour"), 0u);
  auto body = body_of(ex);
  EXPECT_EQ(body.at("object"), "chat.completion");
  EXPECT_EQ(body.at("model"), "mock-fast");
  EXPECT_TRUE(body.at("id").as_string().starts_with("chatcmpl-"));
  EXPECT_TRUE(body.at("system_fingerprint").as_string().starts_with("fp_mock_"));
  auto& choice = body.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(choice.at("message").as_object().at("role"), "assistant");
  auto& usage = body.at("usage").as_object();
  EXPECT_EQ(usage.at("total_tokens").as_int64(),
            usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());
}

TEST(MockService, StreamConcatenatesToTheNonStreamedContent) {
  Service svc({}, 1);
  auto plain = body_of(run(svc, post("/v1/chat/completions", chat("mock-fast"))));
  auto ex = run(
      svc, post("/v1/chat/completions",
                chat("mock-fast", R"(,"stream":true,"stream_options":{"include_usage":true})")));
  ASSERT_TRUE(ex.head);
  EXPECT_EQ((*ex.head)[bhttp::field::content_type], "text/event-stream");
  EXPECT_TRUE(ex.ended);

  http::SseParser sse;
  std::vector<std::string> events;
  for (const auto& c : ex.chunks)
    ASSERT_TRUE(sse.feed(c, [&](std::string_view d) { events.emplace_back(d); }));
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");

  std::string content;
  std::string finish;
  json::object usage;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    auto chunk = json::parse(events[i]).as_object();
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("id"), plain.at("id"));
    auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) {
      usage = chunk.at("usage").as_object();
      continue;
    }
    auto& ch = choices[0].as_object();
    auto& delta = ch.at("delta").as_object();
    if (i == 0) {
      EXPECT_EQ(delta.at("role"), "assistant");
    }
    if (auto* c = delta.if_contains("content")) content += c->as_string();
    if (!ch.at("finish_reason").is_null()) finish = ch.at("finish_reason").as_string();
  }
  auto& message = plain.at("choices").as_array()[0].as_object().at("message").as_object();
  EXPECT_EQ(content, message.at("content").as_string());
  EXPECT_EQ(finish, "stop");
  EXPECT_EQ(usage, plain.at("usage").as_object());
  // role chunk + one per token + finish + usage + [DONE]
  EXPECT_EQ(events.size(), usage.at("completion_tokens").as_int64() + 4u);
}

TEST(MockService, StreamedToolCallArgumentsConcatenate) {
  Service svc({}, 1);
  auto ex = run(
      svc, post("/v1/chat/completions",
                chat("mock-fast", R"(,"stream":true,"tools":[{"type":"function",)"
                                  R"("function":{"name":"f","parameters":{"type":"object",)"
                                  R"("properties":{"q":{"type":"string"}},"required":["q"]}}}])")));
  http::SseParser sse;
  std::string args, name, finish;
  for (const auto& c : ex.chunks)
    sse.feed(c, [&](std::string_view d) {
      if (d == "[DONE]") return;
      auto chunk = json::parse(d);
      auto& ch = chunk.as_object().at("choices").as_array()[0].as_object();
      if (auto* calls = ch.at("delta").as_object().if_contains("tool_calls")) {
        auto& fn = calls->as_array()[0].as_object().at("function").as_object();
        if (auto* n = fn.if_contains("name")) name = n->as_string();
        args += fn.at("arguments").as_string();
      }
      if (!ch.at("finish_reason").is_null()) finish = ch.at("finish_reason").as_string();
    });
  EXPECT_EQ(name, "f");
  EXPECT_EQ(finish, "tool_calls");
  EXPECT_TRUE(json::parse(args).as_object().at("q").is_string()) << args;
}

TEST(MockService, ErrorBehaviours) {
  Service svc({}, 1);
  auto e500 = run(svc, post("/v1/chat/completions", chat("gpt-4o:error-500")));
  EXPECT_EQ(e500.response->result_int(), 500);
  EXPECT_EQ(body_of(e500).at("error").as_object().at("type"), "server_error");
  EXPECT_EQ(body_of(e500).at("error").as_object().at("message"), "mock-llm: injected server error");
  EXPECT_EQ((*e500.response)["x-mock-behaviour"], "error-500");

  auto e429 = run(svc, post("/v1/chat/completions", chat("gpt-4o:error-429")));
  EXPECT_EQ(e429.response->result_int(), 429);
  EXPECT_EQ((*e429.response)[bhttp::field::retry_after], "1");
  EXPECT_EQ(body_of(e429).at("error").as_object().at("type"), "rate_limit_error");

  auto reset = run(svc, post("/v1/chat/completions", chat("gpt-4o:reset")));
  EXPECT_TRUE(reset.aborted);
  EXPECT_FALSE(reset.response);
}

TEST(MockService, OnceBehaviourKeyedByRequestId) {
  Service svc({}, 1);
  auto attempt = [&](std::string_view rid) {
    auto req = post("/v1/chat/completions", chat("m:500-once"));
    req.set("x-request-id", rid);
    return run(svc, std::move(req)).response->result_int();
  };
  EXPECT_EQ(attempt("a"), 500);
  EXPECT_EQ(attempt("a"), 200);
  EXPECT_EQ(attempt("b"), 500);
  // Without a request id the body identifies the request.
  EXPECT_EQ(run(svc, post("/v1/chat/completions", chat("m:429-once"))).response->result_int(), 429);
  EXPECT_EQ(run(svc, post("/v1/chat/completions", chat("m:429-once"))).response->result_int(), 200);
}

TEST(MockService, HangEndsWithoutAResponse) {
  Settings s;
  s.hang_limit = milliseconds(30);
  Service svc(s, 1);
  auto start = std::chrono::steady_clock::now();
  auto ex = run(svc, post("/v1/chat/completions", chat("m:hang")));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  EXPECT_TRUE(ex.aborted);
  EXPECT_FALSE(ex.response);
}

TEST(MockService, DrainDropsHangsAtOnceAndOtherWaitsAtTheDeadline) {
  Service svc({}, 1);
  svc.begin_drain(milliseconds(60'000));
  auto start = std::chrono::steady_clock::now();
  auto hang = run(svc, post("/v1/chat/completions", chat("m:hang")));
  EXPECT_TRUE(hang.aborted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  auto slow = run(svc, post("/v1/chat/completions", chat("m:slow")));
  EXPECT_EQ(slow.response->result_int(), 200) << "in-flight work may finish during drain";

  svc.begin_drain(milliseconds(0));
  auto late = run(svc, post("/v1/chat/completions", chat("m:slow")));
  EXPECT_TRUE(late.aborted);
  EXPECT_FALSE(late.response);
}

TEST(MockService, SlowWaitsItsLatency) {
  Service svc({}, 1);
  auto start = std::chrono::steady_clock::now();
  auto ex = run(svc, post("/v1/chat/completions", chat("m:slow")));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_EQ(ex.response->result_int(), 200);
  EXPECT_EQ((*ex.response)["x-mock-behaviour"], "slow");
}

TEST(MockService, FaultRateOneAlwaysFaultsAndSaysSo) {
  Settings s;
  s.fault_rate = 1.0;
  s.fault = Fault::kRateLimit;
  Service svc(s, 1);
  auto ex = run(svc, post("/v1/embeddings", R"({"model":"mock-embed","input":"x"})"));
  EXPECT_EQ(ex.response->result_int(), 429);
  EXPECT_EQ((*ex.response)["x-mock-behaviour"], "fault-429");
}

TEST(MockService, RequestErrors) {
  Service svc({}, 1);
  auto bad = run(svc, post("/v1/chat/completions", "{not json"));
  EXPECT_EQ(bad.response->result_int(), 400);
  EXPECT_EQ(body_of(bad).at("error").as_object().at("code"), "invalid_json");

  auto no_model = run(svc, post("/v1/chat/completions", R"({"messages":[]})"));
  EXPECT_EQ(no_model.response->result_int(), 400);
  EXPECT_EQ(body_of(no_model).at("error").as_object().at("param"), "model");

  auto unknown = run(svc, post("/v1/chat/completions", chat("gpt-4o:explode")));
  EXPECT_EQ(unknown.response->result_int(), 400);
  EXPECT_NE(body_of(unknown).at("error").as_object().at("message").as_string().find("explode"),
            json::string::npos);

  EXPECT_EQ(run(svc, post("/v2/whatever", "{}")).response->result_int(), 404);
  auto wrong = run(svc, http::Request{bhttp::verb::get, "/v1/chat/completions", 11});
  EXPECT_EQ(wrong.response->result_int(), 405);
  EXPECT_EQ((*wrong.response)[bhttp::field::allow], "POST");
}

TEST(MockService, ModelsAndHealth) {
  Service svc({}, 1);
  auto models = run(svc, http::Request{bhttp::verb::get, "/v1/models", 11});
  auto body = body_of(models);
  EXPECT_EQ(body.at("object"), "list");
  EXPECT_EQ(body.at("data").as_array()[0].as_object().at("id"), "mock-fast");
  auto one = run(svc, http::Request{bhttp::verb::get, "/v1/models/gpt-4o:slow", 11});
  EXPECT_EQ(body_of(one).at("id"), "gpt-4o:slow");
  auto health = run(svc, http::Request{bhttp::verb::get, "/healthz", 11});
  EXPECT_EQ(health.response->body(), "ok");
}

}  // namespace
}  // namespace cutover::mockllm
