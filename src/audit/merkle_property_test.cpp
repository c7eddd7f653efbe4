// Properties of the Merkle tree over every size 1..70: generated proofs verify, damage of
// any kind (a flipped bit, a wrong index or size, a missing or extra hash) is refused, the
// compact range agrees with the full tree, and hostile verifier input never crashes.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "audit/merkle.hpp"

namespace cutover::audit {
namespace {

constexpr std::uint64_t kMaxN = 70;

std::vector<Sha256> entry_hashes(std::size_t n) {
  std::vector<Sha256> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(sha256("entry " + std::to_string(i)));
  return out;
}

TEST(MerkleProperty, EveryInclusionProofVerifiesAndEveryDamageFails) {
  const auto all = entry_hashes(2 * kMaxN);
  std::vector<Sha256> roots;  // roots[m] = root of the first m leaves
  for (std::uint64_t m = 0; m <= 2 * kMaxN; ++m) roots.push_back(root_of(std::span(all).first(m)));
  for (std::uint64_t n = 1; n <= kMaxN; ++n) {
    const auto leaves = std::span(all).first(n);
    const Sha256& root = roots[n];
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = inclusion_proof(leaves, i);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(verify_inclusion(i, n, leaves[i], *proof, root).ok()) << i << " of " << n;
      // Flip one bit in each proof hash; for small trees every one of the 256 bits.
      for (std::size_t k = 0; k < proof->size(); ++k) {
        for (int bit = 0; bit < 256; bit += n <= 8 ? 1 : 37) {
          auto bad = *proof;
          bad[k][bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
          ASSERT_FALSE(verify_inclusion(i, n, leaves[i], bad, root).ok()) << i << "/" << n;
        }
      }
      auto bad_root = root;
      bad_root[31] ^= 1;
      EXPECT_FALSE(verify_inclusion(i, n, leaves[i], *proof, bad_root).ok());
      auto bad_leaf = leaves[i];
      bad_leaf[0] ^= 0x80;
      EXPECT_FALSE(verify_inclusion(i, n, bad_leaf, *proof, root).ok());
      // Every other index (in small trees; the neighbours in large ones).
      for (std::uint64_t j = n <= 24 || i < 2 ? 0 : i - 2; j < (n <= 24 ? n + 2 : i + 3); ++j) {
        if (j != i) {
          EXPECT_FALSE(verify_inclusion(j, n, leaves[i], *proof, root).ok()) << j;
        }
      }
      // Other sizes, with the root of that size: never. With this root: the size is bound
      // by the signed checkpoint, not by the proof (RFC 9162 proofs for n and n + 1 can
      // coincide when the path has the same shape), so only sizes that change the depth.
      for (std::uint64_t m : {n - 1, n + 1, 2 * n, n / 2, std::uint64_t{0}}) {
        EXPECT_FALSE(verify_inclusion(i, m, leaves[i], *proof, roots[m]).ok()) << i << "/" << m;
      }
      for (std::uint64_t m : {2 * n, n / 2, i}) {
        EXPECT_FALSE(verify_inclusion(i, m, leaves[i], *proof, root).ok()) << i << "/" << m;
      }
      auto longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(verify_inclusion(i, n, leaves[i], longer, root).ok());
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(verify_inclusion(i, n, leaves[i], shorter, root).ok());
      }
    }
    EXPECT_FALSE(inclusion_proof(leaves, n).ok());
  }
}

TEST(MerkleProperty, EveryConsistencyProofVerifiesAndEveryDamageFails) {
  const auto all = entry_hashes(kMaxN);
  std::vector<Sha256> roots;  // roots[m] = root of the first m leaves
  for (std::uint64_t m = 0; m <= kMaxN; ++m) roots.push_back(root_of(std::span(all).first(m)));
  for (std::uint64_t n = 1; n <= kMaxN; ++n) {
    const auto leaves = std::span(all).first(n);
    for (std::uint64_t m = 0; m <= n; ++m) {
      auto proof = consistency_proof(leaves, m);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(verify_consistency(m, n, roots[m], roots[n], *proof).ok()) << m << " -> " << n;
      if (m == 0 || m == n) {
        EXPECT_TRUE(proof->empty());
        continue;
      }
      for (std::size_t k = 0; k < proof->size(); ++k) {
        for (int bit = 0; bit < 256; bit += n <= 8 ? 1 : 53) {
          auto bad = *proof;
          bad[k][bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
          ASSERT_FALSE(verify_consistency(m, n, roots[m], roots[n], bad).ok()) << m << "->" << n;
        }
      }
      // A neighbouring pair of sizes, with the roots of those sizes, must not accept this
      // proof unless it is also the true proof for that pair (checked, not assumed).
      for (std::uint64_t m2 : {m - 1, m, m + 1}) {
        for (std::uint64_t n2 : {n - 1, n, n + 1}) {
          if ((m2 == m && n2 == n) || n2 > kMaxN || m2 > kMaxN) continue;
          if (!verify_consistency(m2, n2, roots[m2], roots[n2], *proof).ok()) continue;
          auto real = consistency_proof(std::span(all).first(n2), m2);
          ASSERT_TRUE(real.ok());
          EXPECT_EQ(*real, *proof) << m2 << " -> " << n2 << " accepted a foreign proof";
        }
      }
      EXPECT_FALSE(verify_consistency(m, n, roots[n], roots[m], *proof).ok());
      EXPECT_FALSE(verify_consistency(n, m, roots[n], roots[m], *proof).ok());
      auto longer = *proof;
      longer.push_back(roots[n]);
      EXPECT_FALSE(verify_consistency(m, n, roots[m], roots[n], longer).ok());
      auto shorter = *proof;
      shorter.pop_back();
      EXPECT_FALSE(verify_consistency(m, n, roots[m], roots[n], shorter).ok());
    }
    EXPECT_FALSE(consistency_proof(leaves, n + 1).ok());
  }
}

TEST(MerkleProperty, CompactRangeMatchesTheFullTreeAndRoundTrips) {
  const auto all = entry_hashes(300);
  CompactRange range;
  EXPECT_EQ(range.root(), empty_root());
  EXPECT_EQ(range.encode(), "0");
  for (std::size_t n = 1; n <= all.size(); ++n) {
    ASSERT_TRUE(range.append(all[n - 1]).ok());
    ASSERT_EQ(range.size(), n);
    ASSERT_EQ(range.hashes().size(), static_cast<std::size_t>(std::popcount(n)));
    ASSERT_EQ(range.root(), root_of(std::span(all).first(n))) << n;
    auto back = CompactRange::decode(range.encode());
    ASSERT_TRUE(back.ok()) << back.error().message();
    ASSERT_EQ(*back, range);
    // Appending to the decoded copy continues the same tree.
    if (n < all.size()) {
      ASSERT_TRUE(back->append(all[n]).ok());
      EXPECT_EQ(back->root(), root_of(std::span(all).first(n + 1)));
    }
  }
}

TEST(MerkleProperty, CompactRangeDecodeRejectsMalformedText) {
  CompactRange r;
  ASSERT_TRUE(r.append(sha256("a")).ok());
  ASSERT_TRUE(r.append(sha256("b")).ok());
  ASSERT_TRUE(r.append(sha256("c")).ok());
  const std::string good = r.encode();  // "3 <h1> <h2>"
  ASSERT_TRUE(CompactRange::decode(good).ok());
  const std::string h1 = to_hex(r.hashes()[0]);
  std::string upper = good;  // one hex letter in upper case
  const auto letter = upper.find_first_of("abcdef", 2);
  ASSERT_NE(letter, std::string::npos);
  upper[letter] = static_cast<char>(upper[letter] - 'a' + 'A');
  for (const std::string& text : {std::string(),
                                  std::string(" "),
                                  std::string("00"),
                                  std::string("01"),
                                  std::string("-1"),
                                  std::string("+1"),
                                  std::string("1"),
                                  std::string("0 ") + h1,
                                  std::string("1 ") + h1 + " ",
                                  std::string("2  ") + h1,
                                  std::string("2 ") + h1 + " " + h1,
                                  std::string("03 ") + h1,
                                  std::string("9223372036854775808"),
                                  std::string("18446744073709551616"),
                                  std::string("1 ") + h1.substr(1),
                                  std::string("1 ") + h1 + "0",
                                  upper,
                                  good + " " + h1,
                                  good.substr(0, good.size() - 1),
                                  std::string("1\t") + h1,
                                  std::string("x"),
                                  std::string(5000, '1')}) {
    EXPECT_FALSE(CompactRange::decode(text).ok()) << "accepted: " << text;
  }
  auto one = CompactRange::decode("1 " + h1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  EXPECT_EQ(one->root(), r.hashes()[0]);
}

TEST(MerkleProperty, VerifiersSurviveHostileInput) {
  const Sha256 h = sha256("x");
  const std::vector<Sha256> none, one{h}, many(200, h), sixty_three(63, h), sixty_four(64, h);
  constexpr auto kMax64 = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}, kMaxTreeSize,
                             kMaxTreeSize + 1, kMax64}) {
    for (std::uint64_t index : {std::uint64_t{0}, std::uint64_t{1}, size - 1, size, kMax64}) {
      for (const auto* proof : {&none, &one, &many, &sixty_three, &sixty_four}) {
        auto s = verify_inclusion(index, size, h, *proof, h);
        EXPECT_FALSE(s.ok()) << index << "/" << size;  // the leaf hash is never the root here
        if (!s.ok()) {
          EXPECT_FALSE(s.error().message().empty());
        }
      }
    }
    for (std::uint64_t old_size : {std::uint64_t{0}, std::uint64_t{1}, size - 1, size, kMax64}) {
      for (const auto* proof : {&none, &one, &many, &sixty_three, &sixty_four}) {
        auto s = verify_consistency(old_size, size, h, h, *proof);
        if (s.ok()) {
          EXPECT_TRUE(old_size == size && proof->empty());
        }
      }
    }
  }
  EXPECT_FALSE(verify_inclusion(0, 0, h, none, empty_root()).ok());
  EXPECT_FALSE(verify_consistency(2, 1, h, h, none).ok());
  EXPECT_TRUE(verify_consistency(0, 5, empty_root(), h, none).ok());
  EXPECT_FALSE(verify_consistency(0, 5, h, h, none).ok());  // size 0 has one root
  EXPECT_FALSE(verify_consistency(0, 0, h, h, none).ok());
  EXPECT_TRUE(verify_consistency(0, 0, empty_root(), empty_root(), none).ok());
  auto split = verify_consistency(3, 3, h, sha256("y"), none);
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.error().message().find(to_hex(h)), std::string::npos);
}

}  // namespace
}  // namespace cutover::audit
