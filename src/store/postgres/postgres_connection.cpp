#include "store/postgres/postgres_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <utility>
#include <vector>

namespace cutover::store::postgres {
namespace {

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

std::string where(PGconn* c) {
  std::string host = PQhost(c) ? PQhost(c) : "?";
  std::string port = PQport(c) ? PQport(c) : "?";
  return host + ":" + port;
}

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

class PostgresConnection final : public sql::Connection {
 public:
  PostgresConnection(PGconn* conn, std::string display_url)
      : conn_(conn), display_url_(std::move(display_url)) {
    PQsetNoticeReceiver(conn_, &PostgresConnection::on_notice, this);  // kept by PQreset
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  const std::string& display_url() const override { return display_url_; }
  bool lost() const override { return lost_; }

  using sql::Connection::query;
  Result<sql::Rows> query(std::string_view sql, std::span<const sql::Param> params) override {
    if (!in_transaction_)
      if (Status s = ensure_alive(); !s.ok()) return s.error();
    std::vector<std::string> text;
    text.reserve(params.size());
    for (const sql::Param& p : params)
      text.push_back(std::holds_alternative<std::int64_t>(p)
                         ? std::to_string(std::get<std::int64_t>(p))
                         : std::string(std::get<std::string_view>(p)));
    std::vector<const char*> values;
    values.reserve(text.size());
    for (const std::string& t : text) values.push_back(t.c_str());
    ResultPtr r(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(values.size()),
                             nullptr, values.data(), nullptr, nullptr, 0));
    if (Status s = check(r.get(), sql); !s.ok()) return s.error();
    sql::Rows rows(PQnfields(r.get()));
    for (int i = 0; i < PQntuples(r.get()); ++i)
      for (int c = 0; c < PQnfields(r.get()); ++c)
        rows.add(PQgetisnull(r.get(), i, c)
                     ? std::nullopt
                     : std::optional<std::string>(
                           std::string(PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c))));
    return rows;
  }

  Status exec_script(std::string_view sql) override {
    if (!in_transaction_)
      if (Status s = ensure_alive(); !s.ok()) return s;
    ResultPtr r(PQexec(conn_, std::string(sql).c_str()));
    return check(r.get(), sql);
  }

  Status begin_write() override {
    if (Status s = ensure_alive(); !s.ok()) return s;
    ResultPtr r(PQexec(conn_, "BEGIN"));
    Status s = check(r.get(), "BEGIN");
    if (!s.ok() && lost_) {  // died between our check and BEGIN: nothing ran, try once more
      if (Status again = ensure_alive(); !again.ok()) return again;
      r.reset(PQexec(conn_, "BEGIN"));
      s = check(r.get(), "BEGIN");
    }
    in_transaction_ = s.ok();
    return s;
  }

  Status commit() override {
    in_transaction_ = false;
    ResultPtr r(PQexec(conn_, "COMMIT"));
    if (Status s = check(r.get(), "COMMIT"); !s.ok()) return s;
    // COMMIT of a transaction that had failed answers "ROLLBACK" without an error.
    if (std::string_view(PQcmdStatus(r.get())) != "COMMIT")
      return Error(ErrorCode::kInternal, "postgres at " + where(conn_) +
                                             " rolled the transaction back instead of committing");
    return {};
  }

  void rollback() override {
    in_transaction_ = false;
    if (lost_ || PQstatus(conn_) != CONNECTION_OK) return;
    ResultPtr r(PQexec(conn_, "ROLLBACK"));
  }

 private:
  // Reopens a connection known to be dead before anything is sent on it. A server that
  // shut down or dropped us has written (an error, then EOF) on an otherwise idle socket.
  Status ensure_alive() {
    // The goodbye (an ErrorResponse, then EOF) may take more than one read to see.
    for (int reads = 0; reads < 8 && PQstatus(conn_) == CONNECTION_OK && !lost_; ++reads) {
      pollfd p{PQsocket(conn_), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      if (!PQconsumeInput(conn_)) break;
      while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
    }
    if (PQstatus(conn_) == CONNECTION_OK && !lost_ && !goodbye_) return {};
    goodbye_ = false;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      lost_ = true;
      return Error(ErrorCode::kUnavailable, "cannot reach postgres at " + where(conn_) + ": " +
                                                trimmed(PQerrorMessage(conn_)) + " (store " +
                                                display_url_ + "); the next call tries again");
    }
    lost_ = false;
    return {};
  }

  // Notices are dropped, except a FATAL one received while idle: the server is closing
  // this connection (shutdown, pg_terminate_backend), and its EOF may not be readable yet.
  static void on_notice(void* self, const PGresult* r) {
    const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity &&
        (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC"))
      static_cast<PostgresConnection*>(self)->goodbye_ = true;
  }

  Status check(PGresult* r, std::string_view sql) {
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return {};
    if (PQstatus(conn_) != CONNECTION_OK) {
      lost_ = true;
      in_transaction_ = false;
      return Error(ErrorCode::kUnavailable, "lost the connection to postgres at " + where(conn_) +
                                                ": " + trimmed(PQerrorMessage(conn_)) + " (store " +
                                                display_url_ + "); it reconnects on next use");
    }
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string code = state ? state : "";
    std::string msg =
        "postgres at " + where(conn_) + ": " +
        trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)) + " [SQLSTATE " + code +
        "] (running: " + std::string(sql.substr(0, std::min(sql.find('\n'), std::size_t{60}))) +
        ")";
    // Class 23: integrity constraint; 40: serialization/deadlock (worth retrying);
    // 53/57: resources, operator intervention.
    if (code.starts_with("23")) return Error(ErrorCode::kInvalidRequest, std::move(msg));
    if (code.starts_with("40") || code.starts_with("53") || code.starts_with("57"))
      return Error(ErrorCode::kUnavailable, std::move(msg));
    if (code == "42P01")  // undefined_table
      return Error(ErrorCode::kUnavailable,
                   msg +
                       ": the store is not migrated (or the URL selects another schema): run "
                       "cutover store migrate");
    return Error(ErrorCode::kInternal, std::move(msg));
  }

  PGconn* conn_;
  std::string display_url_;
  bool lost_ = false;
  bool in_transaction_ = false;
  bool goodbye_ = false;
};

}  // namespace

Result<std::unique_ptr<sql::Connection>> open(const std::string& url, std::string display_url) {
  // Later entries override earlier ones, so the URL's own settings win over our defaults.
  std::array<const char*, 4> keys{"connect_timeout", "application_name", "dbname", nullptr};
  std::array<const char*, 4> values{"5", "cutover", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!conn)
    return Error(ErrorCode::kUnavailable, "cannot reach postgres at " + display_url +
                                              ": out of memory creating the connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = "cannot reach postgres at " + where(conn) + ": " +
                      trimmed(PQerrorMessage(conn)) + " (store " + display_url +
                      "): check that the server runs and that the URL's host, port, user, "
                      "password and database are right";
    PQfinish(conn);
    return Error(ErrorCode::kUnavailable, std::move(msg));
  }
  return std::unique_ptr<sql::Connection>(
      std::make_unique<PostgresConnection>(conn, std::move(display_url)));
}

}  // namespace cutover::store::postgres
