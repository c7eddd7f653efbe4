// Coarse timeouts for sockets, one sweeper per worker thread.
//
// Arming a Beast/Asio timer per read or write costs a timerfd syscall whenever the new
// deadline is the earliest (every operation, on a quiet loop). Instead an operation
// stores its deadline in its Watched entry (a clock read and a store), and the worker's
// sweeper, every kTick, cancels the pending operation of each entry that is overdue.
// Cancelling (not closing) lets a server still answer a slow client with a 408.
// Deadlines are therefore honoured within one tick.
#pragma once

#include <chrono>
#include <cstdint>

namespace cutover::http {

class Watchdog;

class Watched {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Watched();

  // The next operation must finish within d.
  void arm(std::chrono::milliseconds d) {
    deadline_ = Clock::now() + d;
    timed_out_ = false;
  }
  void disarm() { deadline_ = Clock::time_point::max(); }
  // True when the sweeper cancelled the last operation because it ran out of time.
  bool timed_out() const { return timed_out_; }
  bool watched() const { return dog_ != nullptr; }

 protected:
  // Registers with the calling thread's watchdog, if it has one.
  Watched();
  // Cancel the pending operation(s); called on the owning thread.
  virtual void on_timeout() = 0;

 private:
  friend class Watchdog;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  Watchdog* dog_ = nullptr;
  Watched* prev_ = nullptr;
  Watched* next_ = nullptr;
};

class Watchdog final {
 public:
  static constexpr std::chrono::milliseconds kTick{25};

  // The watchdog of the calling thread (nullptr on threads that have none).
  static Watchdog* current();
  // Makes this the calling thread's watchdog (a server worker does this at start).
  void bind_to_this_thread();
  static void unbind_this_thread();

  // Cancels every overdue entry; returns how many.
  std::size_t sweep(Watched::Clock::time_point now);
  std::size_t size() const { return size_; }

 private:
  friend class Watched;
  void add(Watched* w);
  void remove(Watched* w);
  Watched* head_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cutover::http
