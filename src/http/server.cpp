#include "http/server.hpp"

#include <openssl/ssl.h>

#include <list>
#include <stdexcept>

#include "core/log.hpp"
#include "http/watchdog.hpp"

namespace cutover::http {
namespace {

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What drain() needs to know about a live session.
struct SessionBase {
  virtual ~SessionBase() = default;
  virtual void close() = 0;
  bool idle = true;  // waiting for the next request, nothing in flight
};

// Maps a failed request read to the error the client should see; nullopt: just close.
std::optional<Error> read_error(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit)
    return Error(ErrorCode::kHeadersTooLarge, "request headers exceed the server's limit");
  if (ec == bhttp::error::body_limit)
    return Error(ErrorCode::kPayloadTooLarge, "request body exceeds the server's limit");
  if (ec == beast::error::timeout)
    return Error(ErrorCode::kRequestTimeout, "request was not received in time");
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted ||
      ec == net::error::bad_descriptor || ec == net::ssl::error::stream_truncated ||
      ec == bhttp::error::partial_message)
    return std::nullopt;
  if (ec.category() == beast::error_code(bhttp::error::bad_method).category())  // other parse errors
    return Error(ErrorCode::kInvalidRequest, "malformed HTTP request: " + ec.message());
  return std::nullopt;
}

}  // namespace

