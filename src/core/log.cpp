#include "core/log.hpp"

#include "core/json_text.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <ctime>
#include <utility>

namespace cutover::log {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::string g_common;  // ",\"k\":v..." of the common fields; set at start-up, before threads run

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
  // The formatted second is cached per thread: most lines share it with the previous one.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[24];
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_secs = secs;
  }
  out += cached;
  char frac[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
  auto rem = us % 1000000;
  for (int i = 6; i >= 1; --i, rem /= 10) frac[i] = static_cast<char>('0' + rem % 10);
  out.append(frac, sizeof frac);
}

void write_fd(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // nowhere to report a failing log
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void start_line(std::string& line, LogLevel level, std::string_view msg) {
  line += "{\"ts\":\"";
  append_time(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  append_json_string(line, msg);
}

void append_common(std::string& line) { line += g_common; }

}  // namespace

void set_level(LogLevel level) { g_level.store(static_cast<int>(level)); }
bool enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }
void set_common_fields(boost::json::object fields) {
  g_common.clear();
  for (const auto& kv : fields) {
    g_common += ',';
    g_common += boost::json::serialize(kv.key());
    g_common += ':';
    g_common += boost::json::serialize(kv.value());
  }
}

bool parse_level(std::string_view s, LogLevel& out) {
  for (auto l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError})
    if (s == level_name(l)) { out = l; return true; }
  return false;
}

void write(LogLevel level, std::string_view msg, const boost::json::object& fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(256);
  start_line(line, level, msg);
  append_common(line);
  for (const auto& kv : fields) {
    line += ',';
    line += boost::json::serialize(kv.key());
    line += ':';
    line += boost::json::serialize(kv.value());
  }
  line += "}\n";
  write_fd(line);
}


namespace {
std::string& thread_buffer() {
  thread_local std::string buf;
  buf.clear();
  return buf;
}
}  // namespace

Line::Line(LogLevel level, std::string_view msg) : buf_(thread_buffer()), on_(enabled(level)) {
  if (on_) start_line(buf_, level, msg);
}

Line& Line::str(std::string_view key, std::string_view value) {
  if (!on_) return *this;
  buf_ += ",\"";
  buf_ += key;
  buf_ += "\":";
  append_json_string(buf_, value);
  return *this;
}

Line& Line::num(std::string_view key, std::int64_t value) {
  if (!on_) return *this;
  buf_ += ",\"";
  buf_ += key;
  buf_ += "\":";
  char tmp[24];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, value);
  buf_.append(tmp, end);
  return *this;
}

Line& Line::flag(std::string_view key, bool value) {
  if (!on_) return *this;
  buf_ += ",\"";
  buf_ += key;
  buf_ += value ? "\":true" : "\":false";
  return *this;
}

void Line::emit() {
  if (!on_) return;
  append_common(buf_);
  buf_ += "}\n";
  write_fd(buf_);
}

}  // namespace cutover::log
