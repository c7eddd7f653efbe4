// The audit log over sql::Connection (store/audit_store.hpp has the contract).
//
// Locking: SQLite's BEGIN IMMEDIATE already holds the database write lock; PostgreSQL
// locks the head row with SELECT ... FOR UPDATE. The head is then moved by a
// compare-and-swap on its seq, which would refuse (and roll everything back) if the lock
// were ever not what we think.
#include <string>

#include "store/sql/sql_store.hpp"

namespace cutover::store::sql {
namespace {

constexpr int kRowColumns = 10;
constexpr std::size_t kRowsPerInsert = 64;

Error corrupt(const std::string& what) {
  return Error(ErrorCode::kInternal, "audit append refused: " + what);
}

Status check_sealed(const AuditHead& head, const Sealed& s) {
  std::int64_t expect = head.seq + 1;
  const std::string* prev = &head.hash;
  for (const AuditRow& r : s.rows) {
    if (r.seq != expect)
      return corrupt("row seq " + std::to_string(r.seq) + " where " + std::to_string(expect) +
                     " was next");
    if (r.prev_hash != *prev) return corrupt("row " + std::to_string(r.seq) + " does not link");
    prev = &r.hash;
    ++expect;
  }
  if (s.head.seq != expect - 1 || s.head.hash != *prev)
    return corrupt("the new head is not the last row");
  if (s.signed_head && (s.signed_head->seq != s.head.seq || s.signed_head->hash != s.head.hash))
    return corrupt("the signed head is not the new head");
  return {};
}

Status insert_rows(Connection& c, const std::vector<AuditRow>& rows) {
  std::vector<Param> params;
  std::string sql;
  for (std::size_t at = 0; at < rows.size(); at += kRowsPerInsert) {
    std::size_t n = std::min(kRowsPerInsert, rows.size() - at);
    params.clear();
    sql =
        "INSERT INTO audit_entries (seq, time_unix_ns, color, kind, request_id, entry, "
        "prev_hash, hash, key_id, signature) VALUES ";
    for (std::size_t i = 0; i < n; ++i) {
      const AuditRow& r = rows[at + i];
      sql += i ? ",(" : "(";
      for (int col = 0; col < kRowColumns; ++col) {
        if (col) sql += ',';
        sql += '$';
        sql += std::to_string(i * kRowColumns + col + 1);
      }
      sql += ')';
      params.insert(params.end(), {r.seq, r.time_unix_ns, r.color, r.kind, r.request_id, r.entry,
                                   r.prev_hash, r.hash, r.key_id, r.signature});
    }
    auto q = c.query(sql, std::span<const Param>(params));
    if (!q.ok()) return q.error();
  }
  return {};
}

Result<AuditHead> read_head(Connection& c, bool lock) {
  auto r = c.query(lock && c.dialect() == Dialect::kPostgres
                       ? "SELECT seq, hash, frontier FROM audit_head WHERE id = 1 FOR UPDATE"
                       : "SELECT seq, hash, frontier FROM audit_head WHERE id = 1");
  if (!r.ok()) return r.error();
  if (r->empty()) return corrupt("the audit_head row is missing (run `cutover store migrate`)");
  return AuditHead{r->int64(0, 0), r->text(0, 1), r->text(0, 2)};
}

AuditRow row_of(const Rows& r, std::size_t i) {
  return AuditRow{r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
                  r.text(i, 5),  r.text(i, 6),  r.text(i, 7), r.text(i, 8), r.text(i, 9)};
}

}  // namespace

Status SqlAuditStore::append(const Sealer& seal) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  if (!durable_ && c.dialect() == Dialect::kSqlite) {
    // WAL with synchronous=NORMAL survives a crash of the process but not of the machine;
    // an audit entry that a response waited for must survive both.
    if (Status s = c.exec_script("PRAGMA synchronous = FULL"); !s.ok()) return s;
    durable_ = true;
  }
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s;
  auto head = read_head(c, true);
  if (!head.ok()) return head.error();
  auto sealed = seal(*head);
  if (!sealed.ok()) return sealed.error();
  if (sealed->rows.empty()) return {};
  if (Status s = check_sealed(*head, *sealed); !s.ok()) return s;
  if (Status s = insert_rows(c, sealed->rows); !s.ok()) return s;
  if (const auto& h = sealed->signed_head) {
    auto r = c.query(
        "INSERT INTO audit_signed_heads (seq, hash, key_id, signature, time_unix_ns) "
        "VALUES ($1, $2, $3, $4, $5)",
        {h->seq, h->hash, h->key_id, h->signature, h->time_unix_ns});
    if (!r.ok()) return r.error();
  }
  auto moved = c.query(
      "UPDATE audit_head SET seq = $1, hash = $2, frontier = $3, updated_unix_ns = $4 "
      "WHERE id = 1 AND seq = $5 RETURNING seq",
      {sealed->head.seq, sealed->head.hash, sealed->head.frontier,
       sealed->rows.back().time_unix_ns, head->seq});
  if (!moved.ok()) return moved.error();
  if (moved->empty()) return corrupt("the chain head moved during the append");
  return tx.commit();
}

Result<AuditHead> SqlAuditStore::head() {
  return read_with_retry(s_, [](Connection& c) { return read_head(c, false); });
}

