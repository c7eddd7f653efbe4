// decide() is on the switch's hot path: it must not allocate. This file replaces the global
// operator new/delete of the test binary with malloc/free plus a per-thread counter that
// only counts while a test arms it. Sanitizer builds keep their own allocator (and skip the
// test): they check new/delete pairing, which a replacement would hide.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "core/random.hpp"
#include "traffic/decide.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CUTOVER_COUNT_ALLOCATIONS 0
#else
#define CUTOVER_COUNT_ALLOCATIONS 1
#endif

#if CUTOVER_COUNT_ALLOCATIONS
namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace cutover::traffic {
namespace {

TEST(TrafficDecideAllocations, DecideAllocatesNothing) {
#if !CUTOVER_COUNT_ALLOCATIONS
  GTEST_SKIP() << "sanitizer build: the allocator is the sanitizer's";
#else
  auto plan = parse_plan(
      R"({"environments":{"blue":{"endpoints":["http://127.0.0.1:8081"]},)"
      R"("green":{"endpoints":["http://127.0.0.1:8082"]}},"active":"blue",)"
      R"("candidate":{"color":"green","weight_bp":2500},)"
      R"("cohorts":[{"match":{"header":"x-cutover-cohort","equals":"beta"},"color":"green"},)"
      R"({"match":{"tenant":"acme"},"color":"green"}],)"
      R"("mirror":{"color":"green","fraction":0.3}})");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  std::vector<HeaderPair> pairs = {{"content-type", "application/json"}, {"x-other", "1"}};
  HeaderList headers{pairs};
  Random rng(1);
  std::size_t green = 0;
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 10'000; ++i) {
    RequestKey key{
        .subject = "agent", .tenant = i % 3 ? "globex" : "acme", .header = HeaderLookup(headers)};
    Decision d = decide(*plan, key, sticky_hash(key), rng.next());
    green += d.color == "green";
  }
  g_counting = false;
  EXPECT_EQ(g_allocations, 0u);
  EXPECT_GT(green, 0u);
#endif
}

}  // namespace
}  // namespace cutover::traffic
