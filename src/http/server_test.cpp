// The server's limits, end to end on loopback: what a malformed, oversized, slow or
// surplus client gets, and that others are still served.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

namespace cutover::http {
namespace {

class Echo final : public Handler {
 public:
  net::awaitable<void> handle(Request& req, Exchange& ex) override {
    Header h[] = {{"Content-Type", "text/plain"}};
    co_await ex.send(200, h, "echo:" + req.body());
  }
};

class ServerLimitsTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits) {
    ServerOptions o;
    o.port = 0;
    o.threads = 1;
    o.limits = limits;
    server_ = std::make_unique<Server>(o, handler_);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->drain(std::chrono::milliseconds(500));
  }

  // A blocking client socket with a receive timeout, so a broken server fails the test
  // instead of hanging it.
  tcp::socket connect() {
    tcp::socket s{io_};
    s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    timeval tv{5, 0};
    setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
  }
  static void send(tcp::socket& s, const std::string& bytes) { net::write(s, net::buffer(bytes)); }
  // Everything until the server closes (or the timeout).
  static std::string read_all(tcp::socket& s) {
    std::string out;
    char buf[4096];
    beast::error_code ec;
    for (;;) {
      auto n = s.read_some(net::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  static std::string read_response(tcp::socket& s) {
    beast::flat_buffer b;
    bhttp::response<bhttp::string_body> res;
    beast::error_code ec;
    bhttp::read(s, b, res, ec);
    if (ec) return "error: " + ec.message();
    return std::to_string(res.result_int()) + " " + res.body();
  }

  net::io_context io_;
  Echo handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerLimitsTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start({});
  auto s = connect();
  for (int i = 0; i < 3; ++i) {
    send(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_EQ(read_response(s), "200 echo:hi");
  }
}

TEST_F(ServerLimitsTest, OversizedHeadersGet431) {
  ServerLimits l;
  l.max_header_bytes = 1024;
  start(l);
  auto s = connect();
  send(s, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  auto r = read_all(s);
  EXPECT_NE(r.find("HTTP/1.1 431"), std::string::npos) << r;
  EXPECT_NE(r.find("\"type\":\"invalid_request_error\""), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

TEST_F(ServerLimitsTest, OversizedBodyGets413BeforeItIsRead) {
  ServerLimits l;
  l.max_body_bytes = 100;
  start(l);
  auto s = connect();
  send(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  auto r = read_all(s);
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
}

TEST_F(ServerLimitsTest, MalformedRequestGets400) {
  start({});
  auto s = connect();
  send(s, "NOT A REQUEST\r\n\r\n");
  auto r = read_all(s);
  EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << r;
  EXPECT_NE(r.find("malformed HTTP request"), std::string::npos) << r;
}

TEST_F(ServerLimitsTest, StalledHeaderGets408WhileOthersAreServed) {
  ServerLimits l;
  l.header_timeout = std::chrono::milliseconds(200);
  start(l);
  auto slow = connect();
  send(slow, "GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
  auto fast = connect();
  send(fast, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
  EXPECT_EQ(read_response(fast), "200 echo:z");
  auto r = read_all(slow);
  EXPECT_NE(r.find("HTTP/1.1 408"), std::string::npos) << r;
}

TEST_F(ServerLimitsTest, ConnectionsOverTheLimitAreRefused) {
  ServerLimits l;
  l.max_connections = 1;
  start(l);
  auto first = connect();
  send(first, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na");
  EXPECT_EQ(read_response(first), "200 echo:a");  // now certainly accepted and counted
  auto second = connect();
  EXPECT_EQ(read_all(second), "");  // closed without a byte
  send(first, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb");
  EXPECT_EQ(read_response(first), "200 echo:b");  // the first one still works
}

TEST_F(ServerLimitsTest, DrainClosesIdleConnectionsAndReturns) {
  start({});
  auto idle = connect();
  send(idle, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na");
  EXPECT_EQ(read_response(idle), "200 echo:a");
  server_->drain(std::chrono::seconds(5));
  EXPECT_EQ(read_all(idle), "");  // the server closed the idle keep-alive connection
  server_.reset();
}

}  // namespace
}  // namespace cutover::http
