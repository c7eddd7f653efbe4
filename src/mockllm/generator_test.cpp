#include "mockllm/generator.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace cutover::mockllm {
namespace {
namespace json = boost::json;

// Owns the parsed body the ChatInput points into.
struct Chat {
  json::value body;
  ChatInput input;

  explicit Chat(std::string_view text, BehaviourSet drift = {}) : body(json::parse(text)) {
    auto r = read_chat_request(body.as_object());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    if (r.ok()) input = r.value();
    input.drift = drift;
  }
  Completion run() const { return generate(input); }
};

BehaviourSet drift(Behaviour b) {
  BehaviourSet s;
  s.add(b);
  return s;
}

std::string joined(const Completion& c) {
  std::string s;
  for (std::size_t i = 0; i < c.tokens(); ++i) s += c.token(i);
  return s;
}

bool parses(std::string_view text) {
  json::error_code ec;
  json::parse(text, ec);
  return !ec;
}

constexpr std::string_view kHello =
    R"({"model":"mock-fast","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Hello there, how are you?"}]})";

TEST(MockGenerator, SameInputSameOutput) {
  Chat a(kHello), b(kHello);
  Completion x = a.run(), y = b.run();
  EXPECT_EQ(x.text, y.text);
  EXPECT_EQ(x.ends, y.ends);
  EXPECT_EQ(x.seed, y.seed);
}

TEST(MockGenerator, DifferentPromptDifferentOutput) {
  Chat a(kHello);
  Chat b(R"({"model":"mock-fast","messages":[{"role":"user","content":"Something else"}]})");
  EXPECT_NE(a.run().text, b.run().text);
}

TEST(MockGenerator, BehaviourSuffixDoesNotChangeTheText) {
  Chat a(kHello);
  Chat b(R"({"model":"mock-fast:slow","messages":[{"role":"system","content":"Be brief."},)"
         R"({"role":"user","content":"Hello there, how are you?"}]})");
  EXPECT_EQ(a.run().text, b.run().text);
}

TEST(MockGenerator, TokensConcatenateToTheContentAndCountAsCompletionTokens) {
  Completion c = Chat(kHello).run();
  EXPECT_EQ(joined(c), c.text);
  EXPECT_GE(c.tokens(), 12u);
  EXPECT_LE(c.tokens(), 48u);
  EXPECT_EQ(c.completion_tokens, c.tokens());
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_NE(c.token(1).front(), c.text.front()) << "later tokens carry their leading space";
  EXPECT_EQ(c.token(1).front(), ' ');
  EXPECT_EQ(c.text.back(), '.');
}

TEST(MockGenerator, PromptTokensCountAllMessages) {
  Completion c = Chat(kHello).run();
  // "Be brief." (9) + "Hello there, how are you?" (25) = 34 chars -> 9, + 3 per message.
  EXPECT_EQ(c.prompt_tokens, 9u + 6u);
}

TEST(MockGenerator, ContentPartsAreTheirText) {
  Chat parts(R"({"model":"echo","messages":[{"role":"user","content":[)"
             R"({"type":"text","text":"one two"},{"type":"image_url","image_url":{"url":"x"}},)"
             R"({"type":"text","text":"three"}]}]})");
  Completion c = parts.run();
  EXPECT_EQ(c.text, "one two\nthree");
  EXPECT_EQ(c.tokens(), 3u);
  EXPECT_EQ(joined(c), c.text);
}

TEST(MockGenerator, EchoAnswersWithTheLastUserMessage) {
  Chat chat(R"({"model":"echo:slow","messages":[{"role":"user","content":"first"},)"
            R"({"role":"assistant","content":"ok"},{"role":"user","content":"say  this back"}]})");
  Completion c = chat.run();
  EXPECT_EQ(c.text, "say  this back");
  ASSERT_EQ(c.tokens(), 3u);
  EXPECT_EQ(c.token(1), "  this");
}

TEST(MockGenerator, MaxTokensCutsWithLength) {
  Chat chat(R"({"model":"mock-fast","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})");
  Completion c = chat.run();
  EXPECT_EQ(c.tokens(), 5u);
  EXPECT_EQ(c.completion_tokens, 5u);
  EXPECT_EQ(c.finish_reason, "length");
  EXPECT_EQ(joined(c), c.text);
  Completion full =
      Chat(R"({"model":"mock-fast","messages":[{"role":"user","content":"hi"}]})").run();
  EXPECT_TRUE(full.text.starts_with(c.text));
}

