#include "store/change_watch.hpp"

#include <algorithm>

#include "store/postgres/state_listener.hpp"

namespace cutover::store {

ChangeWatch::ChangeWatch(std::string url, std::chrono::milliseconds poll)
    : url_(std::move(url)), poll_(poll) {}

ChangeWatch::~ChangeWatch() { stop(); }

Result<Store*> ChangeWatch::open() {
  if (!store_) {
    auto s = open_store(url_);
    if (!s) return std::move(s.error());
    if (Status m = s.value()->migrate(); !m) return std::move(m.error());
    store_ = std::move(s.value());
  }
  return store_.get();
}

void ChangeWatch::start(Hooks hooks) {
  hooks_ = std::move(hooks);
  thread_ = std::thread([this] { run(); });
}

void ChangeWatch::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ChangeWatch::wait(bool& notified) {
  // The listener needs the store's backend, so it waits for the first open().
  if (!listener_ && store_ && store_->backend() == "postgres") {
    auto l = postgres::StateListener::open(url_);
    if (l) listener_ = std::move(l.value());
  }
  notified = false;
  if (listener_) {
    // Short waits keep stop() prompt; the counter is still read every poll_ regardless.
    auto w = listener_->wait(std::min(poll_, std::chrono::milliseconds(200)));
    if (!w) listener_.reset();  // connection lost: poll until it is back
    notified = w && w.value().has_value();
  } else {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, poll_, [this] { return stop_; });
  }
  std::lock_guard lock(mu_);
  return !stop_;
}

Status ChangeWatch::check() {
  if (!store_ || seen_ < 0) return hooks_.reload();  // never reached, or nothing loaded
  auto counter = store_->state().change_counter();
  if (!counter) return std::move(counter.error());
  if (counter.value() == seen_) return {};
  return hooks_.reload();
}

void ChangeWatch::run() {
  if (hooks_.tick) hooks_.tick();
  bool notified = false;
  while (wait(notified)) {
    if (hooks_.tick) hooks_.tick();
    auto now = std::chrono::steady_clock::now();
    if (!notified && now - last_poll_ < poll_) continue;
    last_poll_ = now;
    hooks_.health(check());
  }
}

}  // namespace cutover::store
