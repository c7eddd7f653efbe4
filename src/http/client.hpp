// HTTP/1.1 client connections to upstreams (plain or TLS with verification) and a
// per-thread keep-alive pool. Used by the gateway's upstream stage and by the switch.
//
// A pool belongs to one worker thread (ConnectionPool::for_this_thread()), so leasing
// and returning a connection takes no lock.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "http/types.hpp"
#include "http/url.hpp"
#include "http/watchdog.hpp"

namespace cutover::http {

using ResponseParser = bhttp::response_parser<bhttp::string_body>;

// A TLS client context that verifies peers against the system store, or against
// ca_file when it is not empty. Throws std::runtime_error when the file is unusable.
std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file);

class Connection final : public Watched {
 public:
  // Connects (and for https:// handshakes, verifying the certificate and host name).
  static net::awaitable<Result<std::unique_ptr<Connection>>> open(const Url& url, ssl::context* tls,
                                                                  std::chrono::milliseconds timeout);
  ~Connection() override;

  net::awaitable<beast::error_code> write(Request& req, std::chrono::milliseconds timeout);
  // A request written by hand: head (request line and headers, ending in an empty line)
  // and body, in one write.
  net::awaitable<beast::error_code> write(std::string_view head, std::string_view body,
                                          std::chrono::milliseconds timeout);
  net::awaitable<beast::error_code> read_header(ResponseParser& p, std::chrono::milliseconds timeout);
  // Reads whatever body bytes arrive next (at least one, or the end).
  net::awaitable<beast::error_code> read_some(ResponseParser& p, std::chrono::milliseconds timeout);
  net::awaitable<beast::error_code> read_body(ResponseParser& p, std::chrono::milliseconds timeout);
  void close();
  // Received bytes the parser has not consumed yet (they may be a partial frame).
  std::string_view buffered() const {
    auto d = buffer_.data();
    return {static_cast<const char*>(d.data()), d.size()};
  }

  const std::string& origin() const { return origin_; }
  ssl::context* tls_context() const { return tls_context_; }
  bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }
  std::chrono::steady_clock::time_point idle_since;

 protected:
  void on_timeout() override;

 private:
  Connection() = default;
  beast::tcp_stream& lowest();
  // Every operation's deadline: the thread's watchdog when it has one, else a timer.
  void start(std::chrono::milliseconds timeout);
  beast::error_code finish(beast::error_code ec);
  template <class F>
  auto with_stream(F&& f);

  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string origin_;
  ssl::context* tls_context_ = nullptr;  // what verified the peer: part of the pool key
  bool reused_ = false;
};

class ConnectionPool final {
 public:
  static ConnectionPool& for_this_thread();

  // An idle pooled connection to url's origin verified by the same TLS context (a peer
  // trusted by one provider's CA file is not trusted for another), or a new one.
  net::awaitable<Result<std::unique_ptr<Connection>>> acquire(const Url& url, ssl::context* tls,
                                                              std::chrono::milliseconds connect_timeout);
  // Return a connection whose last exchange completed with keep-alive.
  void release(std::unique_ptr<Connection> c);

  static constexpr std::size_t kMaxIdlePerOrigin = 256;
  static constexpr std::chrono::seconds kIdleTtl{30};

 private:
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace cutover::http
