// Tamper detection on an entry-mode chain: each manipulation is caught and named at the
// right seq.
#include "audit/chain.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cutover::audit {
namespace {

struct Chain {
  Signer signer = std::move(Signer::generate().value());
  Keyring keys;
  std::vector<Entry> entries;

  explicit Chain(int n) {
    EXPECT_TRUE(keys.add(signer.public_raw()));
    Sha256 prev{};
    for (int i = 1; i <= n; ++i) {
      Entry e;
      e.seq = i;
      e.time_unix_ns = 1'800'000'000'000'000'000 + i;
      e.color = i % 2 ? "blue" : "green";
      e.kind = "request";
      e.request_id = "req-" + std::to_string(i);
      e.decision = "allow";
      e.http_status = 200;
      e.tokens_in = i;
      seal(e, prev, &signer);
      prev = e.hash;
      entries.push_back(e);
    }
  }
  Verdict verify() const { return verify_chain(entries, keys, 1, Sha256{}); }
};

TEST(AuditChain, AnIntactChainVerifies) {
  Chain c(5);
  auto v = c.verify();
  EXPECT_TRUE(v.ok) << v.what;
  EXPECT_EQ(v.entries, 5);
}

TEST(AuditChain, CanonicalKeysAreSortedAndEveryFieldIsPresent) {
  Entry e;
  e.reason = "quote \" newline \n";
  auto c = canonical(e);
  std::vector<std::string> keys;
  for (std::size_t i = c.find("{\""); i != std::string::npos; i = c.find(",\"", i + 1)) {
    auto start = i + 2, end = c.find('"', start);
    keys.push_back(c.substr(start, end - start));
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(keys.size(), 29u);
  EXPECT_NE(c.find(R"("reason":"quote \" newline \n")"), std::string::npos);
}

TEST(AuditChain, EachTamperingIsNamedAtItsSeq) {
  struct Case {
    const char* name;
    void (*tamper)(Chain&);
    std::int64_t seq;
    const char* what;
  };
  const Case cases[] = {
      {"edit a field", [](Chain& c) { c.entries[2].http_status = 500; }, 3, "hash mismatch"},
      {"flip a digest byte", [](Chain& c) { c.entries[1].hash[0] ^= 1; }, 2, "hash mismatch"},
      {"delete an entry", [](Chain& c) { c.entries.erase(c.entries.begin() + 2); }, 3, "missing seq 3"},
      {"duplicate an entry", [](Chain& c) { c.entries.insert(c.entries.begin() + 2, c.entries[1]); }, 2, "duplicate"},
      {"reorder two", [](Chain& c) { std::swap(c.entries[1], c.entries[2]); }, 2, "missing seq 2"},
      {"swap signatures", [](Chain& c) { std::swap(c.entries[1].signature, c.entries[3].signature); }, 2, "bad signature"},
      {"unknown key", [](Chain& c) { c.entries[4].key_id = "0000000000000000"; }, 5, "unknown key id"},
      {"re-sign with another key",
       [](Chain& c) {
         auto other = std::move(Signer::generate().value());
         c.entries[3].signature = other.sign(signing_input(c.entries[3].hash));
       },
       4, "bad signature"},
      {"insert a forged entry",
       [](Chain& c) {
         Entry forged = c.entries[1];
         forged.request_id = "forged";
         seal(forged, c.entries[1].hash, &c.signer);  // even with the real key, seq repeats
         c.entries.insert(c.entries.begin() + 2, forged);
       },
       2, "duplicate"},
      {"relink after an edit",
       [](Chain& c) {
         c.entries[2].tokens_in = 999;
         seal(c.entries[2], c.entries[1].hash, nullptr);  // recomputed hash, old signature
       },
       3, "bad signature"},
  };
  for (const auto& k : cases) {
    Chain c(6);
    k.tamper(c);
    auto v = c.verify();
    EXPECT_FALSE(v.ok) << k.name;
    EXPECT_EQ(v.first_bad_seq, k.seq) << k.name << ": " << v.what;
    EXPECT_NE(v.what.find(k.what), std::string::npos) << k.name << ": " << v.what;
  }
}

TEST(AuditChain, RotatedKeysKeepOldEntriesVerifying) {
  Chain c(3);
  auto next = std::move(Signer::generate().value());
  ASSERT_TRUE(c.keys.add(next.public_raw()));
  Entry e;
  e.seq = 4;
  e.kind = "control";
  seal(e, c.entries.back().hash, &next);
  c.entries.push_back(e);
  EXPECT_TRUE(c.verify().ok);
  auto restored = Signer::from_private(next.private_raw());
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->key_id(), next.key_id());
}

}  // namespace
}  // namespace cutover::audit
