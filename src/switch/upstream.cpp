#include "switch/upstream.hpp"

namespace cutover::switching {
namespace net = http::net;
namespace bhttp = http::bhttp;
namespace beast = http::beast;

bool hop_by_hop(std::string_view name) {
  auto eq = [&](std::string_view h) { return beast::iequals(name, h); };
  return eq("connection") || eq("keep-alive") || eq("proxy-connection") || eq("te") ||
         eq("trailer") || eq("transfer-encoding") || eq("upgrade") || eq("host") ||
         eq("content-length") || eq("x-cutover-shadow");
}

std::string request_head(const http::Request& req, std::string_view request_id,
                         std::string_view host) {
  std::string h;
  h.reserve(512);
  h += req.method_string();
  h += ' ';
  h += req.target();
  h += " HTTP/1.1\r\nHost: ";
  h += host;
  h += "\r\n";
  for (const auto& f : req) {
    if (hop_by_hop(f.name_string())) continue;
    h += f.name_string();
    h += ": ";
    h += f.value();
    h += "\r\n";
  }
  if (req.find("x-request-id") == req.end()) {
    h += "x-request-id: ";
    h += request_id;
    h += "\r\n";
  }
  if (!req.body().empty() || req.method() == bhttp::verb::post) {
    h += "Content-Length: ";
    h += std::to_string(req.body().size());
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

void set_host(std::string& head, std::string_view host) {
  const std::size_t at = head.find("\r\n") + 8;  // past the request line and "Host: "
  const std::size_t n = head.find("\r\n", at) - at;
  if (std::string_view(head).substr(at, n) != host) head.replace(at, n, host);
}

net::awaitable<Upstream> send_upstream(const std::vector<std::shared_ptr<Endpoint>>& endpoints,
                                       std::size_t start, std::string& head, std::string_view body,
                                       std::optional<http::ResponseParser>& parser,
                                       const UpstreamOptions& options) {
  Upstream out;
  out.error = "no endpoints";
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      const auto& e = endpoints[(start + i) % endpoints.size()];
      if (pass == 0 && !e->healthy.load(std::memory_order_relaxed)) continue;
      // A pooled connection the gateway closed while idle (or that died with it) fails
      // before any response byte: once more on a NEW connection, never another pooled one.
      for (int attempt = 0; attempt < 2; ++attempt) {
        // Named operations, not co_await inside an expression with temporaries: GCC 12
        // destroys such temporaries twice (see gateway/counters.cpp).
        std::optional<Result<std::unique_ptr<http::Connection>>> opened;
        if (attempt == 0) {
          auto op = http::ConnectionPool::for_this_thread().acquire(e->url, e->tls.get(),
                                                                    options.connect_timeout);
          opened.emplace(co_await std::move(op));
        } else {
          auto op = http::Connection::open(e->url, e->tls.get(), options.connect_timeout);
          opened.emplace(co_await std::move(op));
        }
        if (!*opened) {
          out.error = opened->error().message();
          eject(*e, out.error);
          break;  // not reachable: the next endpoint of this color
        }
        auto conn = std::move(opened->value());
        set_host(head, e->url.host_header);
        auto write = conn->write(head, body, options.response_timeout);
        auto ec = co_await std::move(write);
        parser.emplace();
        parser->body_limit(options.max_response_bytes);
        if (!ec) {
          auto read = conn->read_header(*parser, options.response_timeout);
          ec = co_await std::move(read);
        }
        if (!ec) {
          e->requests.fetch_add(1, std::memory_order_relaxed);
          out.conn = std::move(conn);
          out.endpoint = e;
          out.error.clear();
          co_return out;
        }
        const bool stale = conn->reused() && attempt == 0;
        conn->close();
        parser.reset();
        out.error = ec.message();
        if (!stale) {
          eject(*e, out.error);
          co_return out;  // sent on a new connection and lost: the gateway may have acted on it
        }
      }
    }
  }
  co_return out;
}

}  // namespace cutover::switching
