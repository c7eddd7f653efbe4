// store/traffic_store.hpp over sql::Connection.
#include "store/sql/sql_store.hpp"

namespace cutover::store::sql {

Status SqlTrafficStore::heartbeat(const SwitchInstance& s) {
  std::lock_guard lock(s_.mu);
  auto r = s_.conn->query(
      "INSERT INTO switch_instances (id, address, plan_version, started_unix_ns, seen_unix_ns) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET address = excluded.address, "
      "plan_version = excluded.plan_version, seen_unix_ns = excluded.seen_unix_ns",
      {s.id, s.address, s.plan_version, s.started_unix_ns, s.seen_unix_ns});
  if (!r.ok()) return r.error();
  return {};
}

Status SqlTrafficStore::forget(std::string_view id) {
  std::lock_guard lock(s_.mu);
  auto r = s_.conn->query("DELETE FROM switch_instances WHERE id = $1", {id});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<SwitchInstance>> SqlTrafficStore::instances() {
  return read_with_retry(s_, [](Connection& c) -> Result<std::vector<SwitchInstance>> {
    auto r = c.query(
        "SELECT id, address, plan_version, started_unix_ns, seen_unix_ns FROM switch_instances "
        "ORDER BY id");
    if (!r.ok()) return r.error();
    std::vector<SwitchInstance> out;
    for (std::size_t i = 0; i < r->size(); ++i)
      out.push_back({r->text(i, 0), r->text(i, 1), r->int64(i, 2), r->int64(i, 3), r->int64(i, 4)});
    return out;
  });
}

Status SqlTrafficStore::add_shadow_results(const std::vector<ShadowResult>& results) {
  if (results.empty()) return {};
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s;
  for (const auto& x : results) {
    auto r = c.query(
        "INSERT INTO shadow_results (time_unix_ns, request_id, primary_color, shadow_color, "
        "outcome, kinds, token_delta, latency_delta_us, sample) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8, $9)",
        {x.time_unix_ns, x.request_id, x.primary_color, x.shadow_color, x.outcome, x.kinds,
         x.token_delta, x.latency_delta_us, x.sample});
    if (!r.ok()) return r.error();
  }
  return tx.commit();
}

Result<std::vector<ShadowResult>> SqlTrafficStore::shadow_results(std::int64_t since_unix_ns,
                                                                  std::int64_t limit) {
  return read_with_retry(s_, [&](Connection& c) -> Result<std::vector<ShadowResult>> {
    auto r = c.query(
        "SELECT time_unix_ns, request_id, primary_color, shadow_color, outcome, kinds, "
        "token_delta, latency_delta_us, sample FROM shadow_results WHERE time_unix_ns >= $1 "
        "ORDER BY time_unix_ns LIMIT $2",
        {since_unix_ns, limit});
    if (!r.ok()) return r.error();
    std::vector<ShadowResult> out;
    for (std::size_t i = 0; i < r->size(); ++i)
      out.push_back({r->int64(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->text(i, 4),
                     r->text(i, 5), r->int64(i, 6), r->int64(i, 7), r->text(i, 8)});
    return out;
  });
}

}  // namespace cutover::store::sql
