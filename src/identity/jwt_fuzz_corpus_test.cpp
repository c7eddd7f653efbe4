// Replays the JWT fuzz corpus (fuzz/corpus) in the normal test run, against the same
// issuers as the fuzz target, so a crash found once stays fixed (STYLE.md: fuzz corpora are
// replayed by the unit tests). Drop a crashing input into fuzz/corpus to keep it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "identity/fuzz/jwt_fuzz_issuers.hpp"

namespace cutover::identity {
namespace {

TEST(JwtFuzzCorpus, EverySeedIsVerifiedOrRejectedCleanly) {
  const auto dir = std::filesystem::path(__FILE__).parent_path() / "fuzz" / "corpus";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  const auto issuers = fuzz::fuzz_issuers();
  int files = 0, valid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto r = verify_jwt(bytes.str(), issuers, fuzz::kFuzzNow);
    ++files;
    const std::string name = entry.path().filename().string();
    // Seeds named valid_* must verify: otherwise the fixture rotted and fuzzing would never
    // get past the signature check.
    if (name.rfind("valid_", 0) == 0) {
      EXPECT_TRUE(r.ok()) << name << ": " << r.error().message();
      valid += r.ok();
    } else if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated) << name;
      EXPECT_FALSE(r.error().message().empty()) << name;
    }
  }
  EXPECT_GE(files, 5);
  EXPECT_GE(valid, 3);
}

}  // namespace
}  // namespace cutover::identity
