#include "store/canonical_json.hpp"

#include <gtest/gtest.h>

namespace cutover::store {
namespace {

std::string canon(const std::string& yaml, const YamlTyping& typing = {}) {
  std::vector<std::string> problems;
  auto v = json_from_yaml(YAML::Load(yaml), "", typing, problems);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems.front());
  return canonical_json(v);
}

std::vector<std::string> problems_of(const std::string& yaml) {
  std::vector<std::string> problems;
  json_from_yaml(YAML::Load(yaml), "doc", {}, problems);
  return problems;
}

TEST(CanonicalJson, SortsKeysAtEveryDepthAndDropsWhitespace) {
  EXPECT_EQ(canon("b: 1\na: {d: [3, {z: 1, y: 2}], c: x}\n"),
            R"({"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1})");
  EXPECT_EQ(canon("{b: 1, a: 2}"), canon("a: 2\nb: 1"));
  // Byte order: uppercase before lowercase, "a" before "a_b" before "ab".
  EXPECT_EQ(canon("ab: 1\na_b: 2\nB: 3\na: 4"), R"({"B":3,"a":4,"a_b":2,"ab":1})");
}

TEST(CanonicalJson, TypesPlainScalarsByHowTheyAreWritten) {
  EXPECT_EQ(canon("[true, True, TRUE, false, False, FALSE]"), "[true,true,true,false,false,false]");
  EXPECT_EQ(canon("[yes, no, on, off, y, n]"), R"(["yes","no","on","off","y","n"])");
  EXPECT_EQ(canon("[~, null, Null, NULL]"), "[null,null,null,null]");
  EXPECT_EQ(canon("a:\n"), R"({"a":null})");
  EXPECT_EQ(canon("[0, -7, 42, 9223372036854775807, -9223372036854775808]"),
            "[0,-7,42,9223372036854775807,-9223372036854775808]");
  // Integral values are integers, whatever their notation.
  EXPECT_EQ(canon("[1.0, 1e3, -2.50e1, 0.0, -0]"), "[1,1000,-25,0,0]");
  EXPECT_EQ(canon("[0.5, 1.25e-3, 1e300, 12345678901234567890.5]"),
            "[0.5,0.00125,1e+300,1.2345678901234567e+19]");
}

TEST(CanonicalJson, KeepsWhatIsNotAJsonNumberAsAString) {
  EXPECT_EQ(
      canon("[0123, 00, +1, .5, 5., 0x1f, 1_000, 1e, -, 1.2.3, inf, .nan, 9223372036854775808]"),
      R"(["0123","00","+1",".5","5.","0x1f","1_000","1e","-","1.2.3","inf",".nan","9223372036854775808"])");
  EXPECT_EQ(canon("[gpt-4o, 3.5-turbo, o1, claude-3-5-sonnet@20240620, 2024-01-01]"),
            R"(["gpt-4o","3.5-turbo","o1","claude-3-5-sonnet@20240620","2024-01-01"])");
  // Quoted, block and !!str scalars are strings.
  EXPECT_EQ(canon("[\"1\", '2', !!str 3, \"true\", 'null']"), R"(["1","2","3","true","null"])");
  EXPECT_EQ(canon("a: |\n  two\n  lines\n"), R"({"a":"two\nlines\n"})");
}

TEST(CanonicalJson, StringKeysStayStringsWhateverTheyLookLike) {
  YamlTyping typing{[](std::string_view k) { return k == "model" || k == "models"; }};
  EXPECT_EQ(canon("{model: 1.0, models: [4, true, ~x], other: 1.0}", typing),
            R"({"model":"1.0","models":["4","true","~x"],"other":1})");
  // Only the value itself (and a list's items), not objects nested deeper.
  EXPECT_EQ(canon("models: [{n: 1}]", typing), R"({"models":[{"n":1}]})");
}

TEST(CanonicalJson, EscapesOnlyWhatJsonRequires) {
  EXPECT_EQ(canon("[\"q\\\"b\\\\s\\t\\n\\u0001\\u007f\", \"h\u00e9 \u2603 /\"]"),
            "[\"q\\\"b\\\\s\\t\\n\\u0001\x7f\",\"h\u00e9 \u2603 /\"]");
}

TEST(CanonicalJson, IsIdempotent) {
  const char* inputs[] = {
      "b: 1\na: {d: [3, {z: 1, y: 2.5}], c: \"0123\"}\n",
      "[1.0, 1e300, -1.5e-7, \"x\\u0001y\", \"\u00e9\", null, true, \"true\", \"12\", {}, []]",
      "providers: [{name: a, base_url: 'http://h/v1', request_timeout_ms: 1500}]\n",
      "k: 123456789012345678901234567890\n",
      "k: 0.1\nl: 1e22\nm: 9007199254740993.0\n",
  };
  for (const char* in : inputs) {
    std::string once = canon(in);
    // Canonical JSON is YAML too: reading it back gives the same text...
    EXPECT_EQ(canon(once), once) << in;
    // ...and so does reading it as JSON (a stored document).
    EXPECT_EQ(canonical_json(parse_json(once)), once) << in;
  }
}

TEST(CanonicalJson, PrettyFormIsOneMemberPerLineSorted) {
  EXPECT_EQ(pretty_json(parse_json(R"({"b":[1,{"d":null,"c":"x"}],"a":{},"e":[]})")),
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    {\n      \"c\": \"x\",\n      \"d\": null\n"
            "    }\n  ],\n  \"e\": []\n}");
}

TEST(CanonicalJson, ReportsDuplicateKeysUtf8AndTagsWithTheirPath) {
  auto p = problems_of("a: 1\nb: {c: 1, c: 2}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "doc.b.c: duplicate key");
  p = problems_of("a: [ok, \"b\xff\"]");  // a raw byte that is not UTF-8
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "doc.a[1]: not valid UTF-8");
  p = problems_of("a: !custom x");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "doc.a: unsupported tag '!custom'");
  p = problems_of("? [1, 2]\n: x\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "doc: keys must be strings");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  p = problems_of(deep);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("nested deeper than 32"), std::string::npos) << p[0];
}

TEST(CanonicalJson, ValidatesUtf8) {
  EXPECT_TRUE(valid_utf8("plain \u00e9 \u2603 \U0001F600"));
  EXPECT_FALSE(valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(CanonicalJson, ParseJsonRejectsGarbage) {
  EXPECT_THROW(parse_json("{\"a\":"), std::invalid_argument);
  EXPECT_EQ(canonical_json(parse_json(" { \"b\" : 2.0 , \"a\" : 18446744073709551615 } ")),
            R"({"a":18446744073709551615,"b":2})");
}

}  // namespace
}  // namespace cutover::store
