// Key rotation (`cutover audit keygen`) on both backends: the rotation is a control entry
// signed with the NEW key, which verifies however short the old key's grace is; the
// retired key could not have signed it; a rotation whose seal fails retires nothing
// (docs/AUDIT.md "Keys").
#include "audit/key_rotation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "audit/reader.hpp"
#include "core/clock.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::audit {
namespace {

class KeyRotationTest : public store::testing::StoreConformance {
 protected:
  static SignerRef new_key() {
    auto s = Signer::generate();
    EXPECT_TRUE(s.ok());
    return {std::make_shared<const Signer>(std::move(s.value())), ""};
  }

  // The log verified against its own key table, retirement times included (what
  // `audit verify` does; with --public-key it takes the same times from the table).
  static VerifyReport verify(store::AuditStore& store) {
    auto rows = store.keys();
    EXPECT_TRUE(rows.ok());
    auto ring = keyring_of(rows.value());
    EXPECT_TRUE(ring.ok()) << ring.error().message();
    auto report = verify_store(store, ring.value(), 1, INT64_MAX, {});
    EXPECT_TRUE(report.ok()) << report.error().message();
    return report.ok() ? report.value() : VerifyReport{};
  }

  static Entry entry_at(store::AuditStore& store, std::int64_t seq) {
    store::AuditQuery q;
    q.from_seq = seq;
    q.limit = 1;
    auto rows = store.entries(q);
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    auto e = from_row(rows->front());
    EXPECT_TRUE(e.ok());
    return e.ok() ? e.value() : Entry{};
  }
};

constexpr std::int64_t kMinute = 60'000'000'000;
const SealKey sealed = [] { return Result<std::int64_t>(std::int64_t{1}); };

TEST_P(KeyRotationTest, ARotationIsAControlEntrySignedByTheNewKeyEvenWithNoGrace) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  store::AuditStore& log = s->audit();
  SignerRef a = new_key(), b = new_key();

  const std::int64_t t0 = unix_nanos();
  auto first = rotate_signing_key(log, *a.signer, t0, t0 + kMinute, sealed);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_TRUE(first->retired.empty());
  auto event = key_rotation_event(first.value(), "cli:audit keygen (me@here)", "secrets=1");
  EXPECT_EQ(event.detail, "key " + a.signer->key_id() + " in service; no key retired");
  ASSERT_TRUE(append_control(log, event, a, SignMode::kBatch).ok());
  ASSERT_TRUE(
      append_control(log, {"state.apply", "routes v1", "t", "routes=1", ""}, a, SignMode::kEntry)
          .ok());

  // --retire-after 0: the old key is retired at the rotation's own time, before the
  // control entry can be written.
  const std::int64_t t1 = unix_nanos();
  auto second = rotate_signing_key(log, *b.signer, t1, t1, sealed);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->retired, std::vector<std::string>{a.signer->key_id()});
  EXPECT_EQ(second->retired_unix_ns, t1);
  event = key_rotation_event(second.value(), "cli:audit keygen (me@here)", "secrets=2");
  EXPECT_EQ(event.detail, "key " + b.signer->key_id() + " in service; key " + a.signer->key_id() +
                              " retired at unix ns " + std::to_string(t1));
  auto seq = append_control(log, event, b, SignMode::kBatch);
  ASSERT_TRUE(seq.ok()) << seq.error().message();
  EXPECT_EQ(seq.value(), 3);

  Entry e = entry_at(log, 3);
  EXPECT_EQ(e.kind, "control");
  EXPECT_EQ(e.decision, "audit.keygen");
  EXPECT_EQ(e.reason, event.detail);
  EXPECT_EQ(e.subject, "cli:audit keygen (me@here)");
  EXPECT_EQ(e.policy_versions, "secrets=2");
  EXPECT_GE(e.time_unix_ns, t1);  // after the old key's retirement: only the new key may sign

  VerifyReport r = verify(log);
  EXPECT_TRUE(r.verdict.ok) << "seq " << r.verdict.first_bad_seq << ": " << r.verdict.what;
  EXPECT_EQ(r.verdict.entries, 3);
  EXPECT_EQ(r.keys, 2u);
}

