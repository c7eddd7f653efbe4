// The store conformance suite, part 1: migrations and the policy registry. Every test runs
// on SQLite and on PostgreSQL (store/testing/store_fixture.hpp); the counter tests are in
// counter_conformance_test.cpp, the schema-compatibility tests in schema_compat_test.cpp.
#include <thread>

#include "core/hash.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

std::vector<std::int64_t> versions_of(const std::vector<StateVersion>& vs) {
  std::vector<std::int64_t> out;
  for (const auto& v : vs) out.push_back(v.version);
  return out;
}

TEST_P(StoreConformance, MigrateIsIdempotent) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->backend(), GetParam());
  ASSERT_EQ(s->schema_version().value(), 0);
  auto unmigrated = s->state().active();
  ASSERT_FALSE(unmigrated.ok());
  EXPECT_NE(unmigrated.error().message().find("run cutover store migrate"), std::string::npos)
      << unmigrated.error().message();
  ASSERT_TRUE(s->migrate().ok());
  ASSERT_TRUE(s->migrate().ok());
  EXPECT_EQ(s->schema_version().value(), Store::known_schema_version());
  EXPECT_EQ(s->min_reader_version().value(), 1);
  auto rows = raw()->query("SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(Store::known_schema_version()));
  for (std::size_t i = 0; i < rows->size(); ++i) EXPECT_EQ(rows->int64(i, 0), int(i) + 1);
}

TEST_P(StoreConformance, TwoStoresMigrateAtOnce) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) stores.push_back(open());
  std::vector<Status> results(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i)
    threads.emplace_back([&, i] { results[i] = stores[i]->migrate(); });
  for (auto& t : threads) t.join();
  for (auto& r : results) EXPECT_TRUE(r.ok()) << r.error().message();
  auto rows = raw()->query("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->int64(0, 0), Store::known_schema_version());  // each step applied once
  EXPECT_EQ(stores[0]->state().change_counter().value(), 0);
}

// A read-modify-write names the version it read (DocumentChange::based_on): when the
// domain moved on meanwhile, the apply is refused whole and the other change stands.
TEST_P(StoreConformance, ApplyBasedOnAnOlderVersionIsRefusedAndWritesNothing) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  StateStore& st = s->state();
  ASSERT_TRUE(st.apply({{"traffic", R"({"v":1})", 0}}, "a", "").ok());  // 0: none yet
  ASSERT_TRUE(st.apply({{"traffic", R"({"v":2})", 1}}, "b", "").ok());
  auto stale = st.apply({{"access", R"({"a":1})"}, {"traffic", R"({"v":3})", 1}}, "c", "");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ErrorCode::kConflict);
  EXPECT_NE(stale.error().message().find("'traffic' is at version 2, not 1"), std::string::npos)
      << stale.error().message();
  auto active = st.active();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);  // nor the access document of the same call
  EXPECT_EQ(active->at(0).document, R"({"v":2})");
  EXPECT_FALSE(st.apply({{"limits", R"({"rpm":1})", 3}}, "d", "").ok());  // none yet, not 3
  auto same = st.apply({{"traffic", R"({"v":2})", 1}}, "e", "");  // already so: nothing to do
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
}

TEST_P(StoreConformance, ApplyCreatesVersionsAndReapplyCreatesNothing) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  StateStore& st = s->state();
  EXPECT_TRUE(st.active()->empty());
  auto first = st.apply({{"access", R"({"a":1})"}, {"limits", R"({"rpm":10})"}}, "alice", "first");
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_EQ(first->size(), 2u);
  const StateVersion& v = first->at(0);
  EXPECT_EQ(v.domain, "access");
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.sha256, to_hex(sha256(R"({"a":1})")));
  EXPECT_EQ(v.author, "alice");
  EXPECT_EQ(v.comment, "first");
  EXPECT_GT(v.created_unix_ns, 0);

  auto active = st.active();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ(active->at(0).domain, "access");
  EXPECT_EQ(active->at(0).document, R"({"a":1})");
  EXPECT_EQ(active->at(1).domain, "limits");
  EXPECT_EQ(active->at(1).created_unix_ns, v.created_unix_ns);

  auto again = st.apply({{"access", R"({"a":1})"}, {"limits", R"({"rpm":10})"}}, "bob", "");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(st.change_counter().value(), 1);

  // Only the changed domain gets a version.
  auto second = st.apply({{"access", R"({"a":2})"}, {"limits", R"({"rpm":10})"}}, "bob", "");
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->at(0).domain, "access");
  EXPECT_EQ(second->at(0).version, 2);
  EXPECT_EQ(versions_of(st.history("limits").value()), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(st.change_counter().value(), 2);
}

