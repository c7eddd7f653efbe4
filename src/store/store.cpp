#include "store/store.hpp"

#include "store/postgres/postgres_connection.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace cutover::store {
namespace {

constexpr std::string_view kUsage =
    "use sqlite:///absolute/path.db, sqlite://relative/path.db, a bare file path, or "
    "postgres://user:password@host:port/database";

Error bad_url(std::string_view url, std::string_view what) {
  return Error(ErrorCode::kInvalidRequest, "store URL '" + redact_url(url) + "' " +
                                               std::string(what) + ": " + std::string(kUsage));
}

}  // namespace

std::string default_store_url() { return "sqlite://cutover.db"; }

std::string redact_url(std::string_view url) {
  std::string out(url);
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    std::size_t start = scheme + 3;
    std::size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    std::size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (std::size_t p = out.find("password="); p != std::string::npos;
       p = out.find("password=", p + 1)) {
    std::size_t v = p + 9;
    std::size_t e = out.find_first_of("& ", v);
    out.replace(v, (e == std::string::npos ? out.size() : e) - v, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  std::string display = redact_url(url);
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto conn = postgres::open(std::string(url), display);
    if (!conn.ok()) return conn.error();
    return std::unique_ptr<Store>(
        std::make_unique<sql::SqlStore>("postgres", std::move(conn.value())));
  }
  std::string path;
  if (url.starts_with("sqlite://")) {
    path = url.substr(9);  // sqlite:///abs -> /abs; sqlite://rel -> rel
  } else if (url.find("://") != std::string_view::npos) {
    return bad_url(url, "has an unsupported scheme");
  } else {
    path = url;
  }
  if (path.empty()) return bad_url(url, "names no database file");
  if (path.find('?') != std::string::npos)
    return bad_url(url, "has query parameters, which sqlite store URLs do not take");
  auto conn = sqlite::open(path, display);
  if (!conn.ok()) return conn.error();
  return std::unique_ptr<Store>(std::make_unique<sql::SqlStore>("sqlite", std::move(conn.value())));
}

}  // namespace cutover::store
