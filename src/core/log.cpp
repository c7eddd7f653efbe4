#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <ctime>
#include <utility>

namespace cutover::log {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
boost::json::object g_common;  // set once at start-up, before threads run

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void append_time(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  n += std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us));
  out.append(buf, n);
}

}  // namespace

void set_level(LogLevel level) { g_level.store(static_cast<int>(level)); }
bool enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }
void set_common_fields(boost::json::object fields) { g_common = std::move(fields); }

bool parse_level(std::string_view s, LogLevel& out) {
  for (auto l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError})
    if (s == level_name(l)) { out = l; return true; }
  return false;
}

void write(LogLevel level, std::string_view msg, const boost::json::object& fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  append_time(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  line += boost::json::serialize(boost::json::string_view(msg.data(), msg.size()));
  for (const boost::json::object* obj : {&std::as_const(g_common), &fields}) {
    for (const auto& kv : *obj) {
      line += ',';
      line += boost::json::serialize(kv.key());
      line += ':';
      line += boost::json::serialize(kv.value());
    }
  }
  line += "}\n";
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // nowhere to report a failing log
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace cutover::log
