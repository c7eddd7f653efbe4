// Sealing a secret into the store's "secrets" domain (shared by `secret set` and
// `audit keygen`).
#pragma once

#include <string>
#include <string_view>

#include "identity/secret_box.hpp"
#include "store/store.hpp"

namespace cutover::cli {

// Seals value under name with the master key and applies a new version of the secrets
// document; returns that version.
Result<std::int64_t> store_secret(store::Store& s, const identity::MasterKey& key, std::string_view name,
                                  std::string_view value, std::string_view author);

// The active secrets document ("" when there is none).
Result<std::string> active_secrets(store::Store& s);

}  // namespace cutover::cli
