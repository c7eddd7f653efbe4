// Fast, non-cryptographic randomness for jitter, sampling and ids that need not be secret.
// Decisions that depend on chance take their draw as an argument (see STYLE.md), so tests
// pass fixed draws; only the edges of the program call Random.
#pragma once

#include <cstdint>

namespace cutover {

class Random final {
 public:
  explicit Random(std::uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ULL) {}

  // splitmix64: tiny state, good enough statistics, no locks.
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // One generator per thread, seeded from the OS once.
  static Random& thread_local_instance();

 private:
  std::uint64_t s_;
};

}  // namespace cutover
