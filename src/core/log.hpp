// Structured logs: one JSON object per line on stderr, written with a single write(2)
// so lines from several threads never interleave. Never pass a secret in a field.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cutover::log {

void set_level(LogLevel level);
bool enabled(LogLevel level);
// Fields added to every line ("component": "gateway", "color": "blue").
void set_common_fields(boost::json::object fields);
bool parse_level(std::string_view s, LogLevel& out);

void write(LogLevel level, std::string_view msg, const boost::json::object& fields = {});

// A line built in place for the hot path (the access log): no JSON object, and no
// allocation once the calling thread has logged a line. Keys must be plain literals.
class Line final {
 public:
  Line(LogLevel level, std::string_view msg);
  Line& str(std::string_view key, std::string_view value);
  Line& num(std::string_view key, std::int64_t value);
  Line& flag(std::string_view key, bool value);
  // Adds the common fields and writes the line.
  void emit();

 private:
  std::string& buf_;
  bool on_;
};

inline void debug(std::string_view m, const boost::json::object& f = {}) { if (enabled(LogLevel::kDebug)) write(LogLevel::kDebug, m, f); }
inline void info(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kInfo, m, f); }
inline void warn(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kWarn, m, f); }
inline void error(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kError, m, f); }

}  // namespace cutover::log
