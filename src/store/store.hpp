// Opening a store by URL and migrating its schema.
//
//   sqlite:///abs/path/cutover.db, sqlite://rel/path.db or a bare path
//                                  (the embedded default: ./cutover.db; WAL; several
//                                   processes on one host)
//   postgres://user:pw@host:port/db?sslmode=...   (libpq; many hosts; postgresql:// too)
//
// Schema rule for releases (docs/STORE.md): a new version only EXPANDS the schema (adds
// tables, columns with defaults, indexes); an old version keeps working on it; contraction
// happens in a later release, once no old version runs. Every migration is numbered and
// recorded in schema_migrations; a contraction raises the database's min_reader_version,
// and a binary older than that refuses to run on it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/audit_store.hpp"
#include "store/counter_store.hpp"
#include "store/state_store.hpp"
#include "store/traffic_store.hpp"

namespace cutover::store {

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"
  // The URL with any password replaced by "***", for logs and errors.
  virtual const std::string& display_url() const = 0;

  // All are safe to call from several threads (calls are serialized per Store: one
  // connection each; open several Stores for parallelism).
  virtual StateStore& state() = 0;
  virtual CounterStore& counters() = 0;
  virtual AuditStore& audit() = 0;
  virtual TrafficStore& traffic() = 0;

  // Highest migration applied to the database (0: empty database), and the highest this
  // binary knows. The database may be ahead of the binary: that is fine while the
  // database's min_reader_version (raised only by a contraction) is <= ours.
  virtual Result<int> schema_version() = 0;
  virtual Result<int> min_reader_version() = 0;
  static int known_schema_version();

  // Applies every migration up to `target` that the database lacks, each in its own
  // transaction, safe against several processes migrating at once. Refuses (and changes
  // nothing) when the database was contracted past what this binary can read; the error
  // says which release is needed. migrate() = migrate_to(known_schema_version()), run at
  // start and by `cutover store migrate`; migrate_to exists for tests of old schemas.
  virtual Status migrate_to(int target) = 0;
  Status migrate() { return migrate_to(known_schema_version()); }
};

// Opens (does not migrate). Errors name the URL (password hidden), what failed and how to
// fix it.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

// "sqlite://cutover.db": ./cutover.db in the working directory.
std::string default_store_url();

// The URL with the password of "scheme://user:password@host" and any "password=" query
// parameter replaced by "***".
std::string redact_url(std::string_view url);

}  // namespace cutover::store