Response Handler::error_response(const Error& e, unsigned version) {
  Response res{static_cast<bhttp::status>(e.http_status()), version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = e.to_openai_json();
  return res;
}

struct Server::Worker {
  Server& server;
  Watchdog watchdog;  // outlives ioc: sessions destroyed with ioc unregister from it
  net::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::list<SessionBase*> sessions;
  bool draining = false;

  explicit Worker(Server& s) : server(s) {}
  net::awaitable<void> accept_loop();
  net::awaitable<void> sweep_loop();
  net::awaitable<void> drain(std::chrono::milliseconds deadline);
};

namespace {

template <class Stream>
class Session final : public Exchange, public SessionBase, public Watched {
 public:
  Session(Stream stream, Server::Worker& w, const ServerOptions& o, Handler& h)
      : stream_(std::move(stream)), worker_(w), opts_(o), handler_(h) {}

  net::awaitable<void> run() {
    auto self_it = worker_.sessions.insert(worker_.sessions.end(), this);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      arm(opts_.limits.header_timeout);
      auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_nothrow);
      if (ec) {
        log::debug("tls handshake failed", {{"error", ec.message()}});
        worker_.sessions.erase(self_it);
        co_return;
      }
    }
    co_await serve();
    worker_.sessions.erase(self_it);
    co_await shutdown();
  }

  net::awaitable<bool> send(Response res) override {
    responded_ = true;
    finish_head(res);
    res.prepare_payload();
    arm(opts_.limits.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, use_nothrow);
    if (ec) broken_ = true;
    co_return !ec;
  }

  net::awaitable<bool> send(unsigned status, std::span<const Header> headers,
                            std::string_view body) override {
    responded_ = true;
    if (worker_.draining) keep_alive_ = false;
    head_.clear();
    head_ += "HTTP/1.1 ";
    head_ += std::to_string(status);
    head_ += ' ';
    head_ += bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    head_ += "\r\n";
    for (const auto& h : headers) {
      head_ += h.name;
      head_ += ": ";
      head_ += h.value;
      head_ += "\r\n";
    }
    if (!keep_alive_) head_ += "Connection: close\r\n";
    else if (version_ == 10) head_ += "Connection: keep-alive\r\n";
    head_ += "Content-Length: ";
    head_ += std::to_string(body.size());
    head_ += "\r\n\r\n";
    std::array<net::const_buffer, 2> bufs{net::buffer(head_), net::buffer(body.data(), body.size())};
    arm(opts_.limits.write_timeout);
    auto [ec, n] = co_await net::async_write(stream_, bufs, use_nothrow);
    if (ec) broken_ = true;
    co_return !ec;
  }

  net::awaitable<bool> begin_stream(ResponseHead head) override {
    responded_ = true;
    finish_head(head);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    arm(opts_.limits.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, use_nothrow);
    if (ec) broken_ = true;
    co_return !ec;
  }

  net::awaitable<bool> write_chunk(std::string_view data) override {
    if (broken_) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    arm(opts_.limits.write_timeout);
    auto [ec, n] = co_await net::async_write(
        stream_, bhttp::make_chunk(net::const_buffer(data.data(), data.size())), use_nothrow);
    if (ec) broken_ = true;
    co_return !ec;
  }

  net::awaitable<bool> end_stream() override {
    if (broken_) co_return false;
    arm(opts_.limits.write_timeout);
    auto [ec, n] = co_await net::async_write(stream_, bhttp::make_chunk_last(), use_nothrow);
    if (ec) broken_ = true;
    co_return !ec;
  }

  void abort() override {
    broken_ = true;
    // Linger 0: the client sees a reset, not an orderly end of a short response.
    beast::error_code ec;
    lowest().socket().set_option(net::socket_base::linger(true, 0), ec);
    close();
  }
  bool responded() const override { return responded_; }

  void close() override {
    beast::error_code ec;
    lowest().socket().close(ec);
  }

 protected:
  void on_timeout() override {
    beast::error_code ec;
    lowest().socket().cancel(ec);
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  template <class Message>
  void finish_head(Message& m) {
    if (!keep_alive_ || worker_.draining) keep_alive_ = false;
    m.keep_alive(keep_alive_);
  }

  net::awaitable<void> serve() {
    const auto& lim = opts_.limits;
    beast::flat_buffer buffer;
    for (;;) {
      idle = true;
      if (buffer.size() == 0) {
        // Keep-alive wait: a quiet client costs a socket, not a thread.
        arm(lim.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer.prepare(4096), use_nothrow);
        if (ec) co_return;  // idle timeout, client gone, or closed by drain
        buffer.commit(n);
      }
      idle = false;

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
      parser.body_limit(lim.max_body_bytes);
      arm(lim.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer, parser, use_nothrow);
      if (hec) co_return co_await refuse(hec, 11);

      const auto& head = parser.get();
      unsigned version = head.version();
      if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        arm(lim.write_timeout);
        auto [cec, cn] = co_await bhttp::async_write(stream_, cont, use_nothrow);
        if (cec) co_return;
      }
      if (!parser.is_done()) {
        arm(lim.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream_, buffer, parser, use_nothrow);
        if (bec) co_return co_await refuse(bec, version);
      }
      disarm();

      Request req = parser.release();
      keep_alive_ = req.keep_alive();
      version_ = req.version();
      responded_ = false;
      co_await handler_.handle(req, *this);
      if (!responded_ && !broken_)
        co_await send(handler_.error_response(
            Error(ErrorCode::kInternal, "handler produced no response"), version));
      if (broken_ || !keep_alive_) co_return;
    }
  }

  net::awaitable<void> refuse(const beast::error_code& ec, unsigned version) {
    // The sweeper cancelled (not closed) the read: the socket can still carry a 408.
    auto err = read_error(timed_out() ? beast::error_code(beast::error::timeout) : ec);
    if (!err) co_return;
    keep_alive_ = false;
    co_await send(handler_.error_response(*err, version));
  }

  net::awaitable<void> shutdown() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (!broken_) {
        arm(std::chrono::seconds(1));
        co_await stream_.async_shutdown(use_nothrow);
      }
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    close();
  }

  Stream stream_;
  Server::Worker& worker_;
  const ServerOptions& opts_;
  Handler& handler_;
  std::string head_;  // reused for every hand-written response head
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool responded_ = false;
  bool broken_ = false;
};

}  // namespace

