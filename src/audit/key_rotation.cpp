#include "audit/key_rotation.hpp"

namespace cutover::audit {

namespace {

// "key A stays in service, not retired" / "keys A, B stay ..." / no key at all.
std::string still_in_service(const std::vector<std::string>& ids) {
  if (ids.empty()) return "no other key was in service";
  std::string s = ids.size() == 1 ? "key " : "keys ";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + ids[i];
  return s + (ids.size() == 1 ? " stays" : " stay") + " in service, not retired";
}

}  // namespace

Result<KeyRotation> rotate_signing_key(store::AuditStore& store, const Signer& next,
                                       std::int64_t now, std::int64_t retire_at,
                                       const SealKey& seal) {
  const std::string raw = next.public_raw();
  const std::string pub_hex = to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  const store::AuditKey listed{next.key_id(), pub_hex, now, 0};
  // The keys add_key would retire: those whose retirement is still 0.
  auto in_service = [&]() -> Result<std::vector<std::string>> {
    auto keys = store.keys();
    if (!keys) return keys.error();
    std::vector<std::string> out;
    for (const auto& k : keys.value())
      if (k.retired_unix_ns == 0 && k.key_id != next.key_id()) out.push_back(k.key_id);
    return out;
  };
  const std::string new_key = "the new key " + next.key_id();
  if (Status st = store.add_key(listed, 0); !st)
    return Error(st.error().code(),
                 new_key + " could not be listed; nothing changed: " + st.error().message());
  auto sealed = seal();
  if (!sealed) {
    auto serving = in_service();
    return Error(sealed.error().code(),
                 new_key + " could not be sealed, so it will never sign; " +
                     (serving ? still_in_service(serving.value()) : "no key was retired") + ": " +
                     sealed.error().message());
  }
  auto retiring = in_service();
  Status st = retiring ? store.add_key(listed, retire_at) : Status(retiring.error());
  if (!st)
    return Error(st.error().code(),
                 new_key + " is sealed and in service, but the keys in service before it could "
                           "not be retired and stay in service (a later `cutover audit keygen` "
                           "retires them): " +
                     st.error().message());
  return KeyRotation{next.key_id(), sealed.value(), std::move(retiring.value()), retire_at};
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
