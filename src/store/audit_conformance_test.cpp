// The store conformance suite, part 3: the audit log, on both backends. One chain, seq
// allocated by the store, whatever the number of writers (threads, connections,
// processes); nothing half-written; checkpoints never contradict the chain; and the
// verifier names the first bad seq when rows are changed behind the store's back.
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "audit/log.hpp"
#include "audit/reader.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

audit::Entry request(int i, std::string color = "blue") {
  audit::Entry e;
  e.time_unix_ns = 1'800'000'000'000'000'000 + i;
  e.color = std::move(color);
  e.kind = "request";
  e.request_id = "req-" + std::to_string(i);
  e.decision = "allow";
  e.http_status = 200;
  e.tokens_in = i;
  return e;
}

Status append(AuditStore& store, const audit::Signer& signer, int n, int first = 0,
              audit::SignMode mode = audit::SignMode::kBatch, std::string color = "blue") {
  std::vector<audit::Entry> entries;
  for (int i = 0; i < n; ++i) entries.push_back(request(first + i, color));
  return store.append([&](const AuditHead& head) {
    return audit::seal_after(head, entries, signer, mode, 1'900'000'000'000'000'000);
  });
}

// The public key as audit_keys holds it: 64 hex.
std::string public_hex(const audit::Signer& k) {
  const std::string raw = k.public_raw();
  return to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
}

struct Keys {
  audit::Signer signer = std::move(audit::Signer::generate().value());
  audit::Keyring ring;
  Keys() { EXPECT_TRUE(ring.add(signer.public_raw())); }
};

audit::VerifyReport verify(AuditStore& store, const audit::Keyring& ring, std::int64_t from = 1,
                           std::int64_t to = INT64_MAX, std::vector<std::string> trusted = {}) {
  auto r = audit::verify_store(store, ring, from, to, trusted);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r.value() : audit::VerifyReport{};
}

TEST_P(StoreConformance, AuditAppendAllocatesConsecutiveSeqsAndTheChainVerifies) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys k;
  ASSERT_TRUE(append(s->audit(), k.signer, 1));
  ASSERT_TRUE(append(s->audit(), k.signer, 5, 1));
  ASSERT_TRUE(append(s->audit(), k.signer, 200, 6));  // more than one multi-row INSERT
  ASSERT_TRUE(append(s->audit(), k.signer, 3, 206, audit::SignMode::kEntry));
  auto head = s->audit().head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 209);
  AuditQuery q;
  q.request_id = "req-42";
  auto rows = s->audit().entries(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  auto e = audit::from_row(rows->front());
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->seq, 43);
  EXPECT_EQ(e->tokens_in, 42);
  auto report = verify(s->audit(), k.ring);
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what;
  EXPECT_EQ(report.verdict.entries, 209);
  EXPECT_EQ(report.heads, 3);  // one per batch-mode batch; entry mode signs each entry
  // A range in the middle, cut inside a batch: read on to the head that signs it.
  auto part = verify(s->audit(), k.ring, 10, 20);
  EXPECT_TRUE(part.verdict.ok) << part.verdict.what;
  EXPECT_EQ(part.first_seq, 10);
}

