// The store conformance suite, part 2: rate-limit counters, on both backends. The limit
// holds across threads, Store objects (connections) and processes.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

TEST_P(StoreConformance, TryAddAdmitsUpToTheLimitExactly) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  CounterStore& c = s->counters();
  auto r = c.try_add("key:a", 100, 2, 5);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->admitted);
  EXPECT_EQ(r->used, 2);
  EXPECT_EQ(c.try_add("key:a", 100, 2, 5)->used, 4);
  r = c.try_add("key:a", 100, 2, 5);  // 6 > 5
  EXPECT_FALSE(r->admitted);
  EXPECT_EQ(r->used, 4);
  r = c.try_add("key:a", 100, 1, 5);  // exactly the limit
  EXPECT_TRUE(r->admitted);
  EXPECT_EQ(r->used, 5);
  EXPECT_FALSE(c.try_add("key:a", 100, 1, 5)->admitted);
  EXPECT_EQ(c.used("key:a", 100).value(), 5);
  // Other keys and windows count apart.
  EXPECT_TRUE(c.try_add("key:a", 101, 5, 5)->admitted);
  EXPECT_TRUE(c.try_add("key:b", 100, 5, 5)->admitted);
  // More than the limit at once is refused even on an empty window, and counts nothing.
  r = c.try_add("key:c", 100, 6, 5);
  EXPECT_FALSE(r->admitted);
  EXPECT_EQ(r->used, 0);
  EXPECT_EQ(c.used("key:c", 100).value(), 0);
  EXPECT_FALSE(c.try_add("key:c", 100, -1, 5).ok());
}

TEST_P(StoreConformance, AdjustNeverGoesBelowZero) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  CounterStore& c = s->counters();
  ASSERT_TRUE(c.try_add("tok", 7, 300, 1000)->admitted);
  ASSERT_TRUE(c.adjust("tok", 7, -120).ok());  // returned an unused reservation
  EXPECT_EQ(c.used("tok", 7).value(), 180);
  ASSERT_TRUE(c.adjust("tok", 7, -500).ok());
  EXPECT_EQ(c.used("tok", 7).value(), 0);
  ASSERT_TRUE(c.adjust("tok", 7, 1200).ok());  // real usage above the limit is still counted
  EXPECT_EQ(c.used("tok", 7).value(), 1200);
  EXPECT_FALSE(c.try_add("tok", 7, 0, 1000)->admitted);
  ASSERT_TRUE(c.adjust("fresh", 7, -5).ok());
  EXPECT_EQ(c.used("fresh", 7).value(), 0);
  ASSERT_TRUE(c.adjust("fresh", 7, 5).ok());
  EXPECT_EQ(c.used("fresh", 7).value(), 5);
}

TEST_P(StoreConformance, ExpireForgetsOldWindows) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  CounterStore& c = s->counters();
  for (std::int64_t w : {10, 11, 12}) ASSERT_TRUE(c.try_add("k", w, 3, 3)->admitted);
  ASSERT_TRUE(c.expire(12).ok());
  EXPECT_EQ(c.used("k", 10).value(), 0);
  EXPECT_EQ(c.used("k", 11).value(), 0);
  EXPECT_EQ(c.used("k", 12).value(), 3);
  EXPECT_TRUE(c.try_add("k", 10, 3, 3)->admitted);  // a forgotten window starts again
}

// kThreads threads, each with its own Store (connection), or all on one Store, race for
// one key: exactly `limit` units are admitted.
void hammer(std::vector<Store*> stores, int threads, int attempts, std::int64_t limit) {
  std::atomic<std::int64_t> admitted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&, i] {
      CounterStore& c = stores[i % stores.size()]->counters();
      for (int j = 0; j < attempts; ++j) {
        auto r = c.try_add("shared", 1, 1, limit);
        if (!r.ok()) {
          ++errors;
          ADD_FAILURE() << r.error().message();
        } else if (r->admitted) {
          ++admitted;
        }
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), limit);
  EXPECT_EQ(stores[0]->counters().used("shared", 1).value(), limit);
}

TEST_P(StoreConformance, LimitHoldsAcrossStoresHammeringOneKey) {
  auto first = open_migrated();
  ASSERT_TRUE(first);
  std::vector<std::unique_ptr<Store>> owned;
  std::vector<Store*> stores{first.get()};
  for (int i = 0; i < 3; ++i) stores.push_back(owned.emplace_back(open()).get());
  hammer(stores, 4, 50, 120);  // 200 attempts for 120 units
}

TEST_P(StoreConformance, LimitHoldsAcrossThreadsSharingOneStore) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  hammer({s.get()}, 4, 50, 120);
}

TEST_P(StoreConformance, LimitHoldsAcrossProcesses) {
  constexpr std::int64_t kLimit = 150;
  constexpr int kAttempts = 120;  // per process: 240 attempts for 150 units
  auto parent = open_migrated();
  ASSERT_TRUE(parent);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child never touches the parent's connection; it opens its own and reports the
    // number it admitted through the pipe (exit code 1: a store error).
    ::close(fds[0]);
    auto s = open_store(url());
    std::int64_t admitted = 0;
    for (int i = 0; s.ok() && i < kAttempts; ++i) {
      auto r = s.value()->counters().try_add("shared", 1, 1, kLimit);
      if (!r.ok()) ::_exit(1);
      admitted += r->admitted;
    }
    if (!s.ok()) ::_exit(1);
    ssize_t n = ::write(fds[1], &admitted, sizeof admitted);
    ::_exit(n == sizeof admitted ? 0 : 1);
  }
  ::close(fds[1]);
  std::int64_t admitted = 0;
  for (int i = 0; i < kAttempts; ++i) {
    auto r = parent->counters().try_add("shared", 1, 1, kLimit);
    ASSERT_TRUE(r.ok()) << r.error().message();
    admitted += r->admitted;
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  std::int64_t child = -1;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), ssize_t{sizeof child});
  ::close(fds[0]);
  EXPECT_GT(child, 0);
  EXPECT_GT(admitted, 0);
  EXPECT_EQ(admitted + child, kLimit);
  EXPECT_EQ(parent->counters().used("shared", 1).value(), kLimit);
}

}  // namespace
}  // namespace cutover::store::testing
