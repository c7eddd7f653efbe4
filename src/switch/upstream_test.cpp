// The endpoint rules shared by the primary path and the shadow copy, against small
// upstreams on loopback port 0: Host rewritten per endpoint, an unreachable endpoint
// ejected and the next one used, a stale pooled connection retried on a new one, a request
// lost on a new connection not sent anywhere else.
#include "switch/upstream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <thread>

namespace cutover::switching {
namespace {
namespace net = http::net;
namespace bhttp = http::bhttp;
namespace beast = http::beast;
using http::tcp;

// A gateway stand-in: answers every request 200 "ok", or misbehaves as `mode` says.
class FakeGateway final {
 public:
  enum class Mode { kAnswer, kAnswerThenClose, kDropRequest };
  explicit FakeGateway(net::io_context& io)
      : acceptor_(io, {net::ip::make_address("127.0.0.1"), 0}) {
    net::co_spawn(io, accept(), net::detached);
  }
  std::string origin() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  Mode mode = Mode::kAnswer;
  std::vector<std::string> hosts;  // the Host of every request read
  int connections = 0, closed = 0;

 private:
  net::awaitable<void> accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(http::use_nothrow);
      if (ec) co_return;
      ++connections;
      net::co_spawn(acceptor_.get_executor(), serve(std::move(sock)), net::detached);
    }
  }
  net::awaitable<void> serve(tcp::socket sock) {
    beast::flat_buffer buf;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [ec, n] = co_await bhttp::async_read(sock, buf, req, http::use_nothrow);
      if (ec) break;
      hosts.emplace_back(req[bhttp::field::host]);
      if (mode == Mode::kDropRequest) break;
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.body() = "ok";
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(sock, res, http::use_nothrow);
      if (wec || mode == Mode::kAnswerThenClose) break;
    }
    beast::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    ++closed;
  }
  tcp::acceptor acceptor_;
};

// An origin nothing listens on: a port the kernel gave out, closed again.
std::string dead_origin(net::io_context& io) {
  tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
  return "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

std::shared_ptr<Endpoint> endpoint(const std::string& origin) {
  auto e = std::make_shared<Endpoint>();
  auto u = http::parse_url(origin);
  EXPECT_TRUE(u) << origin;
  if (u) e->url = u.value();
  e->color = "green";
  return e;
}

http::Request chat_request() {
  http::Request req{bhttp::verb::post, "/v1/chat/completions", 11};
  req.set(bhttp::field::host, "switch.example");
  req.set(bhttp::field::connection, "keep-alive");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = "{}";
  return req;
}

// Runs `body` to its end on a thread of its own (so its connection pool, a thread_local,
// goes with it before the io_context does), with a deadline.
void run(net::io_context& io, std::function<net::awaitable<void>()> body) {
  bool finished = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        co_await body();
        finished = true;
        io.stop();
      },
      net::detached);
  net::steady_timer deadline(io, std::chrono::seconds(10));
  deadline.async_wait([&](beast::error_code ec) {
    if (!ec) io.stop();
  });
  std::thread t([&] { io.run(); });
  t.join();
  EXPECT_TRUE(finished) << "did not finish within 10 s";
}

constexpr UpstreamOptions kOptions{std::chrono::seconds(2), std::chrono::seconds(5), 1u << 20};

TEST(SwitchUpstream, RequestHeadStartsWithHostAndDropsHopByHop) {
  http::Request req = chat_request();
  req.set("x-cutover-shadow", "forged");
  req.set("x-tenant-note", "kept");
  std::string head = request_head(req, "req-1", "gw-a:8081");
  EXPECT_EQ(head.rfind("POST /v1/chat/completions HTTP/1.1\r\nHost: gw-a:8081\r\n", 0), 0u) << head;
  EXPECT_EQ(head.find("switch.example"), std::string::npos) << head;
  EXPECT_EQ(head.find("forged"), std::string::npos) << head;
  EXPECT_EQ(head.find("keep-alive"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nx-tenant-note: kept\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nx-request-id: req-1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nContent-Length: 2\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));

  std::string longer = head, shorter = head;
  set_host(longer, "gateway-b.internal:8443");
  set_host(shorter, "c");
  EXPECT_EQ(longer, request_head(req, "req-1", "gateway-b.internal:8443"));
  EXPECT_EQ(shorter, request_head(req, "req-1", "c"));
  set_host(shorter, "c");
  EXPECT_EQ(shorter, request_head(req, "req-1", "c"));
}