net::awaitable<void> Server::Worker::accept_loop() {
  auto& opts = server.options_;
  for (;;) {
    auto [ec, sock] = co_await acceptor->async_accept(use_nothrow);
    if (draining || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      log::warn("accept failed", {{"error", ec.message()}});
      net::steady_timer t{ioc, std::chrono::milliseconds(50)};
      co_await t.async_wait(use_nothrow);
      continue;
    }
    if (server.open_connections_.load(std::memory_order_relaxed) >= opts.limits.max_connections) {
      beast::error_code ignored;
      sock.close(ignored);  // over the limit: refuse before reading a byte
      continue;
    }
    sock.set_option(tcp::no_delay(true), ec);
    server.open_connections_.fetch_add(1, std::memory_order_relaxed);
    auto done = [this](std::exception_ptr e) {
      server.open_connections_.fetch_sub(1, std::memory_order_relaxed);
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          log::error("session failed", {{"error", ex.what()}});
        }
      }
    };
    if (server.tls_) {
      auto s = std::make_shared<Session<TlsStream>>(TlsStream(std::move(sock), *server.tls_), *this,
                                                    opts, server.handler_);
      net::co_spawn(ioc, [s]() -> net::awaitable<void> { co_await s->run(); }, done);
    } else {
      auto s = std::make_shared<Session<PlainStream>>(PlainStream(std::move(sock)), *this, opts,
                                                      server.handler_);
      net::co_spawn(ioc, [s]() -> net::awaitable<void> { co_await s->run(); }, done);
    }
  }
}

net::awaitable<void> Server::Worker::sweep_loop() {
  net::steady_timer t{ioc};
  // Runs until the worker has drained, so that ioc.run() can return then.
  while (!(draining && sessions.empty())) {
    t.expires_after(Watchdog::kTick);
    co_await t.async_wait(use_nothrow);
    watchdog.sweep(std::chrono::steady_clock::now());
  }
}

net::awaitable<void> Server::Worker::drain(std::chrono::milliseconds deadline) {
  draining = true;
  beast::error_code ec;
  if (acceptor) acceptor->close(ec);
  for (auto* s : sessions)
    if (s->idle) s->close();
  auto until = std::chrono::steady_clock::now() + deadline;
  net::steady_timer t{ioc};
  while (!sessions.empty() && std::chrono::steady_clock::now() < until) {
    // Sessions going idle after their last response close themselves (draining_).
    t.expires_after(std::chrono::milliseconds(10));
    co_await t.async_wait(use_nothrow);
    for (auto* s : sessions)
      if (s->idle) s->close();
  }
  if (sessions.empty()) co_return;
  log::warn("drain deadline passed; closing remaining connections", {{"connections", sessions.size()}});
  for (auto* s : sessions) s->close();
  // A handler still waiting on something else (an upstream) does not notice a closed
  // client socket; give it a moment, then stop this worker outright.
  t.expires_after(std::chrono::milliseconds(200));
  co_await t.async_wait(use_nothrow);
  if (!sessions.empty()) ioc.stop();
}

Server::Server(ServerOptions options, Handler& handler)
    : options_(std::move(options)), handler_(handler) {}

Server::~Server() {
  for (auto& w : workers_) w->ioc.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Server::start() {
  if (options_.tls) {
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls->cert_file, ec);
    if (ec) throw std::runtime_error("cannot load TLS certificate " + options_.tls->cert_file + ": " + ec.message());
    tls_->use_private_key_file(options_.tls->key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load TLS key " + options_.tls->key_file + ": " + ec.message());
  }
  int n = options_.threads > 0 ? options_.threads
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  beast::error_code ec;
  auto addr = net::ip::make_address(options_.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + options_.host + "'");
  std::uint16_t port = options_.port;
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(*this);
    tcp::endpoint ep{addr, port};
    w->acceptor.emplace(w->ioc);
    w->acceptor->open(ep.protocol());
    w->acceptor->set_option(net::socket_base::reuse_address(true));
    w->acceptor->set_option(ReusePort(true));
    w->acceptor->bind(ep, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(port) + ": " + ec.message());
    w->acceptor->listen(net::socket_base::max_listen_connections);
    port = w->acceptor->local_endpoint().port();  // later workers share the chosen port
    workers_.push_back(std::move(w));
  }
  port_ = port;
  for (auto& w : workers_) {
    net::co_spawn(w->ioc, w->accept_loop(), net::detached);
    net::co_spawn(w->ioc, w->sweep_loop(), net::detached);
    threads_.emplace_back([w = w.get()] {
      w->watchdog.bind_to_this_thread();
      w->ioc.run();
    });
  }
}

void Server::drain(std::chrono::milliseconds deadline) {
  draining_.store(true);
  for (auto& w : workers_) net::co_spawn(w->ioc, w->drain(deadline), net::detached);
  wait();
}

void Server::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace cutover::http
