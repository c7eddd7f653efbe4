// The administration of the shared state (`cutover state apply|diff|rollback`): compares a
// state file's documents with the active ones, checks the COMPLETE resulting state before
// anything is written, and writes in one StateStore transaction. A state that would not
// load on a gateway is refused whole; nothing is half-applied.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/policy_documents.hpp"
#include "store/state_file.hpp"
#include "store/state_store.hpp"

namespace cutover::store {

// Checks a complete state (every active domain, with the proposed documents in place) and
// returns its problems, one "path: what" per entry; empty when it is valid. Injected so that
// the store does not depend on the gateway: the CLI passes gateway::check_state_documents.
// The shape checks of store/policy_documents.hpp (access) always run in addition.
using StateValidator = std::function<std::vector<std::string>(const DomainDocuments&)>;

enum class ChangeKind { kUnchanged, kNew, kChanged };

struct DomainChange {
  std::string domain;
  ChangeKind kind = ChangeKind::kUnchanged;
  std::int64_t active_version = 0;  // 0 for a new domain
  std::string active_document;      // canonical JSON; empty for a new domain
  std::string document;             // the proposed canonical JSON
};

struct ApplyOutcome {
  std::vector<DomainChange> changes;  // one per domain of the file, ordered by domain
  std::vector<std::string> problems;  // non-empty: refused, nothing written
  std::vector<StateVersion> created;  // the new versions (empty on a dry run)
  bool any_change() const;
};

struct RollbackOutcome {
  std::vector<std::string> problems;  // non-empty: refused, the pointer did not move
  std::int64_t from_version = 0;
  StateVersion active;  // the version active afterwards
};

class StateAdmin final {
 public:
  StateAdmin(StateStore& store, StateValidator validator);

  // The file's documents against the active ones (read-only).
  Result<std::vector<DomainChange>> compare(const DomainDocuments& file);

  // compare, then validate the active state overlaid with the file's documents; unless
  // there are problems or `dry_run`, StateStore::apply in one transaction (it writes only
  // the documents that differ from their active version).
  Result<ApplyOutcome> apply(const DomainDocuments& file, bool dry_run, std::string_view author,
                             std::string_view comment);

  // Resolves the target (`to`, default the version before the active one), validates the
  // state with that version in place, then moves the pointer. Errors: no such domain or
  // version (from the store), store failures.
  Result<RollbackOutcome> rollback(std::string_view domain, std::optional<std::int64_t> to,
                                   std::string_view author);

  // Every problem of a complete state: the injected validator's and the policy checks'.
  std::vector<std::string> validate(const DomainDocuments& state) const;

 private:
  StateStore& store_;
  StateValidator validator_;
};

}  // namespace cutover::store
