// Structured logs: one JSON object per line on stderr, written with a single write(2)
// so lines from several threads never interleave. Never pass a secret in a field.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "core/error.hpp"

namespace cutover::log {

void set_level(LogLevel level);
bool enabled(LogLevel level);
// Fields added to every line ("component": "gateway", "color": "blue").
void set_common_fields(boost::json::object fields);
bool parse_level(std::string_view s, LogLevel& out);

void write(LogLevel level, std::string_view msg, const boost::json::object& fields = {});

inline void debug(std::string_view m, const boost::json::object& f = {}) { if (enabled(LogLevel::kDebug)) write(LogLevel::kDebug, m, f); }
inline void info(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kInfo, m, f); }
inline void warn(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kWarn, m, f); }
inline void error(std::string_view m, const boost::json::object& f = {}) { write(LogLevel::kError, m, f); }

}  // namespace cutover::log
