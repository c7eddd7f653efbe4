#include "gateway/metrics.hpp"

#include "audit/writer.hpp"

#include <algorithm>
#include <cstdio>

namespace cutover::gateway {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void append_num(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

}  // namespace

void Histogram::observe(std::chrono::nanoseconds d) {
  double s = std::chrono::duration<double>(d).count();
  auto it = std::lower_bound(kBounds.begin(), kBounds.end(), s);
  buckets_[static_cast<std::size_t>(it - kBounds.begin())].fetch_add(1, kRelaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())), kRelaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  out += "# TYPE " + name + " histogram\n";
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cum += buckets_[i].load(kRelaxed);
    out += name + "_bucket{" + labels + ",le=\"";
    if (i == kBounds.size()) out += "+Inf"; else append_num(out, kBounds[i]);
    out += "\"} " + std::to_string(cum) + "\n";
  }
  out += name + "_sum{" + labels + "} ";
  append_num(out, static_cast<double>(sum_ns_.load(kRelaxed)) / 1e9);
  out += "\n" + name + "_count{" + labels + "} " + std::to_string(cum) + "\n";
}

Metrics::Metrics(std::string color) : color_(std::move(color)), per_route_(new PerRoute[kMaxRoutes + 1]) {}

std::size_t Metrics::slot_for(const std::string& alias) {
  std::lock_guard lock(names_mu_);
  for (std::size_t i = 0; i < routes_.size(); ++i)
    if (routes_[i] == alias) return i;
  if (routes_.size() == kMaxRoutes) return kNoRoute;
  routes_.push_back(alias);
  return routes_.size() - 1;
}

std::size_t Metrics::status_slot(int status) {
  for (std::size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return i;
  return kStatuses.size() - 1;
}

void Metrics::count_request(std::size_t route, int status) {
  per_route_[slot(route)].requests[status_slot(status)].fetch_add(1, kRelaxed);
}
void Metrics::count_tokens(std::size_t route, std::int64_t in, std::int64_t out) {
  auto& r = per_route_[slot(route)];
  r.tokens_in.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, in)), kRelaxed);
  r.tokens_out.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, out)), kRelaxed);
}
void Metrics::count_retry(std::size_t route) { per_route_[slot(route)].retries.fetch_add(1, kRelaxed); }
void Metrics::count_fallback(std::size_t route) { per_route_[slot(route)].fallbacks.fetch_add(1, kRelaxed); }

