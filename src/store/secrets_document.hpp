// The "secrets" domain: {"NAME": "v1:<key id>:<sealed>", ...}, canonical (names sorted).
// Only sealed text is stored (identity/secret_box.hpp); the master key never is.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cutover::store {

// Secret names: 1-64 characters of [A-Za-z0-9._-].
bool valid_secret_name(std::string_view name);

// Parses a secrets document ("" = none yet) into name -> sealed text.
Result<std::map<std::string, std::string>> parse_secrets(std::string_view document);

// The canonical document for these secrets.
std::string secrets_document(const std::map<std::string, std::string>& secrets);

}  // namespace cutover::store
