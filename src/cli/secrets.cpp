// Sealing a secret into the store's "secrets" domain (cli/secrets.hpp). Apart from the
// commands so that tests link it without the command-line parser.
#include "cli/secrets.hpp"

#include <chrono>
#include <thread>

#include "gateway/config.hpp"
#include "store/secrets_document.hpp"

namespace cutover::cli {

Result<std::string> active_secrets(store::Store& s) {
  auto active = s.state().active();
  if (!active) return std::move(active.error());
  for (const auto& v : active.value())
    if (v.domain == "secrets") return v.document;
  return std::string();
}

Result<std::int64_t> store_secret(store::Store& s, const identity::MasterKey& key, std::string_view name,
                                  std::string_view value, std::string_view author) {
  identity::SecretBox box(key);
  const std::string sealed = box.seal(value, gateway::secret_binding(name));
  // Read, add, write back based on the version read: when another `secret set` or keygen
  // wrote the document in between, read it again rather than drop its secret.
  for (int attempt = 1;; ++attempt) {
    auto active = s.state().active();
    if (!active) return std::move(active.error());
    std::string current;
    std::int64_t version = 0;
    for (const auto& v : active.value())
      if (v.domain == "secrets") {
        current = v.document;
        version = v.version;
      }
    auto secrets = store::parse_secrets(current);
    if (!secrets) return std::move(secrets.error());
    secrets.value()[std::string(name)] = sealed;
    auto applied = s.state().apply({{"secrets", store::secrets_document(secrets.value()), version}}, author,
                                   "set " + std::string(name));
    if (!applied && applied.error().code() == ErrorCode::kConflict && attempt < 30) {
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt));  // let the other one finish
      continue;
    }
    if (!applied) return std::move(applied.error());
    return applied.value().empty() ? std::int64_t{0} : applied.value().front().version;
  }
}

}  // namespace cutover::cli
