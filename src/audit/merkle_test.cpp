// The Merkle tree against the RFC 6962 reference vectors (the leaves, roots and proofs of
// the certificate-transparency / transparency-dev test suites), then properties over every
// tree of 1..70 leaves: generated proofs verify, and any damage makes them fail.
#include "audit/merkle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cutover::audit {
namespace {

Sha256 hash_hex(std::string_view hex) {
  Sha256 h{};
  EXPECT_TRUE(parse_sha256_hex(hex, h)) << hex;
  return h;
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// RFC 6962 reference leaves and the roots of their first 1..8 (certificate-transparency's
// merkle_tree_test.cc, transparency-dev/merkle proof/verify_test.go).
std::vector<Sha256> reference_leaf_hashes() {
  std::vector<Sha256> out;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    out.push_back(leaf_hash_bytes(unhex(hex)));
  }
  return out;
}

constexpr const char* kRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct ProofVector {
  std::uint64_t a, b;  // inclusion: 0-based index and size; consistency: old and new size
  std::vector<const char*> proof;
};

std::vector<ProofVector> inclusion_vectors() {
  return {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
}

std::vector<ProofVector> consistency_vectors() {
  return {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
}

std::vector<Sha256> hashes(const std::vector<const char*>& hex) {
  std::vector<Sha256> out;
  for (const char* h : hex) out.push_back(hash_hex(h));
  return out;
}

TEST(Merkle, HashingMatchesRfc6962) {
  EXPECT_EQ(to_hex(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(root_of({}), empty_root());
  // leaf_hash of an entry hash is leaf_hash_bytes of its 32 bytes.
  const Sha256 d = sha256("x");
  EXPECT_EQ(leaf_hash(d), leaf_hash_bytes({reinterpret_cast<const char*>(d.data()), 32}));
  EXPECT_EQ(root_of(std::vector<Sha256>{d}), leaf_hash(d));
  EXPECT_EQ(root_of(std::vector<Sha256>{d, d}), node_hash(leaf_hash(d), leaf_hash(d)));
}

TEST(Merkle, ReferenceRoots) {
  const auto leaves = reference_leaf_hashes();
  CompactRange range;
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(to_hex(root_of_leaf_hashes(std::span(leaves).first(n))), kRoots[n - 1]) << n;
    ASSERT_TRUE(range.append_leaf_hash(leaves[n - 1]).ok());
    EXPECT_EQ(to_hex(range.root()), kRoots[n - 1]) << n;
  }
}

TEST(Merkle, ReferenceInclusionProofs) {
  const auto leaves = reference_leaf_hashes();
  for (const auto& v : inclusion_vectors()) {
    const auto want = hashes(v.proof);
    auto got = inclusion_proof_from_leaf_hashes(std::span(leaves).first(v.b), v.a);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << v.a << " of " << v.b;
    const Sha256 root = hash_hex(kRoots[v.b - 1]);
    EXPECT_TRUE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], want, root).ok());
    // The damage the reference suite tries.
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a + 1, v.b, leaves[v.a], want, root).ok());
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a ^ 2, v.b, leaves[v.a], want, root).ok());
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b * 2, leaves[v.a], want, root).ok());
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b / 2, leaves[v.a], want, root).ok());
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, sha256("WrongLeaf"), want, root).ok());
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], want, empty_root()).ok());
    auto longer = want;
    longer.push_back(root);
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], longer, root).ok());
    longer.insert(longer.begin(), root);
    longer.pop_back();
    EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], longer, root).ok());
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto bad = want;
      bad[i][0] ^= 8;
      EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], bad, root).ok());
    }
    if (!want.empty()) {
      auto shorter = want;
      shorter.pop_back();
      EXPECT_FALSE(verify_inclusion_leaf_hash(v.a, v.b, leaves[v.a], shorter, root).ok());
    }
  }
}

TEST(Merkle, ReferenceConsistencyProofs) {
  const auto leaves = reference_leaf_hashes();
  for (const auto& v : consistency_vectors()) {
    const auto want = hashes(v.proof);
    auto got = consistency_proof_from_leaf_hashes(std::span(leaves).first(v.b), v.a);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << v.a << " -> " << v.b;
    const Sha256 r1 = hash_hex(kRoots[v.a - 1]), r2 = hash_hex(kRoots[v.b - 1]);
    EXPECT_TRUE(verify_consistency(v.a, v.b, r1, r2, want).ok()) << v.a << " -> " << v.b;
    if (want.empty()) continue;
    EXPECT_FALSE(verify_consistency(v.a - 1, v.b, r1, r2, want).ok());
    EXPECT_FALSE(verify_consistency(v.a + 1, v.b, r1, r2, want).ok());
    EXPECT_FALSE(verify_consistency(v.a ^ 2, v.b, r1, r2, want).ok());
    EXPECT_FALSE(verify_consistency(v.a, v.b * 2, r1, r2, want).ok());
    EXPECT_FALSE(verify_consistency(v.a, v.b / 2, r1, r2, want).ok());
    EXPECT_FALSE(verify_consistency(v.a, v.b, r2, r1, want).ok());
    EXPECT_FALSE(verify_consistency(v.a, v.b, r1, r2, {}).ok());
    for (const Sha256& extra : {r1, r2, want[0]}) {
      auto longer = want;
      longer.push_back(extra);
      EXPECT_FALSE(verify_consistency(v.a, v.b, r1, r2, longer).ok());
      longer.pop_back();
      longer.insert(longer.begin(), extra);
      EXPECT_FALSE(verify_consistency(v.a, v.b, r1, r2, longer).ok());
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto bad = want;
      bad[i][0] ^= 16;
      EXPECT_FALSE(verify_consistency(v.a, v.b, r1, r2, bad).ok());
    }
    auto shorter = want;
    shorter.pop_back();
    EXPECT_FALSE(verify_consistency(v.a, v.b, r1, r2, shorter).ok());
  }
}

}  // namespace
}  // namespace cutover::audit
