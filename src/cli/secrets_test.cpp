// store_secret is a read-modify-write of the secrets document: concurrent writers (two
// `secret set`, or one beside `audit keygen`) must each keep the other's secret. On SQLite
// and on PostgreSQL.
#include <string>
#include <thread>
#include <vector>

#include "cli/secrets.hpp"
#include "store/secrets_document.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

TEST_P(StoreConformance, ConcurrentSecretWritersKeepEachOthersSecrets) {
  ASSERT_TRUE(open_migrated());
  auto key = identity::MasterKey::from_bytes(std::string(32, '\x5a'));
  ASSERT_TRUE(key.ok());
  constexpr int kWriters = 3, kEach = 10;
  std::vector<std::thread> writers;
  std::vector<std::string> errors(kWriters);
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      auto s = open();
      if (!s) return;
      for (int i = 0; i < kEach && errors[w].empty(); ++i) {
        auto v = cli::store_secret(*s, key.value(), "w" + std::to_string(w) + "-" + std::to_string(i), "value",
                                   "test");
        if (!v) errors[w] = v.error().message();
      }
    });
  for (auto& t : writers) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto s = open();
  ASSERT_TRUE(s);
  auto doc = cli::active_secrets(*s);
  ASSERT_TRUE(doc.ok());
  auto secrets = parse_secrets(doc.value());
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ(secrets->size(), static_cast<std::size_t>(kWriters * kEach));
}

}  // namespace
}  // namespace cutover::store::testing
