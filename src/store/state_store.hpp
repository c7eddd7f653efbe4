// StateStore: the versioned documents that every gateway serves from (DESIGN.md,
// "Shared state"). One document per domain ("access", "limits", "routes", "identity",
// "secrets", later "traffic"); a change is a new version plus a pointer move, never an
// edit in place. Both backends (SQLite, PostgreSQL) pass one conformance suite
// (store/conformance_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cutover::store {

struct StateVersion {
  std::string domain;
  std::int64_t version = 0;   // 1, 2, 3... per domain; never reused
  std::string document;       // canonical JSON text (what the fingerprint covers)
  std::string sha256;         // hex SHA-256 of document
  std::int64_t created_unix_ns = 0;
  std::string author;         // who applied it ("cli:root@host", "rollback")
  std::string comment;
};

struct DocumentChange {
  std::string domain;
  std::string document;  // canonical JSON
  // The active version the document was made from (0: the domain had none), for a
  // read-modify-write (one secret added to the secrets document, one field of the traffic
  // plan): when the domain has moved on since, the apply fails (kConflict) instead of
  // overwriting the other change. Unset: the document replaces whatever is active.
  std::optional<std::int64_t> based_on = std::nullopt;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The active version of every domain that has one, ordered by domain.
  virtual Result<std::vector<StateVersion>> active() = 0;

  // A number that grows with every change (apply, rollback). Snapshot pollers compare it
  // to decide whether to reload; it never goes backwards.
  virtual Result<std::int64_t> change_counter() = 0;

  // In ONE transaction: every change whose document differs from its domain's active one
  // gets a new version and becomes active; the others are left alone. Returns the new
  // versions (empty: nothing changed). All or nothing: any invalid change (a domain that
  // is not 1-64 characters of [a-z0-9_.-], a domain named twice) or failure rolls the
  // whole call back. Versions are max + 1 per domain, even after a rollback.
  virtual Result<std::vector<StateVersion>> apply(const std::vector<DocumentChange>& changes,
                                                  std::string_view author,
                                                  std::string_view comment) = 0;

  // Every version of a domain, oldest first.
  virtual Result<std::vector<StateVersion>> history(std::string_view domain) = 0;

  // Moves the domain's active pointer to `to` (default: the version before the active
  // one). Records it in the change counter. Errors if the version does not exist or the
  // domain has no active version. Moving to the version already active changes nothing.
  virtual Result<StateVersion> rollback(std::string_view domain, std::optional<std::int64_t> to,
                                        std::string_view author) = 0;
};

}  // namespace cutover::store
