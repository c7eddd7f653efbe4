// Prometheus metrics of a switch: requests per color and status class, routing errors,
// shadow comparisons by outcome and kind, the plan version served. Colors get a slot the
// first time they are seen (at most kMaxColors; more share the last slot); counting is
// relaxed atomic adds, no lock.
#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace cutover::switching {

class Metrics final {
 public:
  static constexpr std::size_t kMaxColors = 8;
  struct PerColor {
    std::array<std::atomic<std::uint64_t>, 6> by_class{};  // 1xx..5xx, and 0 = no response
    std::atomic<std::uint64_t> no_endpoint{0};  // 503: no healthy gateway of this color
    std::atomic<std::uint64_t> mirrored{0};     // copies sent to this color
  };
  PerColor& color(std::string_view name);
  void count(std::string_view color, int status);

  std::atomic<std::int64_t> plan_version{0};
  std::atomic<std::uint64_t> shadow_equal{0}, shadow_equivalent{0}, shadow_different{0},
      shadow_error{0}, shadow_dropped{0};
  static constexpr std::array<std::string_view, 7> kKinds = {"status",  "error_type", "structure", "model",
                                                             "content", "tool_calls", "tokens"};
  std::array<std::atomic<std::uint64_t>, kKinds.size()> shadow_kind{};

  std::string render(std::size_t open_connections) const;

 private:
  std::mutex mu_;  // registration of a new color only
  std::array<std::string, kMaxColors> names_;
  std::atomic<std::size_t> used_{0};
  std::array<PerColor, kMaxColors> per_color_;
};

}  // namespace cutover::switching