TEST_P(StoreConformance, MultiDomainApplyIsAllOrNothing) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  StateStore& st = s->state();
  ASSERT_TRUE(st.apply({{"access", "v1"}}, "t", "").ok());
  // The first change is written inside the transaction before the second is found bad.
  for (const char* bad : {"", "Not A Domain", "access"}) {
    auto r = st.apply({{"access", "v2"}, {"limits", "l1"}, {bad, "x"}}, "t", "");
    ASSERT_FALSE(r.ok()) << "domain '" << bad << "' was accepted";
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
    EXPECT_NE(r.error().message().find("domain"), std::string::npos) << r.error().message();
  }
  // Seen from another connection too: nothing of the failed applies is there.
  auto other = open();
  auto active = other->state().active();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->at(0).document, "v1");
  EXPECT_TRUE(other->state().history("limits")->empty());
  EXPECT_EQ(versions_of(other->state().history("access").value()), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(other->state().change_counter().value(), 1);
  // And the connection is usable afterwards (no transaction left open).
  auto ok = st.apply({{"access", "v2"}}, "t", "");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->at(0).version, 2);
}

TEST_P(StoreConformance, HistoryIsOldestFirst) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  for (const char* doc : {"a", "b", "c", "d"})
    ASSERT_TRUE(s->state().apply({{"routes", doc}}, "t", doc).ok());
  auto h = s->state().history("routes");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(versions_of(*h), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(h->at(0).document, "a");
  EXPECT_EQ(h->at(3).document, "d");
  EXPECT_EQ(h->at(2).comment, "c");
  for (std::size_t i = 1; i < h->size(); ++i)
    EXPECT_GE(h->at(i).created_unix_ns, h->at(i - 1).created_unix_ns);
  EXPECT_TRUE(s->state().history("nothing-here")->empty());
}

TEST_P(StoreConformance, RollbackMovesThePointer) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  StateStore& st = s->state();
  for (const char* doc : {"one", "two", "three"})
    ASSERT_TRUE(st.apply({{"access", doc}}, "t", "").ok());
  ASSERT_TRUE(st.apply({{"limits", "l"}}, "t", "").ok());
  std::int64_t counter = st.change_counter().value();

  auto back = st.rollback("access", std::nullopt, "oncall");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->version, 2);
  EXPECT_EQ(back->document, "two");
  EXPECT_EQ(st.active()->at(0).version, 2);
  EXPECT_EQ(st.active()->at(1).domain, "limits");  // other domains untouched
  EXPECT_EQ(st.change_counter().value(), counter + 1);

  EXPECT_EQ(st.rollback("access", std::nullopt, "oncall")->version, 1);
  auto none = st.rollback("access", std::nullopt, "oncall");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("no earlier version"), std::string::npos)
      << none.error().message();

  EXPECT_EQ(st.rollback("access", 3, "oncall")->document, "three");
  EXPECT_EQ(st.active()->at(0).version, 3);
  std::int64_t before_noop = st.change_counter().value();
  EXPECT_EQ(st.rollback("access", 3, "oncall")->version, 3);  // already active: no change
  EXPECT_EQ(st.change_counter().value(), before_noop);

  auto missing = st.rollback("access", 9, "oncall");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("no version 9"), std::string::npos)
      << missing.error().message();
  EXPECT_EQ(st.active()->at(0).version, 3);
  EXPECT_FALSE(st.rollback("identity", std::nullopt, "oncall").ok());  // never applied

  // History is untouched by rollbacks; a new document after a rollback gets max + 1.
  ASSERT_TRUE(st.rollback("access", 1, "oncall").ok());
  EXPECT_EQ(versions_of(st.history("access").value()), (std::vector<std::int64_t>{1, 2, 3}));
  auto next = st.apply({{"access", "four"}}, "t", "");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->at(0).version, 4);
  // Re-applying the active document after a rollback creates nothing.
  ASSERT_TRUE(st.rollback("access", 2, "oncall").ok());
  EXPECT_TRUE(st.apply({{"access", "two"}}, "t", "")->empty());
}

TEST_P(StoreConformance, ChangeCounterIsSharedAndGrows) {
  auto a = open_migrated();
  auto b = open();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->state().change_counter().value(), 0);
  std::int64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a->state().apply({{"access", std::to_string(i)}}, "t", "").ok());
    std::int64_t now = b->state().change_counter().value();
    EXPECT_GT(now, last);
    last = now;
  }
  ASSERT_TRUE(b->state().rollback("access", 1, "t").ok());
  EXPECT_GT(a->state().change_counter().value(), last);
}

TEST_P(StoreConformance, ConcurrentAppliesFromSeveralStoresGetDistinctVersions) {
  constexpr int kStores = 3, kEach = 5;
  auto first = open_migrated();
  ASSERT_TRUE(first);
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) stores.push_back(open());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kStores; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j)
        if (!stores[i]->state().apply({{"routes", std::to_string(i * 100 + j)}}, "t", "").ok())
          ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto h = first->state().history("routes");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), std::size_t{kStores * kEach});
  for (std::size_t i = 0; i < h->size(); ++i) EXPECT_EQ(h->at(i).version, std::int64_t(i) + 1);
  EXPECT_EQ(first->state().change_counter().value(), kStores * kEach);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cutover::store::testing
