// PostgreSQL behind store::sql::Connection (libpq).
//
// Every value is a bound parameter (PQexecParams, text format); SQL text is static. One
// PGconn; SqlStore holds the mutex. A connection that died while idle (server restarted,
// network cut) is noticed before the next operation sends anything and reopened
// (PQreset), so nothing is sent twice; a failure in the middle of an operation sets lost()
// and the next operation reconnects. Connection errors read
// "cannot reach postgres at host:port: ...".
#pragma once

#include <memory>
#include <string>

#include "core/error.hpp"
#include "store/sql/sql_connection.hpp"

namespace cutover::store::postgres {

// The channel that apply/rollback NOTIFY with the new change counter as payload.
inline constexpr std::string_view kStateChannel = "cutover_state";

// Connects to `url` (postgres:// or postgresql://; a connect_timeout of 5 s unless the URL
// sets one).
Result<std::unique_ptr<sql::Connection>> open(const std::string& url, std::string display_url);

}  // namespace cutover::store::postgres