TEST_P(KeyRotationTest, TheRetiredKeyCouldNotHaveSignedIt) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  store::AuditStore& log = s->audit();
  SignerRef a = new_key(), b = new_key();
  const std::int64_t t0 = unix_nanos();
  ASSERT_TRUE(rotate_signing_key(log, *a.signer, t0, t0, sealed).ok());
  const std::int64_t t1 = unix_nanos();
  auto rotation = rotate_signing_key(log, *b.signer, t1, t1, sealed);
  ASSERT_TRUE(rotation.ok());
  ASSERT_TRUE(
      append_control(log, key_rotation_event(rotation.value(), "t", ""), a, SignMode::kBatch).ok());
  VerifyReport r = verify(log);
  EXPECT_FALSE(r.verdict.ok);
  EXPECT_EQ(r.verdict.first_bad_seq, 1);
  EXPECT_NE(r.verdict.what.find("after it was retired"), std::string::npos) << r.verdict.what;
}

// Rotating again within the grace: the key still in service is retired now; the one an
// earlier rotation retired keeps its time and is not named again.
TEST_P(KeyRotationTest, ARotationNamesOnlyTheKeysItRetires) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  store::AuditStore& log = s->audit();
  SignerRef a = new_key(), b = new_key(), c = new_key();
  const std::int64_t t = unix_nanos();
  ASSERT_TRUE(rotate_signing_key(log, *a.signer, t, t + kMinute, sealed).ok());
  ASSERT_TRUE(rotate_signing_key(log, *b.signer, t + 1, t + kMinute, sealed).ok());
  auto third = rotate_signing_key(log, *c.signer, t + 2, t + 2 * kMinute, sealed);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->retired, std::vector<std::string>{b.signer->key_id()});
  auto keys = log.keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 3u);
  for (const auto& k : keys.value()) {
    if (k.key_id == a.signer->key_id()) EXPECT_EQ(k.retired_unix_ns, t + kMinute);
    if (k.key_id == b.signer->key_id()) EXPECT_EQ(k.retired_unix_ns, t + 2 * kMinute);
    if (k.key_id == c.signer->key_id()) EXPECT_EQ(k.retired_unix_ns, 0);
  }
}

// The old key is retired only once the new one is sealed: when sealing fails (wrong
// master key, a store that refuses), the old key stays in service, unretired, and keeps
// signing entries that verify; the new key is listed but can never sign.
TEST_P(KeyRotationTest, ASealThatFailsLeavesTheOldKeyInService) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  store::AuditStore& log = s->audit();
  SignerRef a = new_key(), b = new_key();
  const std::int64_t t0 = unix_nanos();
  ASSERT_TRUE(rotate_signing_key(log, *a.signer, t0, t0 + kMinute, sealed).ok());

  const std::int64_t t1 = unix_nanos();
  bool asked = false;
  auto failed = rotate_signing_key(log, *b.signer, t1, t1, [&]() -> Result<std::int64_t> {
    asked = true;
    // At sealing time the new key is listed and nothing is retired yet.
    auto keys = log.keys();
    EXPECT_TRUE(keys.ok());
    EXPECT_EQ(keys->size(), 2u);
    for (const auto& k : keys.value()) EXPECT_EQ(k.retired_unix_ns, 0) << k.key_id;
    return Error(ErrorCode::kInternal, "the store refused the secrets document");
  });
  EXPECT_TRUE(asked);
  ASSERT_FALSE(failed.ok());
  const std::string& why = failed.error().message();
  EXPECT_NE(why.find("could not be sealed"), std::string::npos) << why;
  EXPECT_NE(why.find("key " + a.signer->key_id() + " stays in service"), std::string::npos) << why;
  EXPECT_NE(why.find("the store refused the secrets document"), std::string::npos) << why;

  auto keys = log.keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : keys.value()) EXPECT_EQ(k.retired_unix_ns, 0) << k.key_id;
  // Well past the old key's would-be retirement it still signs, and the log verifies.
  ASSERT_TRUE(append_control(log, {"state.apply", "routes v2", "t", "routes=2", ""}, a,
                             SignMode::kBatch)
                  .ok());
  VerifyReport r = verify(log);
  EXPECT_TRUE(r.verdict.ok) << "seq " << r.verdict.first_bad_seq << ": " << r.verdict.what;

  // The next rotation that seals retires both the old key and the unusable one.
  SignerRef c = new_key();
  const std::int64_t t2 = unix_nanos();
  auto third = rotate_signing_key(log, *c.signer, t2, t2 + kMinute, sealed);
  ASSERT_TRUE(third.ok()) << third.error().message();
  auto retired = third->retired;
  std::sort(retired.begin(), retired.end());
  auto expected = std::vector<std::string>{a.signer->key_id(), b.signer->key_id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(retired, expected);
  EXPECT_EQ(third->sealed_version, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyRotationTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace cutover::audit
