#include "switch/endpoints.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/log.hpp"
#include "http/client.hpp"

namespace cutover::switching {
namespace net = http::net;
namespace bhttp = http::bhttp;

void eject(Endpoint& e, std::string_view why) {
  e.failures.fetch_add(1, std::memory_order_relaxed);
  if (e.healthy.exchange(false))
    log::warn("endpoint ejected: a request could not use it",
              {{"color", e.color}, {"endpoint", e.url.origin}, {"error", why}});
}

Endpoints::Endpoints(std::chrono::milliseconds probe_interval) : interval_(probe_interval) {}

Endpoints::~Endpoints() { stop(); }

std::shared_ptr<Endpoint> Endpoints::get(const std::string& color, const http::Url& url) {
  std::lock_guard lock(mu_);
  auto& e = by_key_[color + " " + url.origin + url.path_prefix];
  if (!e) {
    e = std::make_shared<Endpoint>();
    e->url = url;
    e->color = color;
    if (url.tls) {
      try {
        if (!tls_) tls_ = http::make_client_tls_context("");
        e->tls = tls_;
      } catch (const std::exception& ex) {
        log::error("no TLS context for an https endpoint", {{"endpoint", url.origin}, {"error", ex.what()}});
      }
    }
  }
  return e;
}

std::vector<std::shared_ptr<Endpoint>> Endpoints::of(const std::string& color, std::span<const http::Url> urls) {
  std::vector<std::shared_ptr<Endpoint>> out;
  out.reserve(urls.size());
  for (const auto& u : urls) out.push_back(get(color, u));
  return out;
}

std::vector<std::shared_ptr<Endpoint>> Endpoints::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Endpoint>> out;
  for (const auto& [key, e] : by_key_) out.push_back(e);
  return out;
}

void Endpoints::start() {
  thread_ = std::thread([this] { run(); });
}

void Endpoints::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

namespace {

net::awaitable<bool> probe(const http::Url& url, http::ssl::context* tls, std::chrono::milliseconds timeout) {
  auto c = co_await http::Connection::open(url, tls, timeout);
  if (!c) co_return false;
  std::string head = "GET " + url.path_prefix + "/readyz HTTP/1.1\r\nHost: " + url.host_header +
                     "\r\nConnection: close\r\nUser-Agent: cutover-switch/" CUTOVER_VERSION "\r\n\r\n";
  auto ec = co_await c.value()->write(head, "", timeout);
  if (ec) co_return false;
  http::ResponseParser parser;
  ec = co_await c.value()->read_header(parser, timeout);
  if (ec) co_return false;
  int status = parser.get().result_int();
  (void)co_await c.value()->read_body(parser, timeout);
  c.value()->close();
  // 404: a backend without a readiness endpoint (not a gateway): it answers, so it is up.
  co_return status == 200 || status == 404;
}

}  // namespace

void Endpoints::run() {
  while (!stop_) {
    net::io_context io;
    for (const auto& e : all()) {
      net::co_spawn(io, [e, this]() -> net::awaitable<void> {
        bool ok = co_await probe(e->url, e->tls.get(), std::min(interval_ * 2, std::chrono::milliseconds(2000)));
        bool was = e->healthy.exchange(ok);
        if (was != ok)
          log::info(ok ? "endpoint healthy again" : "endpoint ejected: /readyz failed",
                    {{"color", e->color}, {"endpoint", e->url.origin}});
      }, net::detached);
    }
    io.run();
    for (auto waited = std::chrono::milliseconds(0); waited < interval_ && !stop_;
         waited += std::chrono::milliseconds(20))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace cutover::switching
