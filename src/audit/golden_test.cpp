// A signed, chained audit segment written by this release (schema 1) and committed to the
// repository: it must verify forever (STYLE.md: persisted data stays readable). It holds
// a control event (state apply, unsigned and covered by the next signed head), requests
// of a batch-mode gateway (allowed, streamed, denied, failed), a key rotation, requests of
// an entry-mode gateway, and three checkpoints. Regenerating it is never the fix for a
// failure here: a change that breaks it breaks every archive.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "audit/export.hpp"
#include "audit/log.hpp"
#include "audit/reader.hpp"

namespace cutover::audit {
namespace {

const std::filesystem::path kDir = std::filesystem::path(__FILE__).parent_path() / "testdata";

Keyring golden_keys() {
  Keyring ring;
  std::ifstream in(kDir / "golden-v1.keys");
  for (std::string hex; std::getline(in, hex);) {
    Sha256 raw;
    EXPECT_TRUE(parse_sha256_hex(hex, raw)) << hex;
    EXPECT_TRUE(ring.add(std::string(reinterpret_cast<const char*>(raw.data()), raw.size())));
  }
  EXPECT_EQ(ring.size(), 2u);
  return ring;
}

TEST(AuditGolden, TheCommittedSegmentVerifiesWithItsPublicKeys) {
  std::ifstream in(kDir / "golden-v1.jsonl");
  ASSERT_TRUE(in);
  Keyring ring = golden_keys();
  auto report = verify_export(in, &ring, {});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->verdict.ok) << report->verdict.first_bad_seq << ": " << report->verdict.what;
  EXPECT_EQ(report->verdict.entries, 9);
  EXPECT_EQ(report->checkpoints, 3);
  EXPECT_EQ(report->latest_checkpoint, 9);
}

TEST(AuditGolden, EveryEntryDecodesAndBothSigningModesArePresent) {
  std::ifstream in(kDir / "golden-v1.jsonl");
  int control = 0, entry_signed = 0, unsigned_entries = 0, heads = 0;
  for (std::string line; std::getline(in, line);) {
    auto parsed = parse_export_line(line);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    if (auto* row = std::get_if<store::AuditRow>(&parsed.value())) {
      auto e = from_row(*row);
      ASSERT_TRUE(e.ok()) << e.error().message();
      control += e->kind == "control";
      (e->signature.empty() ? unsigned_entries : entry_signed)++;
    }
    heads += std::holds_alternative<store::SignedHead>(parsed.value());
  }
  EXPECT_EQ(control, 1);
  EXPECT_GT(entry_signed, 0);
  EXPECT_GT(unsigned_entries, 0);
  EXPECT_GT(heads, 0);
}

TEST(AuditGolden, WithoutTheRotatedKeyTheEntryModePartIsRefused) {
  std::ifstream in(kDir / "golden-v1.jsonl");
  std::ifstream keys(kDir / "golden-v1.keys");
  std::string first;
  std::getline(keys, first);
  Sha256 raw;
  ASSERT_TRUE(parse_sha256_hex(first, raw));
  Keyring only_first;
  ASSERT_TRUE(only_first.add(std::string(reinterpret_cast<const char*>(raw.data()), raw.size())));
  auto report = verify_export(in, &only_first, {});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->verdict.ok);
  EXPECT_NE(report->verdict.what.find("unknown key"), std::string::npos) << report->verdict.what;
}

}  // namespace
}  // namespace cutover::audit
