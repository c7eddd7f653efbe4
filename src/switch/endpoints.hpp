// The gateways behind a switch and their health. An endpoint is ejected when a request
// cannot connect to it or its /readyz fails, and probed back in by the health checker
// (every probe_interval, GET /readyz, 200 = healthy). Entries outlive plan changes, so a
// flip does not forget what is known about an endpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/types.hpp"
#include "http/url.hpp"

namespace cutover::switching {

struct Endpoint {
  http::Url url;
  // https:// gateways: the switch's one client context, verifying against the system trust
  // store (null for http://). SNI and the host name check are set per connection.
  std::shared_ptr<http::ssl::context> tls;
  std::string color;
  std::atomic<bool> healthy{true};
  std::atomic<std::uint64_t> requests{0}, failures{0};
};

// A request could not use `e`: it could not connect, or a request sent on a new connection
// was lost. Counts the failure and ejects the endpoint (logged once, when it was healthy)
// until the prober readmits it. Used by every request path (primary and shadow) alike.
void eject(Endpoint& e, std::string_view why);

class Endpoints final {
 public:
  explicit Endpoints(std::chrono::milliseconds probe_interval = std::chrono::milliseconds(500));
  ~Endpoints();

  // The endpoint of (color, url), created on first use.
  std::shared_ptr<Endpoint> get(const std::string& color, const http::Url& url);
  // The endpoints of a color in plan order (created as needed).
  std::vector<std::shared_ptr<Endpoint>> of(const std::string& color, std::span<const http::Url> urls);
  void start();  // the prober thread
  void stop();
  std::vector<std::shared_ptr<Endpoint>> all() const;

 private:
  void run();
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Endpoint>> by_key_;
  // Made for the first https:// endpoint (the trust store is loaded once), then shared.
  std::shared_ptr<http::ssl::context> tls_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cutover::switching
