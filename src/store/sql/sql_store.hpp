// StateStore, CounterStore and Store written once over sql::Connection; open_store()
// gives them a SQLite or a PostgreSQL connection. One connection per Store, one mutex
// serializing its users (the gateway calls from several threads; for parallelism open
// several Stores).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/sql/sql_connection.hpp"
#include "store/store.hpp"

namespace cutover::store::sql {

struct Session {
  std::mutex mu;
  std::unique_ptr<Connection> conn;
};

// Runs f(connection) under the session's lock. Reads only: when the connection was lost
// the read runs once more (on a fresh connection); nothing was written, so that is safe.
template <class F>
auto read_with_retry(Session& s, F&& f) {
  std::lock_guard lock(s.mu);
  auto r = f(*s.conn);
  if (!r.ok() && s.conn->lost()) r = f(*s.conn);
  return r;
}

class SqlStateStore final : public StateStore {
 public:
  explicit SqlStateStore(Session& s) : s_(s) {}
  Result<std::vector<StateVersion>> active() override;
  Result<std::int64_t> change_counter() override;
  Result<std::vector<StateVersion>> apply(const std::vector<DocumentChange>& changes,
                                          std::string_view author,
                                          std::string_view comment) override;
  Result<std::vector<StateVersion>> history(std::string_view domain) override;
  Result<StateVersion> rollback(std::string_view domain, std::optional<std::int64_t> to,
                                std::string_view author) override;

 private:
  Session& s_;
};

class SqlCounterStore final : public CounterStore {
 public:
  explicit SqlCounterStore(Session& s) : s_(s) {}
  Result<CounterResult> try_add(std::string_view key, std::int64_t window, std::int64_t amount,
                                std::int64_t limit) override;
  Status adjust(std::string_view key, std::int64_t window, std::int64_t delta) override;
  Result<std::int64_t> used(std::string_view key, std::int64_t window) override;
  Status expire(std::int64_t before) override;

 private:
  Session& s_;
};

class SqlAuditStore final : public AuditStore {
 public:
  explicit SqlAuditStore(Session& s) : s_(s) {}
  Status append(const Sealer& seal) override;
  Result<AuditHead> head() override;
  Result<std::vector<AuditRow>> entries(const AuditQuery& q) override;
  Result<std::vector<std::string>> hashes(std::int64_t from, std::int64_t to) override;
  Result<std::vector<SignedHead>> signed_heads(std::int64_t from, std::int64_t to) override;
  Status add_checkpoint(const CheckpointMaker& make) override;
  Result<std::vector<CheckpointRow>> checkpoints() override;
  Status add_key(const AuditKey& k, std::int64_t retire_others_at) override;
  Result<std::vector<AuditKey>> keys() override;

 private:
  Session& s_;
  bool durable_ = false;  // SQLite: synchronous=FULL set on this connection
};

class SqlTrafficStore final : public TrafficStore {
 public:
  explicit SqlTrafficStore(Session& s) : s_(s) {}
  Status heartbeat(const SwitchInstance& s) override;
  Status forget(std::string_view id) override;
  Result<std::vector<SwitchInstance>> instances() override;
  Status add_shadow_results(const std::vector<ShadowResult>& results) override;
  Result<std::vector<ShadowResult>> shadow_results(std::int64_t since_unix_ns, std::int64_t limit) override;

 private:
  Session& s_;
};

class SqlStore final : public Store {
 public:
  SqlStore(std::string backend, std::unique_ptr<Connection> conn);
  std::string_view backend() const override { return backend_; }
  const std::string& display_url() const override { return session_.conn->display_url(); }
  StateStore& state() override { return state_; }
  CounterStore& counters() override { return counters_; }
  AuditStore& audit() override { return audit_; }
  TrafficStore& traffic() override { return traffic_; }
  Result<int> schema_version() override;
  Result<int> min_reader_version() override;
  Status migrate_to(int target) override;

 private:
  std::string backend_;
  Session session_;
  SqlStateStore state_{session_};
  SqlCounterStore counters_{session_};
  SqlAuditStore audit_{session_};
  SqlTrafficStore traffic_{session_};
};

}  // namespace cutover::store::sql