TEST(SwitchUpstream, UnreachableEndpointIsEjectedAndTheNextOneAnswers) {
  net::io_context io;
  FakeGateway live(io);
  std::vector<std::shared_ptr<Endpoint>> endpoints{endpoint(dead_origin(io)),
                                                   endpoint(live.origin())};
  http::Request req = chat_request();
  std::string head = request_head(req, "req-2", endpoints[0]->url.host_header);
  run(io, [&]() -> net::awaitable<void> {
    std::optional<http::ResponseParser> parser;
    auto send = send_upstream(endpoints, 0, head, req.body(), parser, kOptions);
    auto sent = co_await std::move(send);
    EXPECT_TRUE(sent.conn) << sent.error;
    if (!sent.conn) co_return;  // (ASSERT_* cannot return from a coroutine)
    EXPECT_EQ(sent.endpoint, endpoints[1]);
    EXPECT_EQ(parser->get().result_int(), 200);
    sent.conn->close();
  });
  EXPECT_FALSE(endpoints[0]->healthy.load());
  EXPECT_EQ(endpoints[0]->failures.load(), 1u);
  EXPECT_TRUE(endpoints[1]->healthy.load());
  EXPECT_EQ(endpoints[1]->requests.load(), 1u);
  ASSERT_EQ(live.hosts.size(), 1u);
  EXPECT_EQ(live.hosts[0], endpoints[1]->url.host_header);
}

TEST(SwitchUpstream, StalePooledConnectionIsRetriedOnceOnANewOne) {
  net::io_context io;
  FakeGateway live(io);
  live.mode = FakeGateway::Mode::kAnswerThenClose;  // keep-alive promised, then closed
  std::vector<std::shared_ptr<Endpoint>> endpoints{endpoint(live.origin())};
  http::Request req = chat_request();
  std::string head = request_head(req, "req-3", endpoints[0]->url.host_header);
  run(io, [&]() -> net::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      std::optional<http::ResponseParser> parser;
      auto send = send_upstream(endpoints, 0, head, req.body(), parser, kOptions);
      auto sent = co_await std::move(send);
      EXPECT_TRUE(sent.conn) << "request " << i << ": " << sent.error;
      if (!sent.conn) co_return;
      auto read = sent.conn->read_body(*parser, kOptions.response_timeout);
      auto ec = co_await std::move(read);
      EXPECT_FALSE(ec) << ec.message();
      if (ec) co_return;
      EXPECT_EQ(parser->get().body(), "ok");
      if (i == 0) {
        EXPECT_TRUE(parser->keep_alive());
        http::ConnectionPool::for_this_thread().release(std::move(sent.conn));
        // Until the upstream closed its side: the pooled connection is stale now.
        for (net::steady_timer t(co_await net::this_coro::executor); live.closed < 1;) {
          t.expires_after(std::chrono::milliseconds(1));
          co_await t.async_wait(http::use_nothrow);
        }
      } else {
        sent.conn->close();
      }
    }
  });
  EXPECT_TRUE(endpoints[0]->healthy.load());
  EXPECT_EQ(endpoints[0]->failures.load(), 0u);
  EXPECT_EQ(endpoints[0]->requests.load(), 2u);
  EXPECT_EQ(live.connections, 2);  // the first, then one new one for the second request
}

TEST(SwitchUpstream, RequestLostOnANewConnectionIsNotSentElsewhere) {
  net::io_context io;
  FakeGateway dropping(io), live(io);
  dropping.mode = FakeGateway::Mode::kDropRequest;
  std::vector<std::shared_ptr<Endpoint>> endpoints{endpoint(dropping.origin()),
                                                   endpoint(live.origin())};
  http::Request req = chat_request();
  std::string head = request_head(req, "req-4", endpoints[0]->url.host_header);
  run(io, [&]() -> net::awaitable<void> {
    std::optional<http::ResponseParser> parser;
    auto send = send_upstream(endpoints, 0, head, req.body(), parser, kOptions);
    auto sent = co_await std::move(send);
    EXPECT_FALSE(sent.conn);
    EXPECT_FALSE(sent.error.empty());
    EXPECT_FALSE(parser);
  });
  EXPECT_EQ(dropping.hosts.size(), 1u);
  EXPECT_FALSE(endpoints[0]->healthy.load());
  EXPECT_TRUE(live.hosts.empty());
  EXPECT_TRUE(endpoints[1]->healthy.load());
}

}  // namespace
}  // namespace cutover::switching
