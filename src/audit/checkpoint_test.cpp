// Checkpoints: the C2SP body, signing and opening, and the monitor's comparison of two
// checkpoints (forks, rollbacks and replays are caught; honest growth passes).
#include "audit/checkpoint.hpp"

#include <gtest/gtest.h>

#include "audit/merkle.hpp"
#include "audit/strict_text.hpp"

namespace cutover::audit {
namespace {

// The example of c2sp.org/tlog-checkpoint.
constexpr std::string_view kSofa =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kOrigin = "cutover.test/audit";

Signer fixed_signer(char fill) {
  auto s = Signer::from_private(std::string(32, fill));
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

std::vector<Sha256> entry_hashes(std::size_t n) {
  std::vector<Sha256> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(sha256("entry " + std::to_string(i)));
  return out;
}

Checkpoint at(std::span<const Sha256> leaves) {
  return Checkpoint{
      std::string(kOrigin), static_cast<std::int64_t>(leaves.size()), root_of(leaves), {}};
}

TEST(Checkpoint, BodyRoundTrips) {
  auto sofa = parse_body(kSofa);
  ASSERT_TRUE(sofa.ok()) << sofa.error().message();
  EXPECT_EQ(sofa->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(sofa->size, 20852163);
  EXPECT_EQ(to_hex(sofa->root).substr(0, 8), "0ac5186a");
  EXPECT_EQ(format_body(*sofa), kSofa);

  Checkpoint c{"log \xC3\xA9", 0, empty_root(), {"ext one", "two"}};
  ASSERT_TRUE(validate(c).ok());
  const std::string body = format_body(c);
  EXPECT_EQ(body.substr(0, 9), "log \xC3\xA9\n0\n");
  auto back = parse_body(body);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, c);
  c.size = 9223372036854775807;
  EXPECT_EQ(*parse_body(format_body(c)), c);
}

TEST(Checkpoint, BodyParserIsStrict) {
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  const std::string sofa(kSofa);
  std::vector<std::string> bad = {
      "",
      "o\n1\n",
      "o\n1\n" + root,          // no final newline
      "\n1\n" + root + "\n",    // empty origin
      "o\n01\n" + root + "\n",  // leading zero
      "o\n+1\n" + root + "\n",
      "o\n-1\n" + root + "\n",
      "o\n 1\n" + root + "\n",
      "o\n1 \n" + root + "\n",
      "o\n\n" + root + "\n",
      "o\n9223372036854775808\n" + root + "\n",  // past int64
      "o\n1\n" + root.substr(1) + "\n",
      "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // leftover bits set
      "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",  // url alphabet
      "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",   // unpadded
      "o\n1\nAAAA\n",                                          // not 32 bytes
      "o\n1\n" + root + "\n\n",                                // empty extension line
      "o\n1\n" + root + "\next\n\n",
      "o\tx\n1\n" + root + "\n",  // control character
      "o\r\n1\n" + root + "\n",
      "\xff\n1\n" + root + "\n",  // not UTF-8
      "o\n1\n" + root + "\n" + std::string(1025, 'x') + "\n",
      "o\n1\n" + root + "\n" + std::string(1025, 'x'),
  };
  std::string many = "o\n1\n" + root + "\n";
  for (int i = 0; i < 17; ++i) many += "e\n";
  bad.push_back(many);
  for (const auto& body : bad) {
    auto r = parse_body(body);
    EXPECT_FALSE(r.ok()) << "accepted: " << body;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
    }
  }
  EXPECT_FALSE(validate(Checkpoint{"", 0, {}, {}}).ok());
  EXPECT_FALSE(validate(Checkpoint{"o", -1, {}, {}}).ok());
  EXPECT_FALSE(validate(Checkpoint{"o\nforged", 0, {}, {}}).ok());  // would frame another body
  EXPECT_FALSE(validate(Checkpoint{"o", 0, {}, {""}}).ok());
}

TEST(Checkpoint, SignAndOpen) {
  const Signer log = fixed_signer('\x11');
  const std::vector<NoteVerifier> known{{std::string(kOrigin), log.public_raw()}};
  const auto leaves = entry_hashes(10);
  const Checkpoint c = at(leaves);
  auto note = sign_checkpoint(c, kOrigin, log);
  ASSERT_TRUE(note.ok()) << note.error().message();
  EXPECT_EQ(note->substr(0, format_body(c).size()), format_body(c));
  auto opened = open_checkpoint(*note, known);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ(*opened, c);

  // A vkey carries the same verifier.
  auto parsed = parse_vkey(vkey(kOrigin, log.public_raw()));
  ASSERT_TRUE(parsed.ok());
  const std::vector<NoteVerifier> from_vkey{*parsed};
  EXPECT_TRUE(open_checkpoint(*note, from_vkey).ok());

  // Tampered body: a bigger size under the old signature.
  std::string tampered = *note;
  tampered.replace(tampered.find("\n10\n"), 4, "\n11\n");
  auto t = open_checkpoint(tampered, known);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kUnauthenticated);

