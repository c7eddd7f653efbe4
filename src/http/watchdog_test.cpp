#include "http/watchdog.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace cutover::http {
namespace {

struct Probe final : Watched {
  int cancelled = 0;
  void on_timeout() override { ++cancelled; }
};

TEST(Watchdog, CancelsOnlyOverdueEntriesOnce) {
  Watchdog dog;
  dog.bind_to_this_thread();
  Probe a, b, idle;
  EXPECT_EQ(dog.size(), 3u);
  a.arm(std::chrono::milliseconds(0));
  b.arm(std::chrono::hours(1));
  auto now = Watched::Clock::now() + std::chrono::milliseconds(1);
  EXPECT_EQ(dog.sweep(now), 1u);
  EXPECT_EQ(a.cancelled, 1);
  EXPECT_TRUE(a.timed_out());
  EXPECT_EQ(b.cancelled, 0);
  EXPECT_FALSE(b.timed_out());
  EXPECT_EQ(idle.cancelled, 0);
  EXPECT_EQ(dog.sweep(now), 0u);  // not cancelled twice
  a.arm(std::chrono::hours(1));
  EXPECT_FALSE(a.timed_out());  // re-arming clears the flag
  b.disarm();
  EXPECT_EQ(dog.sweep(now + std::chrono::hours(2)), 1u);  // a only: b is disarmed
  Watchdog none;
  none.bind_to_this_thread();
  {
    Probe c;
    EXPECT_EQ(none.size(), 1u);
  }
  EXPECT_EQ(none.size(), 0u);  // entries leave when destroyed
  Watchdog::unbind_this_thread();
}

TEST(Watchdog, ThreadsWithoutOneDoNotRegister) {
  struct Unbound {
    static bool check() {
      bool watched = true;
      std::thread([&] {
        Probe p;
        watched = p.watched();
      }).join();
      return watched;
    }
  };
  EXPECT_FALSE(Unbound::check());
}

}  // namespace
}  // namespace cutover::http
