#include "gateway/retry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace cutover::gateway {

RetryDecision decide_retry(const RetryPolicy& policy, int attempts_done, const Error& error, double draw) {
  if (!error.retryable()) return {RetryDecision::kGiveUp};
  if (attempts_done >= policy.max_attempts) return {RetryDecision::kNextTarget};
  if (auto ra = error.retry_after()) {
    if (*ra > policy.max_retry_after) return {RetryDecision::kNextTarget};
    return {RetryDecision::kRetry, *ra};
  }
  double base = static_cast<double>(policy.backoff_initial.count()) * std::pow(2.0, attempts_done - 1);
  base = std::min(base, static_cast<double>(policy.backoff_max.count()));
  auto delay = static_cast<long long>(base * (0.5 + 0.5 * std::clamp(draw, 0.0, 1.0)));
  return {RetryDecision::kRetry, std::chrono::milliseconds(delay)};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v, std::int64_t now_unix) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v.front() >= '0' && v.front() <= '9') {
    double secs = 0;  // some providers send fractions ("0.5")
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (ec != std::errc{} || p != v.data() + v.size() || secs < 0 || secs > 86400) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
  }
  std::tm tm{};
  std::string s(v);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return std::nullopt;
  std::int64_t at = timegm(&tm);
  return std::chrono::milliseconds(std::max<std::int64_t>(0, at - now_unix) * 1000);
}

}  // namespace cutover::gateway