Result<std::vector<AuditRow>> SqlAuditStore::entries(const AuditQuery& q) {
  return read_with_retry(s_, [&](Connection& c) -> Result<std::vector<AuditRow>> {
    auto r = c.query(
        "SELECT seq, time_unix_ns, color, kind, request_id, entry, prev_hash, hash, key_id, "
        "signature FROM audit_entries WHERE seq >= $1 AND seq <= $2 AND time_unix_ns >= $3 "
        "AND time_unix_ns < $4 AND ($5 = '' OR color = $5) AND ($6 = '' OR request_id = $6) "
        "ORDER BY seq LIMIT $7",
        {q.from_seq, q.to_seq, q.since_unix_ns, q.until_unix_ns, q.color, q.request_id, q.limit});
    if (!r.ok()) return r.error();
    std::vector<AuditRow> out;
    out.reserve(r->size());
    for (std::size_t i = 0; i < r->size(); ++i) out.push_back(row_of(*r, i));
    return out;
  });
}

namespace {
Result<std::vector<std::string>> read_hashes(Connection& c, std::int64_t from, std::int64_t to) {
  auto r = c.query("SELECT hash FROM audit_entries WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
                   {from, to});
  if (!r.ok()) return r.error();
  std::vector<std::string> out;
  out.reserve(r->size());
  for (std::size_t i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
  return out;
}

Result<std::vector<CheckpointRow>> read_checkpoints(Connection& c, bool last_only) {
  auto r = c.query(last_only ? "SELECT size, root, note, frontier, time_unix_ns FROM "
                               "audit_checkpoints ORDER BY size DESC LIMIT 1"
                             : "SELECT size, root, note, frontier, time_unix_ns FROM "
                               "audit_checkpoints ORDER BY size");
  if (!r.ok()) return r.error();
  std::vector<CheckpointRow> out;
  for (std::size_t i = 0; i < r->size(); ++i)
    out.push_back({r->int64(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->int64(i, 4)});
  return out;
}
}  // namespace

Result<std::vector<std::string>> SqlAuditStore::hashes(std::int64_t from, std::int64_t to) {
  return read_with_retry(s_, [&](Connection& c) { return read_hashes(c, from, to); });
}

Result<std::vector<SignedHead>> SqlAuditStore::signed_heads(std::int64_t from, std::int64_t to) {
  return read_with_retry(s_, [&](Connection& c) -> Result<std::vector<SignedHead>> {
    auto r = c.query(
        "SELECT seq, hash, key_id, signature, time_unix_ns FROM audit_signed_heads "
        "WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
        {from, to});
    if (!r.ok()) return r.error();
    std::vector<SignedHead> out;
    out.reserve(r->size());
    for (std::size_t i = 0; i < r->size(); ++i)
      out.push_back({r->int64(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->int64(i, 4)});
    return out;
  });
}

Status SqlAuditStore::add_checkpoint(const CheckpointMaker& make) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s;
  auto head = read_head(c, true);
  if (!head.ok()) return head.error();
  auto last = read_checkpoints(c, true);
  if (!last.ok()) return last.error();
  std::optional<CheckpointRow> prev;
  if (!last->empty()) prev = std::move(last->front());
  std::int64_t from = prev ? prev->size + 1 : 1;
  auto leaves = read_hashes(c, from, head->seq);
  if (!leaves.ok()) return leaves.error();
  auto made = make(prev, *head, *leaves);
  if (!made.ok()) return made.error();
  if (!*made) return {};
  const CheckpointRow& cp = **made;
  auto r = c.query(
      "INSERT INTO audit_checkpoints (size, root, note, frontier, time_unix_ns) "
      "VALUES ($1, $2, $3, $4, $5)",
      {cp.size, cp.root, cp.note, cp.frontier, cp.time_unix_ns});
  if (!r.ok()) return r.error();
  return tx.commit();
}

Result<std::vector<CheckpointRow>> SqlAuditStore::checkpoints() {
  return read_with_retry(s_, [](Connection& c) { return read_checkpoints(c, false); });
}

Status SqlAuditStore::add_key(const AuditKey& k, std::int64_t retire_others_at) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s;
  auto r = c.query(
      "INSERT INTO audit_keys (key_id, public_key, created_unix_ns) VALUES ($1, $2, $3) "
      "ON CONFLICT (key_id) DO NOTHING",
      {k.key_id, k.public_key, k.created_unix_ns});
  if (!r.ok()) return r.error();
  if (retire_others_at != 0) {
    auto retired = c.query(
        "UPDATE audit_keys SET retired_unix_ns = $1 WHERE key_id <> $2 AND retired_unix_ns = 0",
        {retire_others_at, k.key_id});
    if (!retired.ok()) return retired.error();
  }
  return tx.commit();
}

Result<std::vector<AuditKey>> SqlAuditStore::keys() {
  return read_with_retry(s_, [](Connection& c) -> Result<std::vector<AuditKey>> {
    auto r = c.query("SELECT key_id, public_key, created_unix_ns, retired_unix_ns FROM audit_keys "
                     "ORDER BY created_unix_ns, key_id");
    if (!r.ok()) return r.error();
    std::vector<AuditKey> out;
    for (std::size_t i = 0; i < r->size(); ++i)
      out.push_back({r->text(i, 0), r->text(i, 1), r->int64(i, 2), r->int64(i, 3)});
    return out;
  });
}

}  // namespace cutover::store::sql