TEST_P(StoreConformance, AuditAppendRefusesRowsThatDoNotContinueTheHeadAndWritesNothing) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys k;
  ASSERT_TRUE(append(s->audit(), k.signer, 2));
  Status st = s->audit().append([&](const AuditHead& head) -> Result<Sealed> {
    std::vector<audit::Entry> entries{request(7)};
    auto sealed = audit::seal_after(head, entries, k.signer, audit::SignMode::kBatch, 0);
    if (sealed) sealed->rows.front().seq += 1;  // a gap
    return sealed;
  });
  EXPECT_FALSE(st.ok());
  st = s->audit().append([&](const AuditHead& head) -> Result<Sealed> {
    std::vector<audit::Entry> entries{request(8)};
    auto sealed = audit::seal_after(head, entries, k.signer, audit::SignMode::kBatch, 0);
    if (sealed) sealed->rows.front().prev_hash = std::string(64, 'a');  // not linked
    return sealed;
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(s->audit().head()->seq, 2);
  EXPECT_EQ(s->audit().entries({})->size(), 2u);
  EXPECT_TRUE(verify(s->audit(), k.ring).verdict.ok);
}

// Threads with connections of their own and forked processes append at once: one chain,
// seqs 1..N, each entry exactly once.
TEST_P(StoreConformance, AuditWritersInThreadsAndProcessesShareOneChainWithoutGapsOrDuplicates) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys k;
  constexpr int kBatches = 30, kPerBatch = 3;
  auto writer = [&](int id) {
    auto mine = open();
    if (!mine) return false;
    for (int b = 0; b < kBatches; ++b)
      if (!append(mine->audit(), k.signer, kPerBatch, id * 1000 + b * kPerBatch, audit::SignMode::kBatch,
                  id % 2 ? "green" : "blue"))
        return false;
    return true;
  };
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(writer(10 + p) ? 0 : 1);
    children.push_back(pid);
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) threads.emplace_back([&, t] { ok += writer(t); });
  for (auto& t : threads) t.join();
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(ok.load(), 3);
  constexpr int kTotal = 5 * kBatches * kPerBatch;
  AuditQuery q;
  q.limit = 100'000;
  auto rows = s->audit().entries(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(kTotal));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].seq, static_cast<std::int64_t>(i + 1));
    ids.insert((*rows)[i].request_id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kTotal));
  auto report = verify(s->audit(), k.ring);
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what << " at " << report.verdict.first_bad_seq;
  EXPECT_EQ(report.heads, 5 * kBatches);
}

TEST_P(StoreConformance, AuditCheckpointsExtendEachOtherAndProveInclusion) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys k;
  ASSERT_TRUE(append(s->audit(), k.signer, 10));
  auto made = audit::checkpoint_if_due(s->audit(), k.signer, 1000, std::chrono::hours(1), 1);
  ASSERT_TRUE(made.ok()) << made.error().message();
  EXPECT_TRUE(made.value());  // the first one is always due
  made = audit::checkpoint_if_due(s->audit(), k.signer, 1000, std::chrono::hours(1), 2);
  EXPECT_FALSE(made.value());  // nothing new
  ASSERT_TRUE(append(s->audit(), k.signer, 7, 10));
  made = audit::checkpoint_if_due(s->audit(), k.signer, 5, std::chrono::hours(1), 3);
  EXPECT_TRUE(made.value());  // 7 >= 5 new entries
  auto cps = s->audit().checkpoints();
  ASSERT_TRUE(cps.ok());
  ASSERT_EQ(cps->size(), 2u);
  EXPECT_EQ((*cps)[0].size, 10);
  EXPECT_EQ((*cps)[1].size, 17);
  EXPECT_NE((*cps)[1].note.find("\n17\n"), std::string::npos);
  auto report = verify(s->audit(), k.ring);
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what;
  EXPECT_EQ(report.checkpoints, 2);
  EXPECT_EQ(report.latest_checkpoint, 17);

  // A frontier that does not extend the last checkpoint's tree is never signed.
  auto raw_conn = raw();
  ASSERT_TRUE(raw_conn);
  ASSERT_TRUE(append(s->audit(), k.signer, 2, 17));
  auto head = s->audit().head().value();
  std::string bad = head.frontier;
  bad[bad.size() - 1] = bad.back() == '0' ? '1' : '0';
  ASSERT_TRUE(raw_conn->query("UPDATE audit_head SET frontier = $1", {std::string_view(bad)}).ok());
  made = audit::checkpoint_if_due(s->audit(), k.signer, 1, std::chrono::hours(1), 4);
  EXPECT_FALSE(made.ok());
  EXPECT_EQ(s->audit().checkpoints()->size(), 2u);
}

