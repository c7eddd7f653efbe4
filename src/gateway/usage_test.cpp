#include "gateway/usage.hpp"

#include <gtest/gtest.h>

namespace cutover::gateway {
namespace {

TEST(Usage, FromCompletionWithNestedDetails) {
  Usage u;
  ASSERT_TRUE(extract_usage(
      R"({"id":"x","choices":[{"message":{"content":"a \"usage\": {fake}"}}],"usage":{"prompt_tokens":12,)"
      R"("completion_tokens":34,"total_tokens":46,"prompt_tokens_details":{"cached_tokens":0}}})",
      u));
  EXPECT_EQ(u.input, 12);
  EXPECT_EQ(u.output, 34);
}

TEST(Usage, NullOrMissingUsageIsNotUsage) {
  Usage u;
  EXPECT_FALSE(extract_usage(R"({"choices":[],"usage":null})", u));
  EXPECT_FALSE(extract_usage(R"({"choices":[]})", u));
  EXPECT_FALSE(extract_usage(R"({"usage":{"prompt_tokens":1)", u));  // truncated
}

TEST(Usage, UsageOnlyChunk) {
  EXPECT_TRUE(is_usage_only_chunk(R"({"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}})"));
  EXPECT_TRUE(is_usage_only_chunk(R"({"id":"c","choices": [ ],"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[{"delta":{}}],"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[],"usage":null})"));
}

TEST(Usage, ErrorMessageOfProviderBody) {
  EXPECT_EQ(error_message_of(R"({"error":{"message":"slow down \"please\"","type":"x"}})"),
            R"(slow down \"please\")");
  EXPECT_EQ(error_message_of("plain text"), "plain text");
}

}  // namespace
}  // namespace cutover::gateway
