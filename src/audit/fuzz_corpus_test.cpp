// Replays the audit fuzz corpora (fuzz/corpus/{entry,checkpoint,proof}) in the normal test
// run through the same functions the fuzz targets call, so a crash found once stays fixed
// (STYLE.md). Drop a crashing input into the matching corpus directory to keep it; name a
// seed valid_* when it must be accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "audit/fuzz/audit_fuzz.hpp"

namespace cutover::audit {
namespace {

struct Replay {
  int files = 0, valid = 0;
};

Replay replay(const std::string& target, const std::function<bool(std::string_view)>& run) {
  const auto dir = std::filesystem::path(__FILE__).parent_path() / "fuzz" / "corpus" / target;
  Replay r;
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;
  if (!std::filesystem::is_directory(dir)) return r;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string name = entry.path().filename().string();
    const bool accepted = run(bytes.str());  // aborts when an oracle fails
    ++r.files;
    // valid_* seeds must pass: otherwise the fixture rotted and the fuzzer would never get
    // past the first check.
    if (name.rfind("valid_", 0) == 0) {
      EXPECT_TRUE(accepted) << target << "/" << name;
      r.valid += accepted;
    }
  }
  return r;
}

TEST(AuditFuzzCorpus, Entry) {
  const auto r = replay("entry", fuzz::run_entry);
  EXPECT_GE(r.files, 5);
  EXPECT_GE(r.valid, 2);
}

TEST(AuditFuzzCorpus, Checkpoint) {
  const auto r = replay("checkpoint", fuzz::run_checkpoint);
  EXPECT_GE(r.files, 5);
  EXPECT_GE(r.valid, 3);
}

TEST(AuditFuzzCorpus, Proof) {
  const auto r = replay("proof", fuzz::run_proof);
  EXPECT_GE(r.files, 5);
  EXPECT_GE(r.valid, 3);
}

}  // namespace
}  // namespace cutover::audit

namespace cutover::audit {
namespace {
TEST(AuditFuzzCorpus, ExportLine) {
  const auto r = replay("export", fuzz::run_export_line);
  EXPECT_GE(r.files, 5);
  EXPECT_GE(r.valid, 4);
}
}  // namespace
}  // namespace cutover::audit
