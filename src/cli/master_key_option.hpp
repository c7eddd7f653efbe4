// --master-key-file: the one definition shared by every command that opens the store's
// sealed secrets (gateway, secret set, audit keygen|checkpoint, state apply|rollback,
// traffic set|flip|revert). Without it the master key comes from $CUTOVER_MASTER_KEY.
#pragma once

#include <CLI/App.hpp>
#include <string>
#include <string_view>

#include "identity/secret_box.hpp"

namespace cutover::cli {

// Adds --master-key-file PATH to `cmd`; `opens` says what the key opens there ("the
// store's audit signing key, which signs the checkpoint").
CLI::Option* add_master_key_option(CLI::App& cmd, std::string& file, std::string_view opens);
// `opens` of the commands that record their change as an audit control entry.
inline constexpr std::string_view kOpensTheControlEntryKey =
    "the store's audit signing key, which signs the change's audit control entry (without a "
    "key the entry is written unsigned, until a gateway's next signed head covers it)";

// The master key from `file` when it is not empty (mode 600, 32 bytes raw, base64 or 64
// hex: identity::MasterKey::from_file), else from $CUTOVER_MASTER_KEY.
Result<identity::MasterKey> load_master_key(const std::string& file);

// True, after printing "cutover <command>: --master-key-file: <why>" on one line, when
// `file` was given and `key` (load_master_key(file)) failed. A missing or bad
// $CUTOVER_MASTER_KEY is left to the command: some only sign less without it.
bool report_bad_master_key_file(const Result<identity::MasterKey>& key, const std::string& file,
                                std::string_view command);

}  // namespace cutover::cli
