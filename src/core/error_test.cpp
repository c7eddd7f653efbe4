#include "core/error.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cutover {
namespace {

TEST(Error, MapsToStatusAndOpenAiShape) {
  struct Case { ErrorCode code; int status; const char* type; };
  for (auto c : {Case{ErrorCode::kInvalidJson, 400, "invalid_request_error"},
                 Case{ErrorCode::kUnauthenticated, 401, "authentication_error"},
                 Case{ErrorCode::kPermissionDenied, 403, "permission_error"},
                 Case{ErrorCode::kModelNotFound, 404, "invalid_request_error"},
                 Case{ErrorCode::kPayloadTooLarge, 413, "invalid_request_error"},
                 Case{ErrorCode::kHeadersTooLarge, 431, "invalid_request_error"},
                 Case{ErrorCode::kRateLimited, 429, "rate_limit_error"},
                 Case{ErrorCode::kUpstreamRateLimited, 429, "rate_limit_error"},
                 Case{ErrorCode::kUpstreamError, 502, "upstream_error"},
                 Case{ErrorCode::kUpstreamTimeout, 504, "upstream_error"},
                 Case{ErrorCode::kOverloaded, 503, "server_error"},
                 Case{ErrorCode::kInternal, 500, "server_error"}}) {
    Error e(c.code, "what \"went\" wrong");
    EXPECT_EQ(e.http_status(), c.status);
    auto v = boost::json::parse(e.to_openai_json()).as_object();
    auto& err = v.at("error").as_object();
    EXPECT_EQ(err.at("message").as_string(), "what \"went\" wrong");
    EXPECT_EQ(err.at("type").as_string(), c.type);
    EXPECT_FALSE(err.at("code").as_string().empty());
    EXPECT_TRUE(err.at("param").is_null());
  }
}

TEST(Error, ParamAndUpstreamClientStatusPassThrough) {
  auto e = Error(ErrorCode::kInvalidRequest, "x").with_param("model");
  auto v = boost::json::parse(e.to_openai_json());
  EXPECT_EQ(v.at("error").at("param").as_string(), "model");
  EXPECT_EQ(Error(ErrorCode::kUpstreamClientError, "x").with_upstream_status(422).http_status(), 422);
}

TEST(Error, RetryableOnlyWhereAnotherAttemptCanHelp) {
  EXPECT_TRUE(Error(ErrorCode::kUpstreamError, "").retryable());
  EXPECT_TRUE(Error(ErrorCode::kUpstreamConnect, "").retryable());
  EXPECT_TRUE(Error(ErrorCode::kUpstreamRateLimited, "").retryable());
  EXPECT_FALSE(Error(ErrorCode::kUpstreamClientError, "").retryable());
  EXPECT_FALSE(Error(ErrorCode::kUnauthenticated, "").retryable());
}

}  // namespace
}  // namespace cutover
