#include "switch/shadow.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "http/client.hpp"
#include "store/store.hpp"
#include "switch/upstream.hpp"
#include "traffic/compare.hpp"

namespace cutover::switching {
namespace net = http::net;
using Clock = std::chrono::steady_clock;

namespace {

// The copy gives up sooner than a primary: nobody waits for it, and a stuck copy holds a
// connection and its pair.
constexpr UpstreamOptions kCopyUpstream{std::chrono::seconds(2), std::chrono::seconds(120),
                                        ShadowWriter::kMaxBodyBytes * 4};
constexpr std::chrono::seconds kCopyBodyTimeout{300};

// The copy goes to the mirror color by the primary's rules (send_upstream): stale pooled
// connection -> one new connection -> the next endpoint; unreachable endpoints ejected.
net::awaitable<void> send_copy(std::shared_ptr<ShadowPair> pair, ShadowWriter* writer, std::string head,
                               std::string body, std::vector<std::shared_ptr<Endpoint>> endpoints) {
  const auto t0 = Clock::now();
  Seen& s = pair->shadow;
  s.failed = true;
  const std::size_t start =
      endpoints.empty() ? 0 : static_cast<std::size_t>(Random::thread_local_instance().next() % endpoints.size());
  std::optional<http::ResponseParser> parser;
  auto send = send_upstream(endpoints, start, head, body, parser, kCopyUpstream);
  Upstream sent = co_await std::move(send);
  if (sent.conn) {
    auto read = sent.conn->read_body(*parser, kCopyBodyTimeout);
    auto ec = co_await std::move(read);
    if (ec) {
      sent.conn->close();
    } else {
      auto& res = parser->get();
      s.failed = false;
      s.status = res.result_int();
      s.content_type = std::string(res[http::bhttp::field::content_type]);
      s.body = std::move(res.body());
      if (s.body.size() > ShadowWriter::kMaxBodyBytes) s.body.resize(ShadowWriter::kMaxBodyBytes);
      if (parser->keep_alive()) http::ConnectionPool::for_this_thread().release(std::move(sent.conn));
      else sent.conn->close();
    }
  }
  s.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  s.done = true;
  if (pair->primary.done) writer->primary_done(pair);  // the primary ended first
}

}  // namespace

ShadowWriter::ShadowWriter(std::string store_url, std::string token, Metrics& metrics)
    : url_(std::move(store_url)), token_(std::move(token)), metrics_(metrics) {
  thread_ = std::thread([this] { run(); });
}

ShadowWriter::~ShadowWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<ShadowPair> ShadowWriter::start(const net::any_io_executor& ex, std::string_view head,
                                                std::string body, std::string request_id,
                                                std::string primary_color, std::string shadow_color,
                                                std::vector<std::shared_ptr<Endpoint>> endpoints) {
  auto pair = std::make_shared<ShadowPair>();
  pair->request_id = std::move(request_id);
  pair->primary_color = std::move(primary_color);
  pair->shadow_color = std::move(shadow_color);
  metrics_.color(pair->shadow_color).mirrored.fetch_add(1, std::memory_order_relaxed);
  // The primary's head (Host included, rewritten per mirror endpoint), marked as a copy
  // before its final empty line.
  const std::string_view mark = token_.empty() ? std::string_view("1") : std::string_view(token_);
  std::string copy;
  copy.reserve(head.size() + 20 + mark.size());
  copy += head.substr(0, head.size() - 2);
  copy += "x-cutover-shadow: ";
  copy += mark;
  copy += "\r\n\r\n";
  net::co_spawn(ex, send_copy(pair, this, std::move(copy), std::move(body), std::move(endpoints)), net::detached);
  return pair;
}

void ShadowWriter::primary_done(const std::shared_ptr<ShadowPair>& pair) {
  // Runs on the request's worker thread, once by whichever side ends last.
  if (!pair->primary.done || !pair->shadow.done) return;
  finish(pair);
}

void ShadowWriter::finish(const std::shared_ptr<ShadowPair>& pair) {
  store::ShadowResult r;
  r.time_unix_ns = unix_nanos();
  r.request_id = pair->request_id;
  r.primary_color = pair->primary_color;
  r.shadow_color = pair->shadow_color;
  if (pair->primary.failed || pair->shadow.failed) {
    r.outcome = "error";
    r.sample = pair->shadow.failed ? "the shadow color did not answer" : "the primary did not answer";
    metrics_.shadow_error.fetch_add(1, std::memory_order_relaxed);
  } else {
    traffic::Observed a{pair->primary.status, pair->primary.content_type, pair->primary.body, pair->primary.latency_us};
    traffic::Observed b{pair->shadow.status, pair->shadow.content_type, pair->shadow.body, pair->shadow.latency_us};
    traffic::Comparison c = traffic::compare(a, b);
    r.outcome = std::string(traffic::outcome_name(c.outcome));
    for (auto k : c.kinds) {
      if (!r.kinds.empty()) r.kinds += ',';
      r.kinds += k;
      for (std::size_t i = 0; i < Metrics::kKinds.size(); ++i)
        if (Metrics::kKinds[i] == k) metrics_.shadow_kind[i].fetch_add(1, std::memory_order_relaxed);
    }
    r.token_delta = c.token_delta;
    r.latency_delta_us = c.latency_delta_us;
    r.sample = std::move(c.sample);
    (c.outcome == traffic::Outcome::kEqual        ? metrics_.shadow_equal
     : c.outcome == traffic::Outcome::kEquivalent ? metrics_.shadow_equivalent
                                                  : metrics_.shadow_different)
        .fetch_add(1, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      metrics_.shadow_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
}

void ShadowWriter::run() {
  std::unique_ptr<store::Store> store;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    if (queue_.empty()) continue;
    std::vector<store::ShadowResult> batch(std::make_move_iterator(queue_.begin()),
                                          std::make_move_iterator(queue_.end()));
    queue_.clear();
    lock.unlock();
    if (!store) {
      auto s = store::open_store(url_);
      if (s) store = std::move(s.value());
    }
    Status st = store ? store->traffic().add_shadow_results(batch)
                      : Status(Error(ErrorCode::kUnavailable, "store unreachable"));
    if (!st) {
      store.reset();
      metrics_.shadow_dropped.fetch_add(batch.size(), std::memory_order_relaxed);
      log::warn("shadow results not stored", {{"error", st.error().message()}, {"results", batch.size()}});
    }
    lock.lock();
    // Gather a little more before the next transaction.
    cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
  }
}

}  // namespace cutover::switching
