#include "switch/endpoints.hpp"

#include <gtest/gtest.h>

namespace cutover::switching {
namespace {

http::Url url(std::string_view text) {
  auto u = http::parse_url(text);
  EXPECT_TRUE(u) << text;
  return u ? u.value() : http::Url{};
}

TEST(SwitchEndpoints, HttpsEndpointsShareOneClientTlsContext) {
  Endpoints endpoints;
  auto a = endpoints.get("blue", url("https://127.0.0.1:8443"));
  auto b = endpoints.get("blue", url("https://gw-b.internal:8443/v1"));
  auto c = endpoints.get("green", url("https://gw-c.internal"));
  auto plain = endpoints.get("green", url("http://127.0.0.1:8081"));
  ASSERT_NE(a->tls, nullptr);
  EXPECT_EQ(a->tls, b->tls);
  EXPECT_EQ(a->tls, c->tls);
  EXPECT_EQ(plain->tls, nullptr);
  // The same (color, url) is the same endpoint, with what is known about it.
  EXPECT_EQ(endpoints.get("blue", url("https://127.0.0.1:8443")), a);
}

}  // namespace
}  // namespace cutover::switching
