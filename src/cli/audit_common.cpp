#include "cli/audit_common.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <chrono>
#include <ctime>
#include <iostream>

#include "cli/secrets.hpp"
#include "core/clock.hpp"
#include "gateway/config.hpp"

namespace cutover::cli {

std::int64_t unix_ns_now() { return unix_nanos(); }

Result<std::int64_t> parse_time_arg(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorCode::kInvalidRequest,
                 "'" + std::string(text) +
                     "' is not a time: use RFC 3339 (2026-11-25T13:00:00Z), unix seconds, or an age "
                     "like 90s, 15m, 2h, 7d");
  };
  if (text.empty()) return bad();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && n >= 0) {
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    constexpr std::int64_t kS = 1'000'000'000;
    if (unit.empty()) return n * kS;
    std::int64_t per = unit == "s" ? kS : unit == "m" ? 60 * kS : unit == "h" ? 3600 * kS : unit == "d" ? 86400 * kS : 0;
    if (per && unit.size() == 1) return unix_ns_now() - n * per;
  }
  std::tm tm{};
  const std::string s(text);
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return bad();
  std::int64_t frac_ns = 0;
  if (*rest == '.') {
    std::int64_t scale = 100'000'000;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10) frac_ns += (*rest - '0') * scale;
  }
  if (std::string_view(rest) != "Z") return bad();
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000 + frac_ns;
}

audit::SignerRef load_audit_signer(store::Store& s, const Result<identity::MasterKey>& master) {
  auto doc = active_secrets(s);
  if (!doc) return {nullptr, doc.error().message()};
  boost::json::error_code ec;
  auto v = boost::json::parse(doc.value().empty() ? std::string("{}") : doc.value(), ec);
  if (ec || !v.is_object()) return {nullptr, "the store's secrets document is not a JSON object"};
  if (!master) return gateway::open_audit_signer(v.as_object(), nullptr, master.error().message());
  identity::SecretBox box(master.value());
  return gateway::open_audit_signer(v.as_object(), &box);
}

bool record_control(store::Store& s, const audit::ControlEvent& event, std::string_view command,
                    const Result<identity::MasterKey>& master) {
  return record_control(s, event, command, load_audit_signer(s, master));
}

bool record_control(store::Store& s, const audit::ControlEvent& event, std::string_view command,
                    const audit::SignerRef& key) {
  auto seq = audit::append_control(s.audit(), event, key, audit::SignMode::kBatch);
  if (!seq) {
    std::cerr << "cutover " << command << ": warning: the change is applied, but its audit entry "
              << "could not be written: " << seq.error().message() << "\n";
    return false;
  }
  if (!key.signer)
    std::cerr << "cutover " << command << ": audit seq " << seq.value()
              << " written unsigned (" << key.problem
              << "); the next signed head a gateway writes covers it\n";
  return true;
}

}  // namespace cutover::cli
