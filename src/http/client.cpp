#include "http/client.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace cutover::http {

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec)
    throw std::runtime_error("cannot load CA certificates" +
                             (ca_file.empty() ? std::string() : " from " + ca_file) + ": " + ec.message());
  return ctx;
}

Connection::~Connection() = default;

beast::tcp_stream& Connection::lowest() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

void Connection::start(std::chrono::milliseconds timeout) {
  if (watched()) arm(timeout);
  else lowest().expires_after(timeout);
}

beast::error_code Connection::finish(beast::error_code ec) {
  if (!watched()) return ec;
  disarm();
  return ec && timed_out() ? beast::error_code(beast::error::timeout) : ec;
}

void Connection::on_timeout() {
  beast::error_code ec;
  lowest().socket().cancel(ec);
}

template <class F>
auto Connection::with_stream(F&& f) {
  return tls_ ? f(*tls_) : f(*plain_);
}

net::awaitable<Result<std::unique_ptr<Connection>>> Connection::open(
    const Url& url, ssl::context* tls, std::chrono::milliseconds timeout) {
  auto ex = co_await net::this_coro::executor;
  auto fail = [&](ErrorCode code, std::string what) {
    return Error(code, "cannot connect to " + url.origin + ": " + what);
  };
  tcp::resolver resolver{ex};
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, use_nothrow);
  if (rec) co_return fail(ErrorCode::kUpstreamConnect, rec.message());

  std::unique_ptr<Connection> c{new Connection()};
  c->origin_ = url.origin;
  c->buffer_.reserve(16 * 1024);  // a typical answer in one read, not 512-byte steps
  beast::tcp_stream stream{ex};
  stream.expires_after(timeout);
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_nothrow);
  if (cec)
    co_return fail(cec == beast::error::timeout ? ErrorCode::kUpstreamTimeout : ErrorCode::kUpstreamConnect,
                   cec.message());
  stream.socket().set_option(tcp::no_delay(true), cec);
  stream.expires_never();  // from here on, start() times each operation
  if (!url.tls) {
    c->plain_.emplace(std::move(stream));
    co_return c;
  }
  if (!tls) co_return fail(ErrorCode::kInternal, "no TLS context configured");
  c->tls_context_ = tls;
  c->tls_.emplace(std::move(stream), *tls);
  SSL* ssl = c->tls_->native_handle();
  // SNI and host name verification: a valid certificate for another name is refused.
  if (!SSL_set_tlsext_host_name(ssl, url.host.c_str()) || !SSL_set1_host(ssl, url.host.c_str()))
    co_return fail(ErrorCode::kUpstreamConnect, "cannot set TLS host name");
  beast::get_lowest_layer(*c->tls_).expires_after(timeout);
  auto [hec] = co_await c->tls_->async_handshake(ssl::stream_base::client, use_nothrow);
  if (hec) {
    std::string why = hec.message();
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    co_return fail(ErrorCode::kUpstreamConnect, "TLS handshake failed: " + why);
  }
  beast::get_lowest_layer(*c->tls_).expires_never();
  co_return c;
}

net::awaitable<beast::error_code> Connection::write(Request& req, std::chrono::milliseconds timeout) {
  start(timeout);
  auto [ec, n] = co_await with_stream([&](auto& s) { return bhttp::async_write(s, req, use_nothrow); });
  co_return finish(ec);
}

net::awaitable<beast::error_code> Connection::write(std::string_view head, std::string_view body,
                                                    std::chrono::milliseconds timeout) {
  start(timeout);
  std::array<net::const_buffer, 2> bufs{net::buffer(head.data(), head.size()),
                                        net::buffer(body.data(), body.size())};
  auto [ec, n] = co_await with_stream([&](auto& s) { return net::async_write(s, bufs, use_nothrow); });
  co_return finish(ec);
}

net::awaitable<beast::error_code> Connection::read_header(ResponseParser& p, std::chrono::milliseconds timeout) {
  start(timeout);
  auto [ec, n] = co_await with_stream(
      [&](auto& s) { return bhttp::async_read_header(s, buffer_, p, use_nothrow); });
  co_return finish(ec);
}

net::awaitable<beast::error_code> Connection::read_some(ResponseParser& p, std::chrono::milliseconds timeout) {
  start(timeout);
  auto [ec, n] = co_await with_stream(
      [&](auto& s) { return bhttp::async_read_some(s, buffer_, p, use_nothrow); });
  co_return finish(ec);
}

net::awaitable<beast::error_code> Connection::read_body(ResponseParser& p, std::chrono::milliseconds timeout) {
  start(timeout);
  auto [ec, n] = co_await with_stream(
      [&](auto& s) { return bhttp::async_read(s, buffer_, p, use_nothrow); });
  co_return finish(ec);
}

void Connection::close() {
  beast::error_code ec;
  lowest().socket().close(ec);
}

ConnectionPool& ConnectionPool::for_this_thread() {
  thread_local ConnectionPool pool;
  return pool;
}

net::awaitable<Result<std::unique_ptr<Connection>>> ConnectionPool::acquire(
    const Url& url, ssl::context* tls, std::chrono::milliseconds connect_timeout) {
  auto it = idle_.find(url.origin);
  if (it != idle_.end()) {
    auto& list = it->second;
    auto now = std::chrono::steady_clock::now();
    // Newest first (the most likely to be alive). The list is in release order, so the
    // first expired one found means it and everything older has expired.
    for (auto i = list.size(); i-- > 0;) {
      if (now - list[i]->idle_since >= kIdleTtl) {
        list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        break;
      }
      if (list[i]->tls_context() != tls) continue;
      auto c = std::move(list[i]);
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      c->mark_reused();
      co_return c;
    }
  }
  co_return co_await Connection::open(url, tls, connect_timeout);
}

void ConnectionPool::release(std::unique_ptr<Connection> c) {
  auto& list = idle_[c->origin()];
  if (list.size() >= kMaxIdlePerOrigin) return;
  c->idle_since = std::chrono::steady_clock::now();
  list.push_back(std::move(c));
}

}  // namespace cutover::http
