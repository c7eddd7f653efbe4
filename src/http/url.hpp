// Base URLs of upstreams: http(s)://host[:port][/prefix].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cutover::http {

struct Url {
  bool tls = false;
  std::string host;         // without brackets for IPv6
  std::string port;         // always set ("80" / "443" by default)
  std::string path_prefix;  // no trailing slash; "" or "/v1"
  std::string host_header;  // what goes in Host:
  // "https://api.example.com:8443" without the path: the connection pool's key.
  std::string origin;
};

// Errors name what is wrong ("base_url must start with http:// or https://").
Result<Url> parse_url(std::string_view text);

// A listen address: "127.0.0.1:8080", "[::1]:0" (brackets removed), ":8080" (host left
// empty: the caller picks the default). Port 0..65535, digits only.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace cutover::http
