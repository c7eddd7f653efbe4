#include "traffic/stream_fold.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "traffic/testing/mock_responses.hpp"

namespace cutover::traffic {
namespace {
namespace json = boost::json;
using testing::MockRequest;

FoldedStream must_fold(std::string_view body) {
  auto r = fold_chat_stream(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r.value()) : FoldedStream{};
}

const json::value& at(const json::value& v, std::string_view pointer) {
  return v.at_pointer(pointer);
}

TEST(StreamFold, MockTextStreamFoldsIntoItsWholeCompletion) {
  MockRequest req{std::string(testing::kTextRequest)};
  FoldedStream f = must_fold(testing::mock_stream(req));
  json::value whole = json::parse(testing::mock_json(req));
  EXPECT_TRUE(f.done);
  EXPECT_GT(f.events, 10u);
  const auto& c = f.completion;
  EXPECT_EQ(at(c, "/object"), "chat.completion");
  EXPECT_EQ(at(c, "/id"), at(whole, "/id"));
  EXPECT_EQ(at(c, "/model"), "mock-fast");
  EXPECT_EQ(at(c, "/choices/0/message/role"), "assistant");
  EXPECT_EQ(at(c, "/choices/0/message/content"), at(whole, "/choices/0/message/content"));
  EXPECT_EQ(at(c, "/choices/0/finish_reason"), "stop");
  EXPECT_EQ(at(c, "/usage"), at(whole, "/usage"));
  EXPECT_FALSE(at(c, "/choices/0/message").as_object().contains("tool_calls"));
}

TEST(StreamFold, MockToolCallStreamMergesArguments) {
  MockRequest req{std::string(testing::kToolRequest)};
  FoldedStream f = must_fold(testing::mock_stream(req));
  json::value whole = json::parse(testing::mock_json(req));
  const auto& c = f.completion;
  EXPECT_TRUE(at(c, "/choices/0/message/content").is_null());
  EXPECT_EQ(at(c, "/choices/0/finish_reason"), "tool_calls");
  const auto& got = at(c, "/choices/0/message/tool_calls/0");
  const auto& want = at(whole, "/choices/0/message/tool_calls/0");
  EXPECT_EQ(got, want) << json::serialize(got) << "\n" << json::serialize(want);
  EXPECT_EQ(at(c, "/choices/0/message/tool_calls").as_array().size(), 1u);
  // The arguments arrived in 4-byte pieces and parse again once joined.
  EXPECT_TRUE(json::parse(at(got, "/function/arguments").as_string()).is_object());
}

TEST(StreamFold, WithoutIncludeUsageThereIsNoUsage) {
  MockRequest req{std::string(testing::kTextRequest)};
  FoldedStream f = must_fold(testing::mock_stream(req, false));
  EXPECT_FALSE(f.completion.as_object().contains("usage"));
  EXPECT_TRUE(f.done);
}

TEST(StreamFold, ChoicesAndToolCallsMergeByIndex) {
  // Two choices and two tool calls interleaved, CRLF framing, a comment line, an event
  // after [DONE] (ignored).
  std::string body =
      ": keep-alive\r\n\r\n"
      R"(data: {"id":"c1","model":"m","choices":[{"index":1,"delta":{"role":"assistant","content":"B"}}]})"
      "\r\n\r\n"
      R"(data: {"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[)"
      R"({"index":1,"id":"t1","type":"function","function":{"name":"f1","arguments":"{\"a\""}},)"
      R"({"index":0,"id":"t0","type":"function","function":{"name":"f0","arguments":""}}]}}]})"
      "\r\n\r\n"
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":":1}"}},)"
      R"({"index":0,"function":{"arguments":"{}"}}]}},{"index":1,"delta":{"content":"ye"}}]})"
      "\r\n\r\n"
      R"(data: {"choices":[{"index":1,"delta":{},"finish_reason":"stop"},)"
      R"({"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
      "\r\n\r\n"
      "data: [DONE]\r\n\r\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"late"}}]})"
      "\n\n";
  FoldedStream f = must_fold(body);
  const auto& c = f.completion;
  EXPECT_TRUE(f.done);
  EXPECT_EQ(f.events, 5u);
  EXPECT_EQ(at(c, "/id"), "c1");
  EXPECT_EQ(at(c, "/choices/0/index"), 0);
  EXPECT_TRUE(at(c, "/choices/0/message/content").is_null());
  EXPECT_EQ(at(c, "/choices/0/message/tool_calls/0/function/name"), "f0");
  EXPECT_EQ(at(c, "/choices/0/message/tool_calls/0/function/arguments"), "{}");
  EXPECT_EQ(at(c, "/choices/0/message/tool_calls/1/id"), "t1");
  EXPECT_EQ(at(c, "/choices/0/message/tool_calls/1/function/arguments"), "{\"a\":1}");
  EXPECT_EQ(at(c, "/choices/0/finish_reason"), "tool_calls");
  EXPECT_EQ(at(c, "/choices/1/message/content"), "Bye");
  EXPECT_EQ(at(c, "/choices/1/finish_reason"), "stop");
}

TEST(StreamFold, AStreamCutShortIsNotDone) {
  MockRequest req{std::string(testing::kTextRequest)};
  std::string body = testing::mock_stream(req);
  body.resize(body.size() / 2);
  FoldedStream f = must_fold(body);
  EXPECT_FALSE(f.done);
  EXPECT_TRUE(at(f.completion, "/choices/0/finish_reason").is_null());
}

TEST(StreamFold, AnErrorEventEndsTheFold) {
  std::string body =
      R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
      "\n\n"
      R"(data: {"error":{"message":"provider went away","type":"server_error","code":"upstream_error"}})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"lo"}}]})"
      "\n\n";
  FoldedStream f = must_fold(body);
  EXPECT_FALSE(f.done);
  EXPECT_EQ(at(f.completion, "/error/type"), "server_error");
  EXPECT_EQ(at(f.completion, "/choices/0/message/content"), "Hel");
}

TEST(StreamFold, MalformedStreamsAreErrors) {
  for (std::string_view body :
       {std::string_view(""), std::string_view("hello"), std::string_view("data: not json\n\n"),
        std::string_view("data: [1,2]\n\n"),
        std::string_view("data: {\"choices\":[]}\n\ndata: {\"a\":\n\n")}) {
    auto r = fold_chat_stream(body);
    EXPECT_FALSE(r.ok()) << body;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("not a chat completion stream"), std::string::npos);
    }
  }
  // Odd but JSON: members of the wrong type are ignored, not trusted.
  auto odd = fold_chat_stream(
      "data: {\"choices\":[7,{\"index\":\"x\",\"delta\":{\"content\":5,\"tool_calls\":[3,"
      "{\"function\":7}]}}],\"usage\":[]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(odd.ok()) << odd.error().message();
  EXPECT_EQ(odd->completion.at("choices").as_array().size(), 2u);
}

}  // namespace
}  // namespace cutover::traffic
