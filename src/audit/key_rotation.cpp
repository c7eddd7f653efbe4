#include "audit/key_rotation.hpp"

namespace cutover::audit {

Result<KeyRotation> add_signing_key(store::AuditStore& store, const Signer& next, std::int64_t now,
                                    std::int64_t retire_at) {
  const std::string raw = next.public_raw();
  const std::string pub_hex = to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  // add_key retires the keys whose retirement is still 0: read first, those are the ones.
  auto before = store.keys();
  if (!before) return before.error();
  KeyRotation out{next.key_id(), {}, retire_at};
  for (const auto& k : before.value())
    if (k.retired_unix_ns == 0 && k.key_id != next.key_id()) out.retired.push_back(k.key_id);
  if (Status st = store.add_key({next.key_id(), pub_hex, now, 0}, retire_at); !st)
    return st.error();
  return out;
}

ControlEvent key_rotation_event(const KeyRotation& rotation, std::string actor,
                                std::string policy_versions) {
  std::string detail = "key " + rotation.key_id + " in service; ";
  if (rotation.retired.empty()) {
    detail += "no key retired";
  } else {
    detail += rotation.retired.size() == 1 ? "key " : "keys ";
    for (std::size_t i = 0; i < rotation.retired.size(); ++i)
      detail += (i ? ", " : "") + rotation.retired[i];
    detail += " retired at unix ns " + std::to_string(rotation.retired_unix_ns);
  }
  return {"audit.keygen", std::move(detail), std::move(actor), std::move(policy_versions), ""};
}

}  // namespace cutover::audit
