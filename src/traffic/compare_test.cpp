#include "traffic/compare.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/error.hpp"
#include "store/canonical_json.hpp"
#include "traffic/testing/mock_responses.hpp"

namespace cutover::traffic {
namespace {
namespace json = boost::json;
using testing::drift_of;
using testing::MockRequest;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kSse = "text/event-stream";

// Owns the bodies the Observed views point into.
struct Response {
  int status = 200;
  std::string content_type{kJson};
  std::string body;
  std::int64_t latency_us = 1000;
  Observed observed() const { return {status, content_type, body, latency_us}; }
};

Response whole(const MockRequest& r) { return {200, std::string(kJson), testing::mock_json(r)}; }
Response streamed(const MockRequest& r) {
  return {200, std::string(kSse), testing::mock_stream(r)};
}
Response error_response(ErrorCode code) {
  Error e(code, "mock-llm: injected failure");
  return {e.http_status(), std::string(kJson), e.to_openai_json()};
}

Comparison run(const Response& a, const Response& b) { return compare(a.observed(), b.observed()); }

std::string kinds_of(const Comparison& c) {
  std::string s;
  for (auto k : c.kinds) {
    if (!s.empty()) s += ',';
    s.append(k);
  }
  return s;
}

// Edits a JSON body in place.
template <class F>
std::string edited(const std::string& body, F&& f) {
  json::value v = json::parse(body);
  f(v);
  return json::serialize(v);
}

MockRequest text() { return {std::string(testing::kTextRequest)}; }

TEST(ShadowCompare, IdenticalResponsesAreEqualWhateverTheVolatileMembers) {
  MockRequest a = text(), b = text();
  b.created = a.created + 7;
  Response x = whole(a), y = whole(b);
  y.latency_us = 4500;
  y.body = edited(y.body, [](json::value& v) {
    v.as_object()["id"] = "chatcmpl-other";
    v.as_object()["system_fingerprint"] = "fp_other";
  });
  Comparison c = run(x, y);
  EXPECT_EQ(c.outcome, Outcome::kEqual) << c.sample;
  EXPECT_TRUE(c.kinds.empty());
  EXPECT_TRUE(c.sample.empty());
  EXPECT_EQ(c.token_delta, 0);
  EXPECT_EQ(c.latency_delta_us, 3500) << "reported, never a difference";
  EXPECT_EQ(outcome_name(c.outcome), "equal");
}

TEST(ShadowCompare, IdenticalStreamsAreEqual) {
  for (auto req : {testing::kTextRequest, testing::kToolRequest, testing::kJsonRequest}) {
    MockRequest a{std::string(req)}, b{std::string(req)};
    b.created += 1;
    Comparison c = run(streamed(a), streamed(b));
    EXPECT_EQ(c.outcome, Outcome::kEqual) << req << "\n" << c.sample;
  }
}

TEST(ShadowCompare, DriftSlowChangesOnlyLatency) {
  MockRequest slow = text();
  slow.drift = drift_of("slow");
  Response x = whole(text()), y = whole(slow);
  y.latency_us = 3 * x.latency_us;
  Comparison c = run(x, y);
  EXPECT_EQ(c.outcome, Outcome::kEqual) << c.sample;
  EXPECT_EQ(c.latency_delta_us, 2 * x.latency_us);
}

TEST(ShadowCompare, DriftWordsIsDifferentContent) {
  MockRequest drifted = text();
  drifted.drift = drift_of("words");
  for (bool stream : {false, true}) {
    Comparison c =
        stream ? run(streamed(text()), streamed(drifted)) : run(whole(text()), whole(drifted));
    EXPECT_EQ(c.outcome, Outcome::kDifferent);
    EXPECT_TRUE(c.has("content")) << kinds_of(c);
    EXPECT_FALSE(c.has("structure")) << c.sample;
    EXPECT_FALSE(c.has("status"));
    EXPECT_EQ(c.sample.rfind("content: choices[0].message.content: \"", 0), 0u) << c.sample;
  }
}

TEST(ShadowCompare, CaseOnlyDriftIsEquivalent) {
  // The echo model's drift-words upper-cases the prompt: same words, other case.
  MockRequest a{std::string(testing::kEchoRequest)}, b = a;
  b.drift = drift_of("words");
  Comparison c = run(whole(a), whole(b));
  EXPECT_EQ(c.outcome, Outcome::kEquivalent) << c.sample;
  EXPECT_EQ(kinds_of(c), "content");
  EXPECT_NE(c.sample.find("SHIP THE GREEN GATEWAY TODAY"), std::string::npos) << c.sample;
  // Whitespace only, likewise.
  Response x = whole(a), y = x;
  y.body = edited(y.body, [](json::value& v) {
    v.at_pointer("/choices/0/message/content") = "  Ship the green\n gateway   today ";
  });
  EXPECT_EQ(run(x, y).outcome, Outcome::kEquivalent);
}

TEST(ShadowCompare, DriftTokensIsDifferentTokensAndContent) {
  MockRequest drifted = text();
  drifted.drift = drift_of("tokens");
  Comparison c = run(whole(text()), whole(drifted));
  EXPECT_EQ(c.outcome, Outcome::kDifferent);
  EXPECT_EQ(kinds_of(c), "content,tokens");
  EXPECT_GT(c.token_delta, 0);
}

TEST(ShadowCompare, TokenUsageWithinTenPercentIsEquivalent) {
  Response x = whole(text()), y = x, z = x;
  std::int64_t completion = json::parse(x.body).at_pointer("/usage/completion_tokens").as_int64();
  auto with_completion = [&](std::int64_t n) {
    return edited(x.body, [&](json::value& v) {
      std::int64_t prompt = v.at_pointer("/usage/prompt_tokens").as_int64();
      v.at_pointer("/usage/completion_tokens") = n;
      v.at_pointer("/usage/total_tokens") = prompt + n;
    });
  };
  y.body = with_completion(completion + completion / 10);
  Comparison c = run(x, y);
  EXPECT_EQ(c.outcome, Outcome::kEquivalent) << c.sample;
  EXPECT_EQ(kinds_of(c), "tokens");
  EXPECT_EQ(c.token_delta, completion / 10);
  z.body = with_completion(completion * 2);
  EXPECT_EQ(run(x, z).outcome, Outcome::kDifferent);
  EXPECT_EQ(run(x, z).sample.rfind("tokens: prompt", 0), 0u);
}

TEST(ShadowCompare, DriftJsonIsAStructureDifference) {
  MockRequest a{std::string(testing::kJsonRequest)}, b = a;
  b.drift = drift_of("json");
  for (bool stream : {false, true}) {
    Comparison c = stream ? run(streamed(a), streamed(b)) : run(whole(a), whole(b));
    EXPECT_EQ(c.outcome, Outcome::kDifferent);
    EXPECT_TRUE(c.has("structure")) << kinds_of(c);
    EXPECT_TRUE(c.has("content"));
    EXPECT_NE(c.sample.find("choices[].message.content(json)"), std::string::npos) << c.sample;
    EXPECT_NE(c.sample.find("only in primary"), std::string::npos) << c.sample;
  }
}

TEST(ShadowCompare, JsonContentComparesAsJson) {
  Response x = whole(MockRequest{std::string(testing::kJsonRequest)}), y = x;
  y.body = edited(y.body, [](json::value& v) {
    auto& content = v.at_pointer("/choices/0/message/content");
    json::value inner = json::parse(content.as_string());
    content = store::pretty_json(inner);  // other layout and key order, same value
  });
  ASSERT_NE(x.body, y.body);
  EXPECT_EQ(run(x, y).outcome, Outcome::kEqual) << run(x, y).sample;
}

TEST(ShadowCompare, ToolCallArgumentsNamesAndCount) {
  MockRequest a{std::string(testing::kToolRequest)}, b = a;
  b.drift = drift_of("words");  // other string values in the arguments
  Comparison c = run(whole(a), whole(b));
  EXPECT_EQ(c.outcome, Outcome::kDifferent);
  EXPECT_TRUE(c.has("tool_calls")) << kinds_of(c);
  EXPECT_FALSE(c.has("content")) << c.sample;
  EXPECT_EQ(c.sample.rfind("tool_calls: choices[0].message.tool_calls[0].function.arguments", 0),
            0u)
      << c.sample;

  Response x = whole(a), renamed = x, reordered = x, extra = x;
  renamed.body = edited(x.body, [](json::value& v) {
    v.at_pointer("/choices/0/message/tool_calls/0/function/name") = "get_forecast";
  });
  EXPECT_NE(run(x, renamed).sample.find(".function.name: \"get_weather\" vs \"get_forecast\""),
            std::string::npos)
      << run(x, renamed).sample;
  reordered.body = edited(x.body, [](json::value& v) {
    auto& args = v.at_pointer("/choices/0/message/tool_calls/0/function/arguments");
    args = store::pretty_json(json::parse(args.as_string()));
    v.at_pointer("/choices/0/message/tool_calls/0/id") = "call_other";  // volatile
  });
  EXPECT_EQ(run(x, reordered).outcome, Outcome::kEqual) << run(x, reordered).sample;
  extra.body = edited(x.body, [](json::value& v) {
    auto& calls = v.at_pointer("/choices/0/message/tool_calls").as_array();
    calls.push_back(calls[0]);
  });
  EXPECT_EQ(kinds_of(run(x, extra)), "tool_calls");
}

TEST(ShadowCompare, StatusAndErrorType) {
  Response ok = whole(text());
  Response server = error_response(ErrorCode::kInternal);
  Comparison c = run(ok, server);
  EXPECT_EQ(c.outcome, Outcome::kDifferent);
  EXPECT_EQ(kinds_of(c), "status,error_type,structure");
  EXPECT_EQ(c.sample, "status: 200 vs 500");

  Comparison same =
      run(error_response(ErrorCode::kUpstreamError), error_response(ErrorCode::kUpstreamError));
  EXPECT_EQ(same.outcome, Outcome::kEqual) << same.sample;
  Response worded = error_response(ErrorCode::kUpstreamError);
  worded.body = Error(ErrorCode::kUpstreamError, "another message").to_openai_json();
  EXPECT_EQ(run(error_response(ErrorCode::kUpstreamError), worded).outcome, Outcome::kEqual)
      << "messages are not compared";

  Response a = error_response(ErrorCode::kUpstreamError);
  Response b = error_response(ErrorCode::kUpstreamConnect);
  ASSERT_EQ(a.status, b.status);
  Comparison t = run(a, b);
  EXPECT_EQ(kinds_of(t), "error_type");
  EXPECT_EQ(
      t.sample,
      "error_type: \"upstream_error/upstream_error\" vs \"upstream_error/upstream_unreachable\"")
      << t.sample;
}

TEST(ShadowCompare, StreamVersusWholeAndCutShortStreams) {
  Comparison c = run(streamed(text()), whole(text()));
  EXPECT_TRUE(c.has("structure"));
  EXPECT_EQ(c.sample, "structure: primary streamed, shadow did not");

  Response full = streamed(text()), cut = full;
  cut.body.resize(cut.body.rfind("data: [DONE]"));
  Comparison d = run(full, cut);
  EXPECT_EQ(d.outcome, Outcome::kDifferent);
  EXPECT_EQ(d.sample, "structure: shadow stream ended without [DONE]");

  Response broken = full;
  broken.body.insert(broken.body.find("\n\n") + 2,
                     "data: {\"error\":{\"message\":\"x\",\"type\":\"server_error\"}}\n\n");
  EXPECT_TRUE(run(full, broken).has("error_type"));
}

TEST(ShadowCompare, ModelDifferenceIsItsOwnKind) {
  MockRequest suffixed = text();
  suffixed.body =
      edited(suffixed.body, [](json::value& v) { v.as_object()["model"] = "mock-fast:slow"; });
  Comparison c = run(whole(text()), whole(suffixed));
  EXPECT_EQ(kinds_of(c), "model") << c.sample;
  EXPECT_EQ(c.sample, "model: \"mock-fast\" vs \"mock-fast:slow\"");
}

TEST(ShadowCompare, OtherJsonComparesAsAValue) {
  Response a{200, std::string(kJson),
             R"({"object":"list","data":[{"embedding":[0.1,0.2]}],"id":"e1"})"};
  Response b = a, d = a;
  b.body = R"({"id":"e2","data":[{"embedding":[0.1,0.2]}],"object":"list"})";
  EXPECT_EQ(run(a, b).outcome, Outcome::kEqual);
  d.body = R"({"object":"list","data":[{"embedding":[0.1,0.3]}]})";
  EXPECT_EQ(kinds_of(run(a, d)), "content");
}

TEST(ShadowCompare, MalformedBodiesCompareAsBytesWithoutCrashing) {
  Response a{502, "text/plain", "bad gateway"}, b = a;
  EXPECT_EQ(run(a, b).outcome, Outcome::kEqual);
  b.body = "Bad  Gateway\n";
  EXPECT_EQ(run(a, b).outcome, Outcome::kEquivalent);
  b.body = "upstream reset";
  EXPECT_EQ(kinds_of(run(a, b)), "content");

  Response json_body = whole(text()), truncated = json_body;
  truncated.body.resize(truncated.body.size() / 2);
  Comparison t = run(json_body, truncated);
  EXPECT_EQ(t.outcome, Outcome::kDifferent);
  EXPECT_EQ(t.sample, "structure: primary body is JSON, shadow's is not");

  Response garbage_stream{200, std::string(kSse), "data: {nope\n\n"};
  EXPECT_EQ(run(garbage_stream, garbage_stream).outcome, Outcome::kEqual);
  EXPECT_EQ(run(streamed(text()), garbage_stream).outcome, Outcome::kDifferent);

  std::string deep(100'000, '[');
  std::vector<Response> odd = {
      {200, std::string(kJson), ""},
      {200, std::string(kJson), deep},
      {200, std::string(kJson), "null"},
      {200, std::string(kJson), "[1,2,3]"},
      {200, std::string(kJson), R"({"choices":7,"usage":{"prompt_tokens":"x"}})"},
      {200, std::string(kJson), R"({"choices":[null,{"message":[]}],"error":5})"},
      {200, std::string(kJson), R"({"usage":{"prompt_tokens":18446744073709551615}})"},
      {200, std::string(kSse), "data: [DONE]\n\n"},
      {200, std::string(kSse), std::string("data: \xff\xfe\n\n")},
      {200, "TEXT/EVENT-STREAM; charset=utf-8", testing::mock_stream(text())},
  };
  for (const auto& x : odd)
    for (const auto& y : odd) {
      Comparison c = run(x, y);
      EXPECT_LE(c.sample.size(), kMaxSample);
      if (&x == &y) {
        EXPECT_EQ(c.outcome, Outcome::kEqual) << x.body.substr(0, 80);
      }
    }
}

TEST(ShadowCompare, SamplesAreBoundedValidUtf8) {
  Response a = whole(text()), b = a;
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "übergrün ";
  b.body = edited(a.body,
                  [&](json::value& v) { v.at_pointer("/choices/0/message/content") = long_text; });
  Comparison c = run(a, b);
  EXPECT_LE(c.sample.size(), kMaxSample);
  EXPECT_TRUE(store::valid_utf8(c.sample)) << c.sample;
  EXPECT_NE(c.sample.find("\xE2\x80\xA6"), std::string::npos) << "cut values end in an ellipsis";
  // Bytes that are not UTF-8 are shown as '?': samples are stored as JSON text.
  Response x{502, "text/plain", "\xff\xfe bad \xc3"}, y{502, "text/plain", "other"};
  Comparison d = run(x, y);
  EXPECT_TRUE(store::valid_utf8(d.sample)) << d.sample;
  EXPECT_NE(d.sample.find("?? bad ?"), std::string::npos) << d.sample;
}

}  // namespace
}  // namespace cutover::traffic
