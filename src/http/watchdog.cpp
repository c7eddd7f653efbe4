#include "http/watchdog.hpp"

namespace cutover::http {
namespace {
thread_local Watchdog* t_watchdog = nullptr;
}

Watched::Watched() {
  if (auto* d = Watchdog::current()) d->add(this);
}

Watched::~Watched() {
  if (dog_) dog_->remove(this);
}

Watchdog* Watchdog::current() { return t_watchdog; }
void Watchdog::bind_to_this_thread() { t_watchdog = this; }
void Watchdog::unbind_this_thread() { t_watchdog = nullptr; }

void Watchdog::add(Watched* w) {
  w->dog_ = this;
  w->next_ = head_;
  if (head_) head_->prev_ = w;
  head_ = w;
  ++size_;
}

void Watchdog::remove(Watched* w) {
  if (w->prev_) w->prev_->next_ = w->next_;
  else head_ = w->next_;
  if (w->next_) w->next_->prev_ = w->prev_;
  w->prev_ = w->next_ = nullptr;
  w->dog_ = nullptr;
  --size_;
}

std::size_t Watchdog::sweep(Watched::Clock::time_point now) {
  std::size_t n = 0;
  for (Watched* w = head_; w; w = w->next_) {
    if (w->deadline_ > now) continue;
    // Cancelling only queues completions; the list is not modified while walking it.
    w->deadline_ = Watched::Clock::time_point::max();
    w->timed_out_ = true;
    w->on_timeout();
    ++n;
  }
  return n;
}

}  // namespace cutover::http
