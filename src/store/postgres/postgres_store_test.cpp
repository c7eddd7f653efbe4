// What only the PostgreSQL backend does: survive a lost connection, NOTIFY on change.
// Runs against CUTOVER_TEST_POSTGRES_URL (skipped when unset, like the conformance suite).
#include <thread>

#include "store/postgres/state_listener.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

class PostgresStore : public StoreConformance {
 protected:
  // Ends this test's store connections from the server side, as a restart would, and
  // waits until they are gone.
  void terminate_store_connections() {
    auto c = raw();
    ASSERT_TRUE(c);
    const std::string app = "cutover_" + schema();
    auto r = c->query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = $1 AND pid <> pg_backend_pid()",
        {app});
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_GE(r->int64(0, 0), 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      auto left = c->query(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
          "AND pid <> pg_backend_pid()",
          {app});
      ASSERT_TRUE(left.ok());
      if (left->int64(0, 0) == 0) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "backend did not exit";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
};

TEST_P(PostgresStore, ReconnectsAfterTheServerDroppedTheConnection) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->state().apply({{"access", "a"}}, "t", "").ok());

  terminate_store_connections();
  auto active = s->state().active();  // a read
  ASSERT_TRUE(active.ok()) << active.error().message();
  EXPECT_EQ(active->at(0).document, "a");

  terminate_store_connections();
  auto applied = s->state().apply({{"access", "b"}}, "t", "");  // a write transaction
  ASSERT_TRUE(applied.ok()) << applied.error().message();
  EXPECT_EQ(applied->at(0).version, 2);

  terminate_store_connections();
  auto added = s->counters().try_add("k", 1, 1, 10);  // a single-statement write
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_TRUE(added->admitted);
  EXPECT_EQ(s->counters().used("k", 1).value(), 1);  // counted once, not retried twice
}

TEST_P(PostgresStore, NotifiesCommittedChangesWithTheCounter) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  // Other tests on this server notify the same channel with small counters; start ours
  // where nobody else is.
  const std::int64_t base =
      1'000'000'000 +
      static_cast<std::int64_t>(Random::thread_local_instance().next() % 1'000'000) * 1000;
  ASSERT_TRUE(raw()->query("UPDATE state_changes SET counter = $1 WHERE id = 1", {base}).ok());
  auto listener = postgres::StateListener::open(url());
  ASSERT_TRUE(listener.ok()) << listener.error().message();

  auto wait_for = [&](std::int64_t want, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = listener.value()->wait(std::chrono::milliseconds(100));
      if (!got.ok()) return false;
      if (got.value() == want) return true;
    }
    return false;
  };
  ASSERT_TRUE(s->state().apply({{"access", "a"}}, "t", "").ok());
  EXPECT_TRUE(wait_for(base + 1, std::chrono::seconds(5)));
  ASSERT_TRUE(s->state().apply({{"access", "b"}}, "t", "").ok());
  ASSERT_TRUE(s->state().rollback("access", std::nullopt, "t").ok());
  EXPECT_TRUE(wait_for(base + 3, std::chrono::seconds(5)));
  // A failed apply notifies nothing (the NOTIFY is part of the rolled-back transaction).
  ASSERT_FALSE(s->state().apply({{"access", "c"}, {"", "x"}}, "t", "").ok());
  EXPECT_FALSE(wait_for(base + 4, std::chrono::milliseconds(300)));
  EXPECT_EQ(s->state().change_counter().value(), base + 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStore, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cutover::store::testing
