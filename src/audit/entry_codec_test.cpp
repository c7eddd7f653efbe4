// decode_canonical is the exact inverse of canonical(): every entry round-trips, and every
// other spelling of an entry, or anything that is not one, is refused with the member named.
#include "audit/entry_codec.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace cutover::audit {
namespace {

Entry sample() {
  Entry e;
  e.seq = 42;
  e.time_unix_ns = 1795600800123456789;
  e.color = "blue";
  e.gateway_version = "0.1.0";
  e.node_id = "node-1";
  e.kind = "request";
  e.request_id = "req-1";
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  e.subject = "alice@example.com";
  e.tenant = "acme";
  e.route = "chat";
  e.route_version = "7";
  e.policy_versions = "access=3,limits=7";
  e.decision = "allow";
  e.reason = "ok";
  e.requested_model = "gpt-4o";
  e.responding_model = "gpt-4o-2024-08-06";
  e.provider = "openai";
  e.http_status = 200;
  e.tokens_in = 12;
  e.tokens_out = 34;
  e.latency_us = 5678;
  e.retries = 1;
  e.cache_hit = true;
  e.shadow = false;
  e.request_sha256 = std::string(64, 'a');
  e.response_sha256 = std::string(64, 'b');
  return e;
}

void expect_same(const Entry& a, const Entry& b) { EXPECT_EQ(canonical(a), canonical(b)); }

Error rejected(const std::string& json) {
  auto r = decode_canonical(json);
  EXPECT_FALSE(r.ok()) << "accepted: " << json;
  if (r.ok()) return Error(ErrorCode::kInternal, "accepted");
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
  return r.error();
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(EntryCodec, RoundTrips) {
  Entry e = sample();
  auto back = decode_canonical(canonical(e));
  ASSERT_TRUE(back.ok()) << back.error().message();
  expect_same(*back, e);
  EXPECT_EQ(back->seq, 42);
  EXPECT_TRUE(back->cache_hit);

  // Unicode, every escape, control characters, negative and extreme numbers.
  e.reason = "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul " +
             std::string(1, '\0') + " unit \x1f del \x7f";
  e.subject = "\xC3\xA9l\xC3\xA8ve \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 \xE2\x80\xA8";
  e.http_status = -1;
  e.latency_us = std::numeric_limits<std::int64_t>::min();
  e.tokens_in = std::numeric_limits<std::int64_t>::max();
  e.retries = 0;
  e.cache_hit = false;
  e.shadow = true;
  e.fallback_reason = "";
  back = decode_canonical(canonical(e));
  ASSERT_TRUE(back.ok()) << back.error().message();
  expect_same(*back, e);
  EXPECT_EQ(back->reason, e.reason);
  EXPECT_EQ(back->subject, e.subject);
  EXPECT_EQ(back->latency_us, e.latency_us);
  EXPECT_TRUE(back->shadow);

  // The default entry too (every string empty, every number 0).
  back = decode_canonical(canonical(Entry{}));
  ASSERT_TRUE(back.ok()) << back.error().message();
  expect_same(*back, Entry{});
}

TEST(EntryCodec, RejectsWrongShapes) {
  const std::string good = canonical(sample());
  EXPECT_EQ(rejected("").message(), "audit entry: not a JSON object");
  rejected("[]");
  rejected("null");
  rejected("{}");
  rejected(good + " ");
  rejected(good + "{}");
  rejected(good.substr(0, good.size() - 1));
  rejected(good.substr(0, 20));

  EXPECT_EQ(rejected(replace(good, "{", "{\"zzz\":1,")).param(), "zzz");
  EXPECT_EQ(rejected(replace(good, "\"color\":\"blue\",", "")).param(), "color");
  EXPECT_EQ(rejected(replace(good, "\"color\":\"blue\",", "\"color\":\"blue\",\"color\":\"blue\","))
                .param(),
            "color");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":\"42\"")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":42.0")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":4.2e1")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":null")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":[42]")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":{}")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":true")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":042")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":-")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"seq\":42", "\"seq\":9223372036854775808")).param(), "seq");
  EXPECT_EQ(rejected(replace(good, "\"color\":\"blue\"", "\"color\":7")).param(), "color");
  EXPECT_EQ(rejected(replace(good, "\"cache_hit\":true", "\"cache_hit\":1")).param(), "cache_hit");
  EXPECT_EQ(rejected(replace(good, "\"cache_hit\":true", "\"cache_hit\":\"true\"")).param(),
            "cache_hit");
  EXPECT_EQ(rejected(replace(good, "\"cache_hit\":true", "\"cache_hit\":tru")).param(),
            "cache_hit");

  auto schema = rejected(replace(good, "\"schema\":1", "\"schema\":2"));
  EXPECT_EQ(schema.param(), "schema");
  EXPECT_NE(schema.message().find("schema 2"), std::string::npos);
  rejected(replace(good, "\"schema\":1", "\"schema\":0"));
}

