#include "switch/metrics.hpp"

namespace cutover::switching {

Metrics::PerColor& Metrics::color(std::string_view name) {
  std::size_t n = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    if (names_[i] == name) return per_color_[i];
  std::lock_guard lock(mu_);
  n = used_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i)
    if (names_[i] == name) return per_color_[i];
  if (n == kMaxColors) return per_color_[kMaxColors - 1];
  names_[n] = std::string(name);
  used_.store(n + 1, std::memory_order_release);
  return per_color_[n];
}

void Metrics::count(std::string_view c, int status) {
  std::size_t cls = status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100) : 0;
  color(c).by_class[cls].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(std::size_t open_connections) const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  std::string out;
  out += "# HELP cutover_switch_requests_total Requests by the color that served them and status class.\n"
         "# TYPE cutover_switch_requests_total counter\n";
  static constexpr std::array<const char*, 6> kClass = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  std::size_t n = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < kClass.size(); ++c)
      out += "cutover_switch_requests_total{color=\"" + names_[i] + "\",class=\"" + kClass[c] + "\"} " +
             std::to_string(per_color_[i].by_class[c].load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_no_endpoint_total 503s because no gateway of the serving color was reachable.\n"
         "# TYPE cutover_switch_no_endpoint_total counter\n";
  for (std::size_t i = 0; i < n; ++i)
    out += "cutover_switch_no_endpoint_total{color=\"" + names_[i] + "\"} " +
           std::to_string(per_color_[i].no_endpoint.load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_mirrored_total Shadow copies sent, by the color they went to.\n"
         "# TYPE cutover_switch_mirrored_total counter\n";
  for (std::size_t i = 0; i < n; ++i)
    out += "cutover_switch_mirrored_total{color=\"" + names_[i] + "\"} " +
           std::to_string(per_color_[i].mirrored.load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_shadow_comparisons_total Primary vs shadow, by outcome.\n"
         "# TYPE cutover_switch_shadow_comparisons_total counter\n";
  out += "cutover_switch_shadow_comparisons_total{outcome=\"equal\"} " + std::to_string(shadow_equal.load(kRelaxed)) + "\n";
  out += "cutover_switch_shadow_comparisons_total{outcome=\"equivalent\"} " + std::to_string(shadow_equivalent.load(kRelaxed)) + "\n";
  out += "cutover_switch_shadow_comparisons_total{outcome=\"different\"} " + std::to_string(shadow_different.load(kRelaxed)) + "\n";
  out += "cutover_switch_shadow_comparisons_total{outcome=\"error\"} " + std::to_string(shadow_error.load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_shadow_differences_total Comparisons in which this kind differed.\n"
         "# TYPE cutover_switch_shadow_differences_total counter\n";
  for (std::size_t k = 0; k < kKinds.size(); ++k)
    out += "cutover_switch_shadow_differences_total{kind=\"" + std::string(kKinds[k]) + "\"} " +
           std::to_string(shadow_kind[k].load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_shadow_dropped_total Shadow copies not sent or not recorded (queue full).\n"
         "# TYPE cutover_switch_shadow_dropped_total counter\n"
         "cutover_switch_shadow_dropped_total " + std::to_string(shadow_dropped.load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_plan_version The traffic plan version this switch serves.\n"
         "# TYPE cutover_switch_plan_version gauge\n"
         "cutover_switch_plan_version " + std::to_string(plan_version.load(kRelaxed)) + "\n";
  out += "# HELP cutover_switch_open_connections Client connections open now.\n"
         "# TYPE cutover_switch_open_connections gauge\n"
         "cutover_switch_open_connections " + std::to_string(open_connections) + "\n";
  return out;
}

}  // namespace cutover::switching
