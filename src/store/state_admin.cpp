#include "store/state_admin.hpp"

#include <algorithm>

namespace cutover::store {
namespace {

DomainDocuments documents_of(const std::vector<StateVersion>& versions) {
  DomainDocuments docs;
  for (const auto& v : versions) docs[v.domain] = v.document;
  return docs;
}

std::vector<DomainChange> compare_with(const std::vector<StateVersion>& active,
                                       const DomainDocuments& file) {
  std::vector<DomainChange> out;
  for (const auto& [domain, doc] : file) {
    DomainChange c{domain, ChangeKind::kNew, 0, {}, doc};
    for (const auto& v : active) {
      if (v.domain != domain) continue;
      c.active_version = v.version;
      c.active_document = v.document;
      c.kind = v.document == doc ? ChangeKind::kUnchanged : ChangeKind::kChanged;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

bool ApplyOutcome::any_change() const {
  return std::any_of(changes.begin(), changes.end(),
                     [](const DomainChange& c) { return c.kind != ChangeKind::kUnchanged; });
}

StateAdmin::StateAdmin(StateStore& store, StateValidator validator)
    : store_(store), validator_(std::move(validator)) {}

std::vector<std::string> StateAdmin::validate(const DomainDocuments& state) const {
  std::vector<std::string> problems = validator_ ? validator_(state) : std::vector<std::string>{};
  for (auto& p : check_policy_documents(state)) problems.push_back(std::move(p));
  return problems;
}

Result<std::vector<DomainChange>> StateAdmin::compare(const DomainDocuments& file) {
  auto active = store_.active();
  if (!active.ok()) return active.error();
  return compare_with(*active, file);
}

Result<ApplyOutcome> StateAdmin::apply(const DomainDocuments& file, bool dry_run,
                                       std::string_view author, std::string_view comment) {
  auto active = store_.active();
  if (!active.ok()) return active.error();
  ApplyOutcome out;
  out.changes = compare_with(*active, file);
  DomainDocuments state = documents_of(*active);
  for (const auto& [domain, doc] : file) state[domain] = doc;
  out.problems = validate(state);
  if (!out.problems.empty() || dry_run || !out.any_change()) return out;

  std::vector<DocumentChange> writes;
  for (const auto& c : out.changes)
    if (c.kind != ChangeKind::kUnchanged) writes.push_back({c.domain, c.document});
  auto created = store_.apply(writes, author, comment);
  if (!created.ok()) return created.error();
  out.created = std::move(*created);
  return out;
}

Result<RollbackOutcome> StateAdmin::rollback(std::string_view domain,
                                             std::optional<std::int64_t> to,
                                             std::string_view author) {
  auto active = store_.active();
  if (!active.ok()) return active.error();
  auto current = std::find_if(active->begin(), active->end(),
                              [&](const StateVersion& v) { return v.domain == domain; });
  // No active version: the store's own error says so, in its words.
  if (current == active->end()) {
    auto r = store_.rollback(domain, to, author);
    if (!r.ok()) return r.error();
    return RollbackOutcome{{}, 0, std::move(*r)};
  }
  auto history = store_.history(domain);
  if (!history.ok()) return history.error();
  const StateVersion* target = nullptr;
  for (const auto& v : *history) {
    if (to ? v.version == *to : v.version < current->version) target = &v;
  }
  RollbackOutcome out;
  out.from_version = current->version;
  if (target) {
    DomainDocuments state = documents_of(*active);
    state[std::string(domain)] = target->document;
    out.problems = validate(state);
    if (!out.problems.empty()) {
      out.active = *current;
      return out;
    }
    to = target->version;  // exactly what was validated
  }
  // Without a target the store reports why (no such version, nothing earlier).
  auto r = store_.rollback(domain, to, author);
  if (!r.ok()) return r.error();
  out.active = std::move(*r);
  return out;
}

}  // namespace cutover::store
