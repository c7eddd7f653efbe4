// Change notification for PostgreSQL stores: a dedicated connection that LISTENs on
// cutover_state. Every committed apply/rollback sends NOTIFY cutover_state '<counter>'
// in its transaction, so a gateway learns of a change without polling. Notifications are
// lost while the connection is down: after wait() reports an error, reopen and reload
// from change_counter() (the poll fallback also covers a missed notification).
// SQLite has no equivalent: poll StateStore::change_counter().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace cutover::store::postgres {

class StateListener final {
 public:
  // Connects to `url` (the store's URL) and LISTENs.
  static Result<std::unique_ptr<StateListener>> open(const std::string& url);
  ~StateListener();
  StateListener(const StateListener&) = delete;
  StateListener& operator=(const StateListener&) = delete;

  // Waits up to `timeout` for a notification; returns the change counter it carried
  // (the highest, if several arrived), or nullopt on timeout. An error means the
  // connection was lost.
  Result<std::optional<std::int64_t>> wait(std::chrono::milliseconds timeout);

 private:
  struct Conn;
  explicit StateListener(std::unique_ptr<Conn> c);
  std::unique_ptr<Conn> c_;
};

}  // namespace cutover::store::postgres
