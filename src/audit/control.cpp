#include "audit/control.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace cutover::audit {

Result<std::int64_t> append_control(store::AuditStore& store, const ControlEvent& event,
                                    const SignerRef& key, SignMode mode) {
  const std::int64_t now = unix_nanos();
  std::vector<Entry> entries(1);
  Entry& e = entries.front();
  e.time_unix_ns = now;
  e.color = event.color;
  e.gateway_version = CUTOVER_VERSION;
  e.node_id = node_id();
  e.kind = "control";
  e.subject = event.actor;
  e.policy_versions = event.policy_versions;
  e.decision = event.action;
  e.reason = event.detail;
  Status st = store.append([&](const store::AuditHead& head) -> Result<store::Sealed> {
    if (key.signer) return seal_after(head, entries, *key.signer, mode, now);
    return seal_unsigned(head, entries);
  });
  if (!st) return st.error();
  return e.seq;
}

}  // namespace cutover::audit
