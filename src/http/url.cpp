#include "http/url.hpp"

#include <charconv>

namespace cutover::http {

Result<Url> parse_url(std::string_view text) {
  auto bad = [&](std::string why) {
    return Error(ErrorCode::kInvalidRequest, "invalid URL '" + std::string(text) + "': " + why);
  };
  Url u;
  std::string_view rest;
  if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    u.tls = true;
    rest = text.substr(8);
  } else {
    return bad("must start with http:// or https://");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) return bad("must not have a query or fragment");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) return bad("must not contain credentials");
  std::string_view host, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("expected ':' after IPv6 address");
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("missing host");
  if (port.empty()) port = u.tls ? "443" : "80";
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || ptr != port.data() + port.size() || p <= 0 || p > 65535)
    return bad("invalid port");
  u.host = host;
  u.port = port;
  u.path_prefix = path;
  bool default_port = (u.tls && p == 443) || (!u.tls && p == 80);
  std::string h = host.find(':') != std::string_view::npos ? "[" + u.host + "]" : u.host;
  u.host_header = default_port ? h : h + ":" + u.port;
  u.origin = (u.tls ? "https://" : "http://") + u.host_header;
  return u;
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Error(ErrorCode::kInvalidRequest, "expected HOST:PORT, got '" + std::string(text) + "'");
  HostPort hp;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  hp.host = host;
  auto p = text.substr(colon + 1);
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc{} || ptr != p.data() + p.size() || v > 65535)
    return Error(ErrorCode::kInvalidRequest, "invalid port in '" + std::string(text) + "'");
  hp.port = static_cast<std::uint16_t>(v);
  return hp;
}

}  // namespace cutover::http
