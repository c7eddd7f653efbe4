// Shadow traffic: a copy of a sampled request sent to the color that does not serve, fire
// and forget. The copy carries x-cutover-shadow (with the shared shadow token, so the
// gateway records it as shadow in the audit log and does not count it against the
// caller's rate limits); its response is read, compared with the primary's
// (traffic::compare) and thrown away. Nothing here can delay or fail the primary: the copy
// runs on its own coroutine, the comparison happens when the later of the two ends, and
// results reach the store from a background thread (dropped and counted when its queue
// is full).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/types.hpp"
#include "store/traffic_store.hpp"
#include "switch/endpoints.hpp"
#include "switch/metrics.hpp"

namespace cutover::switching {

// One response as the switch saw it, owned (the comparison runs after both ended).
struct Seen {
  bool done = false;
  bool failed = false;  // no response at all (connect error, reset, timeout)
  int status = 0;
  std::string content_type, body;
  std::int64_t latency_us = 0;
};

struct ShadowPair {
  std::string request_id, primary_color, shadow_color;
  Seen primary, shadow;
};

class ShadowWriter final {
 public:
  ShadowWriter(std::string store_url, std::string token, Metrics& metrics);
  ~ShadowWriter();

  // Sends a copy of the request (`head`: the primary's request_head(), Host line included;
  // `body`) to one of `endpoints` on the caller's executor, by the primary's endpoint rules
  // (switch/upstream.hpp), and returns the pair the primary fills in with primary_done().
  std::shared_ptr<ShadowPair> start(const http::net::any_io_executor& ex, std::string_view head,
                                    std::string body, std::string request_id, std::string primary_color,
                                    std::string shadow_color, std::vector<std::shared_ptr<Endpoint>> endpoints);
  void primary_done(const std::shared_ptr<ShadowPair>& pair);

  static constexpr std::size_t kMaxQueued = 10'000;
  static constexpr std::size_t kMaxBodyBytes = 1u << 20;  // compared; beyond: truncated

 private:
  void finish(const std::shared_ptr<ShadowPair>& pair);  // both done: compare, count, queue
  void run();

  const std::string url_, token_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<store::ShadowResult> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cutover::switching