TEST(EntryCodec, RejectsBadStrings) {
  const std::string good = canonical(sample());
  const std::string_view from = "\"reason\":\"ok\"";
  for (std::string_view value : {
           "\"o\x01k\"",              // raw control character
           "\"o\xffk\"",              // not UTF-8
           "\"o\xC0\xAFk\"",          // overlong '/'
           "\"o\xED\xA0\x80k\"",      // encoded surrogate
           "\"o\xF4\x90\x80\x80k\"",  // past U+10FFFF
           "\"o\xE2\x82\"",           // truncated sequence
           "\"o\\xk\"",               // unknown escape
           "\"o\\u12\"",              // short \u
           "\"o\\uD800k\"",           // lone high surrogate
           "\"o\\uDC00k\"",           // lone low surrogate
           "\"o\\uD800\\u0041\"",     // high surrogate + non-surrogate
       }) {
    const std::string json = replace(good, from, std::string("\"reason\":") + std::string(value));
    auto e = rejected(json);
    EXPECT_EQ(e.param(), "reason") << value << ": " << e.message();
  }
  rejected(replace(good, "{\"cache_hit\"", "{\"cache\xff\""));  // bad UTF-8 in a key
  // Cut inside a string, and inside an escape.
  const auto at = good.find("\"reason\":\"ok") + 11;
  EXPECT_EQ(rejected(good.substr(0, at)).param(), "reason");
  EXPECT_EQ(rejected(good.substr(0, at) + "\\").param(), "reason");
  EXPECT_EQ(rejected(good.substr(0, at) + "\\u00").param(), "reason");
}

TEST(EntryCodec, RejectsOtherSpellingsAsNotCanonical) {
  const std::string good = canonical(sample());
  std::string spaced = replace(good, ":42", ": 42");
  for (const std::string& json : {
           spaced, " " + good, good + "\n", replace(good, ",\"color\"", ", \"color\""),
           replace(good, "\"reason\":\"ok\"", "\"reason\":\"\\u006fk\""),  // escaped 'o'
           replace(good, "\"reason\":\"ok\"", "\"reason\":\"o\\/k\""),     // escaped '/'
           replace(good, "\"reason\":\"ok\"", "\"reason\":\"\\u000a\""),   // \n spelled long
           replace(good, "\"seq\":42", "\"seq\":-0"),                      // reads as 0
       }) {
    auto e = rejected(json);
    EXPECT_NE(e.message().find("not canonical"), std::string::npos) << json << ": " << e.message();
  }
  // Members in another order.
  const std::string swapped = replace(replace(good, "\"cache_hit\":true,", ""), "\"color\"",
                                      "\"cache_hit\":true,\"color\"");
  EXPECT_EQ(swapped, good);  // sanity: that was the first member already
  std::string reordered = replace(good, "\"cache_hit\":true,", "");
  reordered = replace(reordered, "\"trace_id\"", "\"cache_hit\":true,\"trace_id\"");
  EXPECT_NE(rejected(reordered).message().find("not canonical"), std::string::npos);
  // Too large to even look at.
  EXPECT_FALSE(decode_canonical(std::string(kMaxEntryBytes + 1, ' ')).ok());
}

}  // namespace
}  // namespace cutover::audit