// Rows changed behind the store's back: the verifier names the seq.
TEST_P(StoreConformance, AuditVerifyNamesTheFirstBadSeqOfAChangedLog) {
  Keys k;
  struct Case {
    const char* name;
    std::string sql;
    std::int64_t seq;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"edited field", "UPDATE audit_entries SET entry = replace(entry, '\"tokens_in\":4,', '\"tokens_in\":5,') WHERE seq = 5", 5, "hash mismatch"},
      {"deleted entry", "DELETE FROM audit_entries WHERE seq = 7", 7, "missing seq 7"},
      {"flipped hash", "UPDATE audit_entries SET hash = '00' || substr(hash, 3) WHERE seq = 3", 3, "hash mismatch"},
      {"truncated tail", "DELETE FROM audit_entries WHERE seq > 8", 9, "truncated tail"},
      {"forged head", "UPDATE audit_signed_heads SET signature = (SELECT signature FROM audit_signed_heads WHERE seq = 4) WHERE seq = 10", 10, "bad signature on the chain head"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TearDown();
    SetUp();
    auto s = open_migrated();
    ASSERT_TRUE(s);
    ASSERT_TRUE(append(s->audit(), k.signer, 4));      // seqs 1..4
    ASSERT_TRUE(append(s->audit(), k.signer, 6, 4));   // seqs 5..10
    ASSERT_TRUE(audit::checkpoint_if_due(s->audit(), k.signer, 1, std::chrono::hours(1), 1).ok());
    auto conn = raw();
    ASSERT_TRUE(conn);
    auto r = conn->query(c.sql);
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto report = verify(s->audit(), k.ring);
    EXPECT_FALSE(report.verdict.ok);
    EXPECT_EQ(report.verdict.first_bad_seq, c.seq) << report.verdict.what;
    EXPECT_NE(report.verdict.what.find(c.what), std::string::npos) << report.verdict.what;
  }
}

// Rotation: a new key retires the old one; the old entries keep verifying, and a
// signature the retired key makes afterwards is refused.
TEST_P(StoreConformance, AuditKeyRotationKeepsOldEntriesValidAndRefusesARetiredKey) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys old_key, new_key;
  ASSERT_TRUE(s->audit().add_key({old_key.signer.key_id(), public_hex(old_key.signer), 1, 0}, 1));
  ASSERT_TRUE(append(s->audit(), old_key.signer, 3));  // signed heads dated 1.9e18
  const std::int64_t retired_at = 1'950'000'000'000'000'000;
  ASSERT_TRUE(s->audit().add_key({new_key.signer.key_id(), public_hex(new_key.signer), 2, 0}, retired_at));
  ASSERT_TRUE(append(s->audit(), new_key.signer, 3, 3));
  auto ring = audit::keyring_of(s->audit().keys().value());
  ASSERT_TRUE(ring.ok());
  auto report = verify(s->audit(), ring.value());
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what;
  // The retired key signs a batch dated after its retirement.
  std::vector<audit::Entry> late{request(99)};
  ASSERT_TRUE(s->audit().append([&](const AuditHead& head) {
    return audit::seal_after(head, late, old_key.signer, audit::SignMode::kBatch, retired_at + 1);
  }));
  report = verify(s->audit(), ring.value());
  EXPECT_FALSE(report.verdict.ok);
  EXPECT_EQ(report.verdict.first_bad_seq, 7);
  EXPECT_NE(report.verdict.what.find("retired"), std::string::npos) << report.verdict.what;
}

// retire_others_at 0 lists a key beside the ones in service and retires nothing (the first
// step of a rotation); adding it again later with a time retires the others, keeps it.
TEST_P(StoreConformance, AuditKeyAddedWithoutRetirementLeavesTheOthersInService) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  Keys a, b;
  ASSERT_TRUE(s->audit().add_key({a.signer.key_id(), public_hex(a.signer), 1, 0}, 5));
  ASSERT_TRUE(s->audit().add_key({b.signer.key_id(), public_hex(b.signer), 2, 0}, 0));
  auto keys = s->audit().keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : keys.value()) EXPECT_EQ(k.retired_unix_ns, 0) << k.key_id;
  ASSERT_TRUE(s->audit().add_key({b.signer.key_id(), public_hex(b.signer), 3, 0}, 7));
  keys = s->audit().keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : keys.value()) {
    EXPECT_EQ(k.retired_unix_ns, k.key_id == a.signer.key_id() ? 7 : 0) << k.key_id;
    if (k.key_id == b.signer.key_id()) EXPECT_EQ(k.created_unix_ns, 2);
  }
}

}  // namespace
}  // namespace cutover::store::testing
