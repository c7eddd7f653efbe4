// Replays the traffic fuzz corpus (fuzz/corpus) through the fuzz target's own code in the
// normal test run, so a crash found once stays fixed (STYLE.md). Drop a crashing input into
// fuzz/corpus to keep it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "traffic/fuzz/traffic_fuzz.hpp"

namespace cutover::traffic {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(TrafficFuzzCorpus, EverySeedRunsCleanly) {
  const auto dir = std::filesystem::path(__FILE__).parent_path() / "fuzz" / "corpus";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    fuzz::run_one(read(entry.path()));
    ++files;
  }
  EXPECT_GE(files, 8);
  // The seeds still mean what their names say (else fuzzing starts from nothing useful).
  std::string full = read(dir / "plan_full");
  EXPECT_TRUE(parse_plan(std::string_view(full).substr(1)).ok());
  std::string bad = read(dir / "plan_bad");
  EXPECT_GE(plan_problems(std::string_view(bad).substr(1)).size(), 4u);
}

}  // namespace
}  // namespace cutover::traffic