std::string Metrics::render(std::size_t open_connections) const {
  std::string out;
  out.reserve(8192);
  std::lock_guard lock(names_mu_);
  const std::string color = "color=\"" + label_value(color_) + "\"";
  auto route_label = [&](std::size_t i) {
    return "route=\"" + (i < routes_.size() ? label_value(routes_[i]) : std::string("none")) + "\"," + color;
  };
  out += "# HELP cutover_requests_total Requests answered, by route alias, HTTP status and color.\n";
  out += "# TYPE cutover_requests_total counter\n";
  auto each_slot = [&](auto f) {
    for (std::size_t r = 0; r < routes_.size(); ++r) f(r);
    f(kMaxRoutes);
  };
  each_slot([&](std::size_t r) {
    for (std::size_t s = 0; s < kStatuses.size(); ++s) {
      auto v = per_route_[r].requests[s].load(kRelaxed);
      if (!v) continue;
      out += "cutover_requests_total{" + route_label(r) + ",status=\"" +
             (kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other")) + "\"} " +
             std::to_string(v) + "\n";
    }
  });
  auto per_route_counter = [&](const char* name, const char* help, auto get) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    each_slot([&](std::size_t r) {
      out += std::string(name) + "{" + route_label(r) + "} " + std::to_string(get(per_route_[r])) + "\n";
    });
  };
  per_route_counter("cutover_tokens_in_total", "Prompt tokens reported by providers.",
                    [](const PerRoute& p) { return p.tokens_in.load(kRelaxed); });
  per_route_counter("cutover_tokens_out_total", "Completion tokens reported by providers.",
                    [](const PerRoute& p) { return p.tokens_out.load(kRelaxed); });
  per_route_counter("cutover_retries_total", "Provider attempts repeated on the same provider.",
                    [](const PerRoute& p) { return p.retries.load(kRelaxed); });
  per_route_counter("cutover_fallbacks_total", "Moves to the next provider of a route's chain.",
                    [](const PerRoute& p) { return p.fallbacks.load(kRelaxed); });
  out += "# HELP cutover_request_duration_seconds Total time from request read to response end.\n";
  total.render(out, "cutover_request_duration_seconds", color);
  out += "# HELP cutover_upstream_duration_seconds Time spent waiting on providers.\n";
  upstream.render(out, "cutover_upstream_duration_seconds", color);
  out += "# HELP cutover_time_to_first_token_seconds Streams: request start to first chunk sent.\n";
  time_to_first_token.render(out, "cutover_time_to_first_token_seconds", color);
  out += "# HELP cutover_overhead_seconds The gateway's own time: total minus provider wait.\n";
  overhead.render(out, "cutover_overhead_seconds", color);
  out += "# HELP cutover_rate_limited_total Requests refused by a shared rate limit.\n"
         "# TYPE cutover_rate_limited_total counter\n";
  out += "cutover_rate_limited_total{" + color + "} " + std::to_string(rate_limited.load(kRelaxed)) + "\n";
  out += "# HELP cutover_rate_limit_store_errors_total Requests admitted because the counter store failed.\n"
         "# TYPE cutover_rate_limit_store_errors_total counter\n";
  out += "cutover_rate_limit_store_errors_total{" + color + "} " +
         std::to_string(rate_limit_store_errors.load(kRelaxed)) + "\n";
  out += "# HELP cutover_store_degraded 1 while the store is unreachable and the last snapshot serves.\n"
         "# TYPE cutover_store_degraded gauge\n";
  out += "cutover_store_degraded{" + color + "} " + std::to_string(store_degraded.load(kRelaxed)) + "\n";
  out += "# HELP cutover_audit_unavailable_total Requests refused (503) because their audit entry could not be written.\n"
         "# TYPE cutover_audit_unavailable_total counter\n";
  out += "cutover_audit_unavailable_total{" + color + "} " + std::to_string(audit_unavailable.load(kRelaxed)) + "\n";
  if (const audit::WriterStats* a = audit) {
    auto line = [&](const char* name, const char* type, const char* help, auto value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
      out += std::string(name) + "{" + color + "} " + std::to_string(value) + "\n";
    };
    line("cutover_audit_entries_total", "counter", "Audit entries made durable in the store.", a->appended.load(kRelaxed));
    line("cutover_audit_batches_total", "counter", "Group-commit transactions of the audit writer.", a->batches.load(kRelaxed));
    line("cutover_audit_append_failures_total", "counter", "Audit appends the store refused or could not take.", a->failures.load(kRelaxed));
    line("cutover_audit_spooled_total", "counter", "Audit entries written to the local spool (fail-open).", a->spooled.load(kRelaxed));
    line("cutover_audit_spool_pending", "gauge", "Spooled audit entries not yet in the store.", a->spool_pending.load(kRelaxed));
    line("cutover_audit_checkpoints_total", "counter", "Signed checkpoints this process added.", a->checkpoints.load(kRelaxed));
    line("cutover_audit_healthy", "gauge", "1 while the audit store takes appends.", a->healthy.load(kRelaxed));
  }
  out += "# HELP cutover_open_connections Client connections open now.\n# TYPE cutover_open_connections gauge\n";
  out += "cutover_open_connections{" + color + "} " + std::to_string(open_connections) + "\n";
  out += "# HELP cutover_open_streams Streamed responses in flight now.\n# TYPE cutover_open_streams gauge\n";
  out += "cutover_open_streams{" + color + "} " + std::to_string(open_streams.load(kRelaxed)) + "\n";
  return out;
}

}  // namespace cutover::gateway
