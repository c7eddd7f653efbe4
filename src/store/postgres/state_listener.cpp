#include "store/postgres/state_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>

#include "store/postgres/postgres_connection.hpp"
#include "store/store.hpp"

namespace cutover::store::postgres {

struct StateListener::Conn {
  PGconn* pg = nullptr;
  std::string display_url;
  ~Conn() { PQfinish(pg); }
};

StateListener::StateListener(std::unique_ptr<Conn> c) : c_(std::move(c)) {}
StateListener::~StateListener() = default;

Result<std::unique_ptr<StateListener>> StateListener::open(const std::string& url) {
  auto c = std::make_unique<Conn>();
  c->display_url = redact_url(url);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "cutover-listen", url.c_str(), nullptr};
  c->pg = PQconnectdbParams(keys, values, 1);
  if (!c->pg || PQstatus(c->pg) != CONNECTION_OK)
    return Error(ErrorCode::kUnavailable,
                 "cannot reach postgres to listen for state changes (store " + c->display_url +
                     "): " + (c->pg ? PQerrorMessage(c->pg) : "out of memory"));
  PQsetNoticeProcessor(
      c->pg, [](void*, const char*) {}, nullptr);
  // LISTEN takes a channel identifier, not a parameter; it is our own constant.
  PGresult* r = PQexec(c->pg, ("LISTEN " + std::string(kStateChannel)).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok)
    return Error(ErrorCode::kUnavailable, "LISTEN " + std::string(kStateChannel) + " failed on " +
                                              c->display_url + ": " + PQerrorMessage(c->pg));
  return std::unique_ptr<StateListener>(new StateListener(std::move(c)));
}

Result<std::optional<std::int64_t>> StateListener::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::int64_t> latest;
  for (;;) {
    if (!PQconsumeInput(c_->pg) || PQstatus(c_->pg) != CONNECTION_OK)
      return Error(ErrorCode::kUnavailable, "lost the listening connection to postgres (store " +
                                                c_->display_url + "): " + PQerrorMessage(c_->pg));
    while (PGnotify* n = PQnotifies(c_->pg)) {
      std::int64_t v = 0;
      std::string_view payload(n->extra);
      if (std::from_chars(payload.data(), payload.data() + payload.size(), v).ec == std::errc{})
        latest = std::max(latest.value_or(v), v);
      PQfreemem(n);
    }
    if (latest) return latest;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<std::int64_t>{};
    pollfd p{PQsocket(c_->pg), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

}  // namespace cutover::store::postgres
