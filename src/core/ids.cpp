#include "core/ids.hpp"

#include <unistd.h>

#include <chrono>

#include "core/json_text.hpp"
#include "core/random.hpp"

namespace cutover {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

// 48 bits of milliseconds since the epoch, then 80 random bits: ids sort by time (like
// UUIDv7/ULID), so the audit log's request-id index grows at its end instead of touching
// a random page per entry; 80 bits keep ids of one millisecond apart.
std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

std::string node_id() { return host_name() + ":" + std::to_string(::getpid()); }

std::string new_request_id() {
  auto& r = Random::thread_local_instance();
  const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  std::string id;
  id.reserve(32);
  append_hex(id, ms, 12);
  append_hex(id, r.next(), 16);
  append_hex(id, r.next(), 4);
  return id;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TraceContext parse_traceparent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags ; 2-32-16-2
  TraceContext t;
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return t;
  auto version = h.substr(0, 2), trace = h.substr(3, 32), parent = h.substr(36, 16),
       flags = h.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff" || !is_lower_hex(trace) || all_zero(trace) ||
      !is_lower_hex(parent) || all_zero(parent) || !is_lower_hex(flags))
    return t;
  if (version == "00" && h.size() != 55) return t;
  t.trace_id = trace;
  t.parent_id = parent;
  t.flags = flags;
  return t;
}

std::string child_traceparent(const TraceContext& in, std::string* trace_id_out) {
  auto& r = Random::thread_local_instance();
  std::string out;
  out.reserve(55);
  out += "00-";
  if (in.trace_id.empty()) {
    append_hex(out, r.next(), 16);
    append_hex(out, r.next(), 16);
  } else {
    out += in.trace_id;
  }
  if (trace_id_out) *trace_id_out = out.substr(3, 32);
  out += '-';
  append_hex(out, r.next() | 1, 16);  // never all zero
  out += '-';
  out += in.trace_id.empty() ? std::string_view("01") : std::string_view(in.flags);
  return out;
}

}  // namespace cutover
