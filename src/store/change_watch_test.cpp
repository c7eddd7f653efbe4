// The change watch on both backends: a change made through another Store wakes the owner
// (by polling; on PostgreSQL by NOTIFY, long before the poll), an unchanged counter does
// not, and a failed reload is reported and retried.
#include "store/change_watch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {
using namespace std::chrono_literals;

class ChangeWatchTest : public StoreConformance {
 protected:
  // Hooks that reload like an owner does: read the counter, mark it seen, count the reload.
  ChangeWatch::Hooks counting_hooks(ChangeWatch& watch) {
    return {.tick = [this] { ++ticks_; },
            .reload = [this, &watch]() -> Status {
              auto s = watch.open();
              if (!s) return std::move(s.error());
              auto c = s.value()->state().change_counter();
              if (!c) return std::move(c.error());
              watch.seen(c.value());
              loaded_ = c.value();
              ++reloads_;
              return {};
            },
            .health = [this](const Status& st) { healthy_ = st.ok(); }};
  }

  // Polls (with a deadline) until `done`; returns how long it took.
  template <typename F>
  std::chrono::steady_clock::duration wait_until(F done) {
    auto t0 = std::chrono::steady_clock::now();
    while (!done() && std::chrono::steady_clock::now() - t0 < 5s) std::this_thread::sleep_for(5ms);
    return std::chrono::steady_clock::now() - t0;
  }

  std::atomic<int> ticks_{0}, reloads_{0};
  std::atomic<std::int64_t> loaded_{-1};
  std::atomic<bool> healthy_{false};
};

TEST_P(ChangeWatchTest, SeesAChangeMadeThroughAnotherStore) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ChangeWatch watch(url(), 50ms);
  ASSERT_TRUE(watch.open());
  const std::int64_t first = watch.store()->state().change_counter().value();
  watch.seen(first);
  watch.start(counting_hooks(watch));

  std::this_thread::sleep_for(200ms);  // several polls of an unchanged counter
  EXPECT_EQ(reloads_.load(), 0);
  EXPECT_TRUE(healthy_.load());
  EXPECT_GE(ticks_.load(), 2);

  ASSERT_TRUE(writer->state().apply({{"access", "a"}}, "test", ""));
  auto took = wait_until([&] { return reloads_.load() > 0; });
  ASSERT_EQ(reloads_.load(), 1);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(loaded_.load(), first + 1);
  EXPECT_EQ(watch.seen(), first + 1);
  watch.stop();
  watch.stop();  // idempotent
}

TEST_P(ChangeWatchTest, PostgresWakesOnNotifyNotOnThePoll) {
  if (!postgres()) GTEST_SKIP() << "SQLite has no NOTIFY: it polls";
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ChangeWatch watch(url(), 10s);  // polling alone would take 10 s
  ASSERT_TRUE(watch.open());
  watch.seen(watch.store()->state().change_counter().value());
  watch.start(counting_hooks(watch));
  std::this_thread::sleep_for(300ms);  // let the listener connect

  ASSERT_TRUE(writer->state().apply({{"access", "a"}}, "test", ""));
  auto took = wait_until([&] { return reloads_.load() > 0; });
  EXPECT_EQ(reloads_.load(), 1);
  EXPECT_LT(took, 1s);
  auto t0 = std::chrono::steady_clock::now();
  watch.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // a long poll does not delay stop()
}

TEST_P(ChangeWatchTest, ReloadsUntilSomethingIsLoadedAndReportsWhyNot) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ChangeWatch watch(url(), 20ms);  // nothing seen yet: reload() is due at once
  std::atomic<int> failures{0};
  auto hooks = counting_hooks(watch);
  auto ok_reload = hooks.reload;
  hooks.reload = [&]() -> Status {
    if (failures.load() < 2) return Error(ErrorCode::kUnavailable, "not yet");
    return ok_reload();
  };
  hooks.health = [&](const Status& st) {
    if (!st) ++failures;
    healthy_ = st.ok();
  };
  watch.start(std::move(hooks));
  wait_until([&] { return reloads_.load() > 0; });
  EXPECT_EQ(failures.load(), 2);
  EXPECT_EQ(reloads_.load(), 1);
  EXPECT_TRUE(healthy_.load());
  watch.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeWatchTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cutover::store::testing
