// An HTTP/1.1 server (optionally TLS) for the gateway, the switch and mock-llm.
//
// Shape (Beast's server-flex-awaitable): one io_context per worker thread, each with its
// own SO_REUSEPORT acceptor, so a connection lives on one thread from accept to close and
// nothing on the request path takes a lock. Every read has a timeout and a size limit;
// sessions are tracked per worker so that drain() is explicit and has a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "http/types.hpp"

namespace cutover::http {

struct ServerLimits {
  std::size_t max_body_bytes = 4u << 20;
  std::size_t max_header_bytes = 16u << 10;
  // From the first byte of a request to its last header line.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the header to the end of the body.
  std::chrono::milliseconds body_timeout{30'000};
  // A keep-alive connection with no request in flight is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // A client that stops reading a response is dropped after this.
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 10'000;
};

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks; see Server::port()
  int threads = 0;         // 0: one per core
  std::optional<TlsFiles> tls;
  ServerLimits limits;
};

// One request/response exchange as a handler sees it. Either send() once, or
// begin_stream(), any number of write_chunk(), then end_stream(). Each returns false
// when the client is gone (the handler should stop work for it).
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual net::awaitable<bool> send(Response res) = 0;
  // The same, written by hand in one write: status line, headers, Content-Length, body.
  // headers must not contain Content-Length, Connection or Transfer-Encoding.
  virtual net::awaitable<bool> send(unsigned status, std::span<const Header> headers,
                                    std::string_view body) = 0;
  virtual net::awaitable<bool> begin_stream(ResponseHead head) = 0;
  virtual net::awaitable<bool> write_chunk(std::string_view data) = 0;
  virtual net::awaitable<bool> end_stream() = 0;
  // Abort: the connection is reset (RST); a started stream ends without its last chunk.
  virtual void abort() = 0;
  virtual bool responded() const = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Called on the connection's worker thread. The request's keep_alive() decides
  // whether the connection stays open; the server adds "Connection: close" when draining.
  virtual net::awaitable<void> handle(Request& req, Exchange& ex) = 0;
  // The response for a request the server refused itself (too large, too slow, malformed).
  virtual Response error_response(const Error& e, unsigned version);
};

class Server final {
 public:
  Server(ServerOptions options, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the worker threads. Throws std::runtime_error on failure.
  void start();
  std::uint16_t port() const { return port_; }
  // Stop accepting, close idle connections, let in-flight exchanges finish; after the
  // deadline close what is left. Returns when every worker has stopped.
  void drain(std::chrono::milliseconds deadline);
  // Blocks until the workers have stopped.
  void wait();

  std::size_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  int threads() const { return static_cast<int>(workers_.size()); }

  struct Worker;

 private:
  ServerOptions options_;
  Handler& handler_;
  std::unique_ptr<ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace cutover::http
