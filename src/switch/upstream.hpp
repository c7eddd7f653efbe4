// One request to the gateways of one color, shared by the primary path (Service) and the
// shadow copy (ShadowWriter) so that both follow the same rules: the request head is built
// once with its Host line and pointed at each endpoint in place; healthy endpoints are
// tried first (from a random one), then all of them again, ejected ones included; an
// endpoint that cannot be
// reached, or that loses a request sent on a new connection, is ejected (eject()); a pooled
// connection that fails before any response byte is retried once on a new connection, then
// the next endpoint is tried. Never another color: only the plan moves traffic.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.hpp"
#include "switch/endpoints.hpp"

namespace cutover::switching {

// Headers that do not cross the switch in either direction: hop-by-hop ones, the framing
// the switch writes itself (Host, Content-Length) and x-cutover-shadow (only the switch
// adds it).
bool hop_by_hop(std::string_view name);

// The upstream request head: the request line, Host, the client's end-to-end headers,
// x-request-id (request_id, when the client sent none), Content-Length and the final
// empty line. Host stands right after the request line, so set_host() can rewrite it.
std::string request_head(const http::Request& req, std::string_view request_id,
                         std::string_view host);

// Points a request_head() at another endpoint, in place (nothing when it already is).
void set_host(std::string& head, std::string_view host);

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds response_timeout{300'000};  // the write, then the response head
  std::size_t max_response_bytes = 64u << 20;
};

struct Upstream {
  // The connection whose response head is in the parser; null when no endpoint answered.
  std::unique_ptr<http::Connection> conn;
  std::shared_ptr<Endpoint> endpoint;  // the one that answered
  std::string error;                   // the last failure, when conn is null
};

// Sends `head` (a request_head(), its Host rewritten per endpoint) and `body` to one of
// `endpoints` starting at `start`, by the rules above, and reads the response head into
// `parser` (emplaced anew for every try). A request sent on a new connection and then lost
// is not sent again anywhere (the gateway may have acted on it).
http::net::awaitable<Upstream> send_upstream(
    const std::vector<std::shared_ptr<Endpoint>>& endpoints, std::size_t start, std::string& head,
    std::string_view body, std::optional<http::ResponseParser>& parser,
    const UpstreamOptions& options);

}  // namespace cutover::switching