  // Signed by another key under the same name: unknown key, so no known signature.
  const Signer other = fixed_signer('\x22');
  auto forged = sign_checkpoint(c, kOrigin, other);
  ASSERT_TRUE(forged.ok());
  auto f = open_checkpoint(*forged, known);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(f.error().message().find("no signature by a known key"), std::string::npos);

  // Only a witness signature we do not know: refused. Ours plus a witness: fine.
  auto witness = sign_note(format_body(c), "witness.example", other);
  ASSERT_TRUE(witness.ok());
  EXPECT_FALSE(open_checkpoint(*witness, known).ok());
  const std::string cosigned = *note + witness->substr(witness->rfind("\n\n") + 2);
  EXPECT_TRUE(open_checkpoint(cosigned, known).ok());

  // Truncated signature line (the base64 cut short).
  std::string cut = *note;
  cut.erase(cut.size() - 9, 8);
  EXPECT_FALSE(open_checkpoint(cut, known).ok());
  // Signed text that is not a checkpoint body.
  auto prose = sign_note("hello\n", kOrigin, log);
  ASSERT_TRUE(prose.ok());
  auto p = open_checkpoint(*prose, known);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidRequest);
  // An invalid checkpoint is not signed at all.
  EXPECT_FALSE(sign_checkpoint(Checkpoint{"", 1, {}, {}}, kOrigin, log).ok());
}

TEST(Checkpoint, ConsistencyBetweenCheckpoints) {
  const auto leaves = entry_hashes(10);
  const auto span = std::span<const Sha256>(leaves);
  const Checkpoint c4 = at(span.first(4)), c10 = at(span), c7 = at(span.first(7));
  auto proof = consistency_proof(span, 4);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(check_consistent(c4, c10, *proof).ok());
  EXPECT_TRUE(check_consistent(c10, c10, {}).ok());
  EXPECT_TRUE(check_consistent(at(span.first(0)), c10, {}).ok());

  // Replay: an older checkpoint presented as the newer one.
  auto replay = check_consistent(c10, c4, *proof);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().message().find("replayed"), std::string::npos);

  // Fork: one size, two roots; the error names both.
  Checkpoint fork = c10;
  fork.root = root_of(entry_hashes(11));
  auto f = check_consistent(c10, fork, {});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find(to_hex(c10.root)), std::string::npos);
  EXPECT_NE(f.error().message().find(to_hex(fork.root)), std::string::npos);

  // Rewritten history: the new tree does not extend the old one.
  auto rewritten = entry_hashes(10);
  rewritten[2] = sha256("rewritten");
  const Checkpoint r10 = at(rewritten);
  auto rproof = consistency_proof(rewritten, 4);
  ASSERT_TRUE(rproof.ok());
  EXPECT_FALSE(check_consistent(c4, r10, *rproof).ok());
  // A proof for the wrong pair of sizes.
  EXPECT_FALSE(check_consistent(c7, c10, *proof).ok());
  // Another log.
  Checkpoint elsewhere = c10;
  elsewhere.origin = "other.test/audit";
  EXPECT_FALSE(check_consistent(c4, elsewhere, *proof).ok());
}

}  // namespace
}  // namespace cutover::audit
