#include "store/migrations.hpp"

#include <chrono>
#include <ctime>
#include <string>

#include "store/sql/sql_connection.hpp"
#include "store/store.hpp"

namespace cutover::store {
namespace {

// Types both backends read alike: SQLite gives BIGINT integer affinity; every TEXT column
// is NOT NULL with a default where old writers may not name it.
constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE state_versions (
  domain TEXT NOT NULL CHECK (length(domain) BETWEEN 1 AND 64),
  version BIGINT NOT NULL CHECK (version >= 1),
  document TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_unix_ns BIGINT NOT NULL,
  author TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (domain, version)
);
CREATE TABLE state_active (
  domain TEXT NOT NULL PRIMARY KEY,
  version BIGINT NOT NULL,
  updated_unix_ns BIGINT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  FOREIGN KEY (domain, version) REFERENCES state_versions (domain, version)
);
CREATE TABLE state_changes (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  counter BIGINT NOT NULL
);
INSERT INTO state_changes (id, counter) VALUES (1, 0);
CREATE TABLE counters (
  key TEXT NOT NULL,
  window_id BIGINT NOT NULL,
  used BIGINT NOT NULL CHECK (used >= 0),
  PRIMARY KEY (key, window_id)
);
CREATE INDEX counters_by_window ON counters (window_id);
)sql";

// Expand-only: a column with a default. Version-1 readers name their columns, so they
// neither see nor need it (tested: store/schema_compat_test.cpp).
constexpr std::string_view kSchema2 = R"sql(
ALTER TABLE state_versions ADD COLUMN labels TEXT NOT NULL DEFAULT '';
)sql";

