// Base URLs of upstreams: http(s)://host[:port][/prefix].
#pragma once

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

}  // namespace cutover::http
