// Live snapshots against a real store (SQLite file, and PostgreSQL when the test server
// runs): the first snapshot comes from the store's documents, a change is published within
// a second, and a broken store leaves the last snapshot serving.
#include "gateway/snapshot.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "identity/base64.hpp"
#include "store/secrets_document.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::gateway {
namespace {
using namespace std::chrono_literals;

class SnapshotTest : public store::testing::StoreConformance {};

const char* kNode = "color: blue\n";

std::string routes_doc(const std::string& alias) {
  return R"({"providers":[{"name":"p","base_url":"http://127.0.0.1:9/v1"}],"routes":[{"alias":")" + alias +
         R"(","targets":[{"model":"m","provider":"p"}]}]})";
}
Result<identity::MasterKey> no_key() {
  return Error(ErrorCode::kInternal, "no master key in this test");
}

std::string identity_doc() {
  return R"({"api_keys":[{"id":"k","key_sha256":")" + to_hex(sha256("sk-k")) + R"("}]})";
}

TEST_P(SnapshotTest, ServesTheStoreAndPublishesChangesWithinASecond) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("one")}, {"identity", identity_doc()}}, "test", ""));

  SnapshotSource source(kNode, url(), no_key(), 50ms);
  auto first = source.load();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_NE(first.value()->find_route("one"), nullptr);
  EXPECT_NE(first.value()->find_key(sha256("sk-k")), nullptr);
  EXPECT_EQ(source.fingerprints().at("routes").version, 1);

  std::atomic<int> published{0};
  std::shared_ptr<Config> latest;
  std::mutex mu;
  source.start(
      [&](std::shared_ptr<Config> c) {
        std::lock_guard lock(mu);
        latest = std::move(c);
        ++published;
      },
      [](bool) {});
  auto applied_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("two")}}, "test", ""));
  while (published.load() == 0 && std::chrono::steady_clock::now() - applied_at < 5s)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(published.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - applied_at, 1s);
  std::lock_guard lock(mu);
  EXPECT_NE(latest->find_route("two"), nullptr);
  EXPECT_EQ(latest->find_route("one"), nullptr);
  EXPECT_EQ(source.fingerprints().at("routes").version, 2);
  source.stop();
}

TEST_P(SnapshotTest, AStoreWithoutStateFallsBackToTheFileAndRejectsUnusableState) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  SnapshotSource empty(kNode, url(), no_key(), 50ms);
  auto none = empty.load();
  ASSERT_FALSE(none);  // neither the file nor the store has routes
  EXPECT_NE(none.error().message().find("at least one route is required"), std::string::npos);

  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("x")}, {"identity", identity_doc()}}, "t", ""));
  SnapshotSource good(kNode, url(), no_key(), 50ms);
  EXPECT_TRUE(good.load());
}

TEST_P(SnapshotTest, PostgresChangesArriveByNotifyNotByPolling) {
  if (!postgres()) GTEST_SKIP() << "SQLite has no NOTIFY: it polls";
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("one")}, {"identity", identity_doc()}}, "t", ""));
  SnapshotSource source(kNode, url(), no_key(), 10s);  // polling alone would take 10 s
  ASSERT_TRUE(source.load());
  std::atomic<int> published{0};
  source.start([&](std::shared_ptr<Config>) { ++published; }, [](bool) {});
  std::this_thread::sleep_for(300ms);  // let the listener connect
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("two")}}, "t", ""));
  while (published.load() == 0 && std::chrono::steady_clock::now() - t0 < 5s) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(published.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  source.stop();
}

TEST_P(SnapshotTest, ExpiresRateWindowsThatHaveEnded) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("x")}, {"identity", identity_doc()}}, "t", ""));
  const std::int64_t now = 1'800'000'000, window = policy::minute_window(now);
  for (std::int64_t w : {window - 3, window - 1, window})
    ASSERT_TRUE(writer->counters().try_add("rpm:key:k", w, 1, 10));
  SnapshotSource source(kNode, url(), no_key(), 50ms);
  ASSERT_TRUE(source.load());
  ASSERT_TRUE(source.expire_counters(now));
  EXPECT_EQ(writer->counters().used("rpm:key:k", window - 3).value(), 0);  // ended: gone
  EXPECT_EQ(writer->counters().used("rpm:key:k", window - 1).value(), 1);  // the previous minute stays
  EXPECT_EQ(writer->counters().used("rpm:key:k", window).value(), 1);
}

// The master key is the one the source was given (a file, in `cutover gateway
// --master-key-file`), not the environment's; without one the reason is named.
TEST_P(SnapshotTest, OpensTheAuditSigningKeyWithTheMasterKeyItWasGiven) {
  auto writer = open_migrated();
  ASSERT_TRUE(writer);
  auto master = identity::MasterKey::from_bytes(std::string(32, '\x42'));
  ASSERT_TRUE(master);
  auto signer = audit::Signer::generate();
  ASSERT_TRUE(signer);
  identity::SecretBox box(master.value());
  const std::string secrets = store::secrets_document(
      {{kAuditSigningKeySecret, box.seal(identity::base64url_encode(signer->private_raw()),
                                         secret_binding(kAuditSigningKeySecret))}});
  ASSERT_TRUE(writer->state().apply({{"routes", routes_doc("x")},
                                     {"identity", identity_doc()},
                                     {"secrets", secrets}},
                                    "t", ""));
  SnapshotSource with_key(kNode, url(), master.value(), 50ms);
  auto good = with_key.load();
  ASSERT_TRUE(good) << good.error().message();
  ASSERT_NE(good.value()->audit_signer, nullptr) << good.value()->audit_signer_problem;
  EXPECT_EQ(good.value()->audit_signer->key_id(), signer->key_id());

  SnapshotSource without(kNode, url(), no_key(), 50ms);
  auto bare = without.load();
  ASSERT_TRUE(bare) << bare.error().message();  // the snapshot serves; the audit log refuses
  EXPECT_EQ(bare.value()->audit_signer, nullptr);
  const std::string& problem = bare.value()->audit_signer_problem;
  EXPECT_NE(problem.find("no master key in this test"), std::string::npos) << problem;
}

INSTANTIATE_TEST_SUITE_P(Backends, SnapshotTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace cutover::gateway