// Expand-only: the audit log (store/audit_store.hpp). audit_head is the one row every
// appender locks; seq is the primary key, so no duplicate can be stored.
constexpr std::string_view kSchema3 = R"sql(
CREATE TABLE audit_entries (
  seq BIGINT NOT NULL PRIMARY KEY CHECK (seq >= 1),
  time_unix_ns BIGINT NOT NULL,
  color TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  entry TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  signature TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entries_by_time ON audit_entries (time_unix_ns);
CREATE INDEX audit_entries_by_request ON audit_entries (request_id);
CREATE TABLE audit_head (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL,
  frontier TEXT NOT NULL DEFAULT '',
  updated_unix_ns BIGINT NOT NULL DEFAULT 0
);
INSERT INTO audit_head (id, seq, hash) VALUES
  (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit_signed_heads (
  seq BIGINT NOT NULL PRIMARY KEY,
  hash TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  time_unix_ns BIGINT NOT NULL
);
CREATE TABLE audit_checkpoints (
  size BIGINT NOT NULL PRIMARY KEY,
  root TEXT NOT NULL,
  note TEXT NOT NULL,
  frontier TEXT NOT NULL DEFAULT '',
  time_unix_ns BIGINT NOT NULL
);
CREATE TABLE audit_keys (
  key_id TEXT NOT NULL PRIMARY KEY,
  public_key TEXT NOT NULL,
  created_unix_ns BIGINT NOT NULL,
  retired_unix_ns BIGINT NOT NULL DEFAULT 0
);
)sql";

// Expand-only: the traffic switch (store/traffic_store.hpp). The plan itself is the
// "traffic" domain of the state registry; these are the switches' heartbeats (which plan
// version each serves) and the shadow comparisons.
constexpr std::string_view kSchema4 = R"sql(
CREATE TABLE switch_instances (
  id TEXT NOT NULL PRIMARY KEY,
  address TEXT NOT NULL DEFAULT '',
  plan_version BIGINT NOT NULL,
  started_unix_ns BIGINT NOT NULL,
  seen_unix_ns BIGINT NOT NULL
);
CREATE TABLE shadow_results (
  time_unix_ns BIGINT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  primary_color TEXT NOT NULL DEFAULT '',
  shadow_color TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  kinds TEXT NOT NULL DEFAULT '',
  token_delta BIGINT NOT NULL DEFAULT 0,
  latency_delta_us BIGINT NOT NULL DEFAULT 0,
  sample TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shadow_results_by_time ON shadow_results (time_unix_ns);
)sql";

constexpr Migration kMigrations[] = {
    {.version = 1,
     .description =
         "state registry (versions, active pointers, change counter), rate-limit counters",
     .sql = kSchema1},
    {.version = 2,
     .description = "state_versions.labels: free-form labels of a version (expand-only)",
     .sql = kSchema2},
    {.version = 3,
     .description = "audit log: entries, chain head, signed heads, checkpoints, keys (expand-only)",
     .sql = kSchema3},
    {.version = 4,
     .description = "traffic switch: switch heartbeats, shadow comparisons (expand-only)",
     .sql = kSchema4},
};

constexpr std::string_view kBootstrap = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT NOT NULL PRIMARY KEY,
  applied_at TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_meta (
  name TEXT NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO schema_meta (name, value) VALUES ('min_reader_version', 0)
  ON CONFLICT (name) DO NOTHING;
)sql";

std::string utc_now_iso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<bool> table_exists(sql::Connection& c, std::string_view table) {
  auto rows = c.dialect() == sql::Dialect::kSqlite
                  ? c.query(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                        "name = $1",
                        {table})
                  : c.query(
                        "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = $1 "
                        "AND schemaname = current_schema()",
                        {table});
  if (!rows.ok()) return rows.error();
  return rows->int64(0, 0) > 0;
}

// Serializes migrators: SQLite's write lock is already taken by BEGIN IMMEDIATE.
Status take_migration_lock(sql::Connection& c) {
  if (c.dialect() == sql::Dialect::kSqlite) return {};
  auto r = c.query(
      "SELECT pg_advisory_xact_lock(hashtext('cutover.migrate.' || "
      "coalesce(current_schema(), '')))");
  if (!r.ok()) return r.error();
  return {};
}

// The database's schema version, once it is known that this binary can read it.
Result<int> readable_schema_version(sql::Connection& c) {
  auto version = read_schema_version(c);
  if (!version.ok()) return version.error();
  auto min_reader = read_min_reader_version(c);
  if (!min_reader.ok()) return min_reader.error();
  if (Status s = check_reader_compatible(*version, *min_reader, Store::known_schema_version(),
                                         c.display_url());
      !s.ok())
    return s.error();
  return *version;
}

Status apply_one(sql::Connection& c, const Migration& m) {
  sql::WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s;
  if (Status s = take_migration_lock(c); !s.ok()) return s;
  if (Status s = c.exec_script(kBootstrap); !s.ok()) return s;
  // Under the lock: another process may have applied it (or contracted) meanwhile.
  if (auto version = readable_schema_version(c); !version.ok()) return version.error();
  auto done = c.query("SELECT count(*) FROM schema_migrations WHERE version = $1",
                      {std::int64_t{m.version}});
  if (!done.ok()) return done.error();
  if (done->int64(0, 0) > 0) return tx.commit();

  std::string_view text = c.dialect() == sql::Dialect::kPostgres && !m.postgres_sql.empty()
                              ? m.postgres_sql
                              : m.sql;
  if (Status s = c.exec_script(text); !s.ok())
    return Error(s.error().code(), "migration " + std::to_string(m.version) + " (" +
                                       std::string(m.description) +
                                       ") failed: " + s.error().message());
  std::string now = utc_now_iso8601();
  auto rec = c.query(
      "INSERT INTO schema_migrations (version, applied_at, description) VALUES ($1, $2, $3)",
      {std::int64_t{m.version}, now, m.description});
  if (!rec.ok()) return rec.error();
  auto meta =
      c.query("UPDATE schema_meta SET value = $1 WHERE name = 'min_reader_version' AND value < $1",
              {std::int64_t{m.min_reader_version}});
  if (!meta.ok()) return meta.error();
  return tx.commit();
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int Store::known_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Status check_reader_compatible(int db_version, int db_min_reader, int known,
                               std::string_view display_url) {
  if (db_min_reader <= known) return {};
  return Error(ErrorCode::kUnavailable,
               "the store at " + std::string(display_url) + " has schema version " +
                   std::to_string(db_version) + " and was contracted for readers of version " +
                   std::to_string(db_min_reader) +
                   " or newer; this cutover binary reads schema versions up to " +
                   std::to_string(known) + ": run a release whose schema version is at least " +
                   std::to_string(db_min_reader) + " (docs/STORE.md, expand/contract)");
}

Result<int> read_schema_version(sql::Connection& c) {
  auto exists = table_exists(c, "schema_migrations");
  if (!exists.ok()) return exists.error();
  if (!*exists) return 0;
  auto rows = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!rows.ok()) return rows.error();
  return static_cast<int>(rows->int64(0, 0));
}

Result<int> read_min_reader_version(sql::Connection& c) {
  auto exists = table_exists(c, "schema_meta");
  if (!exists.ok()) return exists.error();
  if (!*exists) return 0;
  auto rows = c.query("SELECT value FROM schema_meta WHERE name = 'min_reader_version'");
  if (!rows.ok()) return rows.error();
  return rows->empty() ? 0 : static_cast<int>(rows->int64(0, 0));
}

Status migrate(sql::Connection& c, int target) {
  auto version = readable_schema_version(c);
  if (!version.ok()) return version.error();
  for (const Migration& m : kMigrations) {
    if (m.version > target || m.version <= *version) continue;
    if (Status s = apply_one(c, m); !s.ok()) return s;
  }
  return {};
}

}  // namespace cutover::store
