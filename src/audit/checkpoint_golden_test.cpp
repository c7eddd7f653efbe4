// Every example value of docs/AUDIT_CHECKPOINTS.md, checked: the document is what a third
// party writes a verifier from, so it must stay true. Change both together.
#include <gtest/gtest.h>

#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"

namespace cutover::audit {
namespace {

constexpr std::string_view kVkey =
    "cutover.example/audit+a0fb0f3a+ASFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS";
constexpr std::string_view kNote5 =
    "cutover.example/audit\n5\nX4ttehxpxXhOKWbYIaDgX6k/NONq5ZrKdf1vKUaEt8g=\n\n"
    "\xE2\x80\x94 cutover.example/audit "
    "oPsPOsThsum427gNbIlfmMixjUARWe4+ievfzA0q1T41k262bvaGqOtwirYcgQ3Skf7IhCThgVwpFGRjTwoFhklmXg4="
    "\n";
constexpr std::string_view kNote8 =
    "cutover.example/audit\n8\ncAQGwUyVg407+5m+f8UIkn2MRUn9H6HJtSerKapIR44=\n\n"
    "\xE2\x80\x94 cutover.example/audit "
    "oPsPOk29ZNMUzpx0pnN6ZxbFHOdFtHae8JleI3AiIfBxDJL+PFqi1nxkPBIkdK+rPwgevOQn46CqaDEIMpRqmfMmQg4="
    "\n";

Sha256 hex(std::string_view h) {
  Sha256 out{};
  EXPECT_TRUE(parse_sha256_hex(h, out)) << h;
  return out;
}

std::vector<Sha256> doc_leaves() {
  std::vector<Sha256> d;
  for (int i = 0; i < 8; ++i) d.push_back(sha256("leaf " + std::to_string(i)));
  return d;
}

TEST(CheckpointGolden, HashesOfTheDocument) {
  const auto d = doc_leaves();
  EXPECT_EQ(to_hex(d[0]), "20e325f06280f9d0d193fed01a0eda5bef79063f2e602d93e3605cbe825d96ad");
  EXPECT_EQ(to_hex(leaf_hash(d[0])),
            "31d82f8c2c1211c119bc7352c5688f177e9b25b5162483c5b571fa3eece8b3a3");
  EXPECT_EQ(to_hex(root_of(std::span(d).first(5))),
            "5f8b6d7a1c69c5784e2966d821a0e05fa93f34e36ae59aca75fd6f294684b7c8");
  EXPECT_EQ(to_hex(root_of(d)), "700406c14c95838d3bfb99be7fc508927d8c4549fd1fa1c9b527ab29aa48478e");
  CompactRange r;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.append(d[i]).ok());
  EXPECT_EQ(r.encode(),
            "5 148466cbc58d477034e1ad9582c65a11d2c372f97c189927fa22f9f0dc0593eb "
            "039df592b68e96465c0e6633b2f87ca739048786ff87303a99a73d22cb3031c6");
}

TEST(CheckpointGolden, SignedCheckpointsOfTheDocument) {
  auto v = parse_vkey(kVkey);
  ASSERT_TRUE(v.ok()) << v.error().message();
  auto signer = Signer::from_private(std::string(32, '\x42'));
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(v->public_raw32, signer->public_raw());
  const std::vector<NoteVerifier> known{*v};
  const auto d = doc_leaves();
  for (auto [note, n] : {std::pair{kNote5, 5}, std::pair{kNote8, 8}}) {
    auto c = open_checkpoint(note, known);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->size, n);
    EXPECT_EQ(c->root, root_of(std::span(d).first(n)));
    auto again = sign_checkpoint(*c, "cutover.example/audit", *signer);  // Ed25519 is deterministic
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, note);
  }
}

TEST(CheckpointGolden, ProofsOfTheDocument) {
  const auto d = doc_leaves();
  const std::vector<Sha256> inclusion = {
      hex("f99610c7caae17dd087cbdeb434fdf71e0ce721b243c90c1167f7a482425cd03"),
      hex("34959128c8eb35cc38a329af9116b54ef78c6b044d0687478eab65e4b70078bb"),
      hex("e3d9b39269aa0dfb240bb55c8dbfd94ea9a36f2b1cdfc245ccaa7f336af36246")};
  EXPECT_EQ(*inclusion_proof(d, 2), inclusion);
  EXPECT_EQ(inclusion[0], leaf_hash(d[3]));
  EXPECT_TRUE(verify_inclusion(2, 8, d[2], inclusion, root_of(d)).ok());

  const std::vector<Sha256> consistency = {
      hex("039df592b68e96465c0e6633b2f87ca739048786ff87303a99a73d22cb3031c6"),
      hex("f1b5e06afdecbb8a285afd9a008f479d91c2f1894b44bcd2db0264ca3e18189d"),
      hex("ed64c9bae9923abb1898beceefbf901a8d820fd0317c3037f8c1f7c1679c627d"),
      hex("148466cbc58d477034e1ad9582c65a11d2c372f97c189927fa22f9f0dc0593eb")};
  EXPECT_EQ(*consistency_proof(d, 5), consistency);
  EXPECT_EQ(consistency[0], leaf_hash(d[4]));
  EXPECT_EQ(consistency[3], root_of(std::span(d).first(4)));
  EXPECT_TRUE(
      verify_consistency(5, 8, root_of(std::span(d).first(5)), root_of(d), consistency).ok());
}

}  // namespace
}  // namespace cutover::audit
