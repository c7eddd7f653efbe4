#include "http/url.hpp"

#include <gtest/gtest.h>

namespace cutover::http {
namespace {

TEST(Url, HttpWithPortAndPrefix) {
  auto u = parse_url("http://127.0.0.1:9000/v1/");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->path_prefix, "/v1");
  EXPECT_EQ(u->host_header, "127.0.0.1:9000");
  EXPECT_EQ(u->origin, "http://127.0.0.1:9000");
}

TEST(Url, HttpsDefaultPortAndIpv6) {
  auto u = parse_url("https://api.example.com");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->host_header, "api.example.com");
  auto v6 = parse_url("http://[::1]:8080/openai/v1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header, "[::1]:8080");
  EXPECT_EQ(v6->path_prefix, "/openai/v1");
}

TEST(Url, RejectsWhatWeCannotUse) {
  for (const char* bad : {"ftp://x", "127.0.0.1:9000", "http://", "http://h:0", "http://h:99999",
                          "http://h:12ab", "http://user:pw@h", "http://h/v1?x=1", "http://[::1"}) {
    auto u = parse_url(bad);
    EXPECT_FALSE(u) << bad;
    if (!u) EXPECT_NE(u.error().message().find(bad), std::string::npos);
  }
}

TEST(HostPort, ListenAddresses) {
  auto v4 = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_host_port("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(parse_host_port(":9000")->host, "");
  EXPECT_NE(parse_host_port("localhost").error().message().find("expected HOST:PORT, got 'localhost'"),
            std::string::npos);
  for (const char* bad : {"h:", "h:65536", "h:80abc", "h:-1", "h: 80"})
    EXPECT_NE(parse_host_port(bad).error().message().find("invalid port"), std::string::npos) << bad;
}

}  // namespace
}  // namespace cutover::http