TEST(MockGenerator, MaxCompletionTokensWinsOverMaxTokens) {
  Chat chat(R"({"model":"m","max_tokens":100,"max_completion_tokens":3,)"
            R"("messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(chat.run().tokens(), 3u);
}

TEST(MockGenerator, DriftWordsChangesWording) {
  Completion base = Chat(kHello).run();
  Completion drifted = Chat(kHello, drift(Behaviour::kDriftWords)).run();
  EXPECT_NE(base.text, drifted.text);
  EXPECT_EQ(joined(drifted), drifted.text);
}

TEST(MockGenerator, DriftTokensDoublesLength) {
  Completion base = Chat(kHello).run();
  Completion drifted = Chat(kHello, drift(Behaviour::kDriftTokens)).run();
  EXPECT_EQ(drifted.tokens(), 2 * base.tokens());
}

constexpr std::string_view kWeatherTool =
    R"({"type":"function","function":{"name":"get_weather","parameters":{"type":"object",)"
    R"("properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","f"]},)"
    R"("days":{"type":"integer","minimum":1,"maximum":7},"hourly":{"type":"boolean"},)"
    R"("coords":{"type":"object","properties":{"lat":{"type":"number"}},"required":["lat"]},)"
    R"("tags":{"type":"array","items":{"type":"string"}}},"required":["city","unit"]}}})";

// A chat body offering `tools` (the inside of the array) with `extra` members appended.
std::string with_tools(std::string_view tools, std::string_view extra = "") {
  std::string s = R"({"model":"mock-smart","messages":[{"role":"user","content":"weather?"}],)";
  s += R"("tools":[)";
  s += tools;
  s += ']';
  s += extra;
  s += '}';
  return s;
}

TEST(MockGenerator, ToolCallArgumentsFollowTheSchema) {
  std::string body = with_tools(kWeatherTool);
  Completion c = Chat(body).run();
  ASSERT_TRUE(c.tool_call);
  EXPECT_EQ(c.tool_call->name, "get_weather");
  EXPECT_TRUE(c.tool_call->id.starts_with("call_"));
  EXPECT_EQ(c.tool_call->id.size(), 5u + 24u);
  EXPECT_EQ(c.finish_reason, "tool_calls");
  EXPECT_EQ(joined(c), c.text);
  auto args = json::parse(c.text).as_object();
  EXPECT_TRUE(args.at("city").is_string());
  EXPECT_EQ(args.at("unit"), "celsius");
  ASSERT_TRUE(args.at("days").is_int64());
  EXPECT_GE(args.at("days").get_int64(), 1);
  EXPECT_LE(args.at("days").get_int64(), 7);
  EXPECT_TRUE(args.at("hourly").is_bool());
  EXPECT_TRUE(args.at("coords").as_object().at("lat").is_number());
  EXPECT_EQ(args.at("tags").as_array().size(), 1u);
}

TEST(MockGenerator, ToolChoiceNamesTheTool) {
  std::string tools = R"({"type":"function","function":{"name":"first"}},)";
  tools += kWeatherTool;
  std::string body =
      with_tools(tools, R"(,"tool_choice":{"type":"function","function":{"name":"get_weather"}})");
  Completion c = Chat(body).run();
  ASSERT_TRUE(c.tool_call);
  EXPECT_EQ(c.tool_call->name, "get_weather");
}

TEST(MockGenerator, ToolChoiceNoneAnswersWithText) {
  std::string body = with_tools(kWeatherTool, R"(,"tool_choice":"none")");
  Completion c = Chat(body).run();
  EXPECT_FALSE(c.tool_call);
  EXPECT_EQ(c.finish_reason, "stop");
}

TEST(MockGenerator, ToolWithoutParametersGetsEmptyObject) {
  Chat chat(R"({"model":"m","messages":[{"role":"user","content":"x"}],)"
            R"("tools":[{"type":"function","function":{"name":"ping"}}]})");
  EXPECT_EQ(chat.run().text, "{}");
}

TEST(MockGenerator, JsonObjectContentParses) {
  Chat chat(R"({"model":"mock-fast","response_format":{"type":"json_object"},)"
            R"("messages":[{"role":"user","content":"json please"}]})");
  Completion c = chat.run();
  EXPECT_EQ(joined(c), c.text);
  auto obj = json::parse(c.text).as_object();
  EXPECT_TRUE(obj.at("answer").is_string());
  EXPECT_EQ(obj.at("model"), "mock-fast");
  EXPECT_EQ(c.completion_tokens, c.tokens());
}

TEST(MockGenerator, JsonSchemaContentMatchesTheSchema) {
  Chat chat(R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":)"
            R"({"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object",)"
            R"("properties":{"score":{"type":"number","minimum":0,"maximum":1},)"
            R"("label":{"anyOf":[{"$ref":"#/$defs/label"},{"type":"null"}]},)"
            R"("when":{"type":"string","format":"date-time"},)"
            R"("items":{"type":"array","minItems":2,"items":{"type":["integer","null"]}}},)"
            R"("required":["score","label","when","items"],"additionalProperties":false,)"
            R"("$defs":{"label":{"type":"string","enum":["good","bad"]}}}}}})");
  Completion c = chat.run();
  auto obj = json::parse(c.text).as_object();
  double score = obj.at("score").to_number<double>();
  EXPECT_GE(score, 0.0);
  EXPECT_LE(score, 1.0);
  EXPECT_EQ(obj.at("label"), "good");
  EXPECT_EQ(obj.at("when"), "2024-01-01T00:00:00Z");
  ASSERT_EQ(obj.at("items").as_array().size(), 2u);
  EXPECT_TRUE(obj.at("items").as_array()[0].is_int64());
}

TEST(MockGenerator, DriftJsonBreaksJsonContentAndToolArguments) {
  Chat object(R"({"model":"m","response_format":{"type":"json_object"},)"
              R"("messages":[{"role":"user","content":"x"}]})",
              drift(Behaviour::kDriftJson));
  Completion c = object.run();
  EXPECT_FALSE(parses(c.text)) << c.text;
  EXPECT_EQ(joined(c), c.text);

  Completion tool = Chat(with_tools(kWeatherTool), drift(Behaviour::kDriftJson)).run();
  ASSERT_TRUE(tool.tool_call);
  EXPECT_FALSE(parses(tool.text)) << tool.text;

  Chat scalar(R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":)"
              R"({"type":"json_schema","json_schema":{"schema":{"type":"integer"}}}})",
              drift(Behaviour::kDriftJson));
  EXPECT_FALSE(parses(scalar.run().text));
}

TEST(MockGenerator, DriftJsonLeavesPlainTextAlone) {
  EXPECT_EQ(Chat(kHello).run().text, Chat(kHello, drift(Behaviour::kDriftJson)).run().text);
}

TEST(MockGenerator, UnicodeIsNeverSplitInsideACharacter) {
  Chat chat(R"({"model":"m","response_format":{"type":"json_object"},)"
            R"("messages":[{"role":"user","content":"x"}]})");
  chat.input.model = "mödel-ünïcödé-名前";
  Completion c = chat.run();
  for (std::size_t i = 0; i < c.tokens(); ++i) {
    auto t = c.token(i);
    EXPECT_NE(static_cast<unsigned char>(t.front()) & 0xC0, 0x80) << "token " << i;
  }
  EXPECT_EQ(json::parse(c.text).as_object().at("model"), "mödel-ünïcödé-名前");
}

TEST(MockGenerator, RequestValidationNamesTheParameter) {
  auto param_of = [](std::string_view text) {
    auto v = json::parse(text);
    auto r = read_chat_request(v.as_object());
    return r.ok() ? std::string("<ok>") : r.error().param();
  };
  EXPECT_EQ(param_of(R"({"messages":[{"role":"user","content":"x"}]})"), "model");
  EXPECT_EQ(param_of(R"({"model":"m"})"), "messages");
  EXPECT_EQ(param_of(R"({"model":"m","messages":[]})"), "messages");
  EXPECT_EQ(param_of(R"({"model":"m","messages":[{"content":"x"}]})"), "messages[0].role");
  EXPECT_EQ(param_of(R"({"model":"m","messages":[{"role":"user","content":5}]})"),
            "messages[0].content");
  EXPECT_EQ(param_of(R"({"model":"m","max_tokens":0,"messages":[{"role":"user"}]})"), "max_tokens");
  EXPECT_EQ(param_of(R"({"model":"m","stream":"yes","messages":[{"role":"user"}]})"), "stream");
  EXPECT_EQ(param_of(R"({"model":"m","tools":[{"type":"function","function":{"name":"a"}}],)"
                     R"("tool_choice":{"type":"function","function":{"name":"b"}},)"
                     R"("messages":[{"role":"user"}]})"),
            "tool_choice");
  EXPECT_EQ(
      param_of(R"({"model":"m","response_format":{"type":"yaml"},"messages":[{"role":"user"}]})"),
      "response_format.type");
  EXPECT_EQ(param_of(R"({"model":"m","messages":[{"role":"user","content":null}]})"), "<ok>");
}

}  // namespace
}  // namespace cutover::mockllm
