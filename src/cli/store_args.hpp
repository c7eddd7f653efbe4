// The --store option shared by `cutover store ...` and `cutover state ...`.
#pragma once

#include <CLI/App.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace cutover::cli {

// Adds --store URL to `cmd`; the default is $CUTOVER_STORE, else sqlite://cutover.db.
void add_store_option(CLI::App& cmd, std::string& url);

// Opens the store at `url`, applying pending migrations when `migrate`. On failure prints
// "cutover <command>: <why>" (the URL with its password hidden) and returns nullptr.
std::unique_ptr<store::Store> open_store_or_report(const std::string& url, bool migrate,
                                                   std::string_view command);

}  // namespace cutover::cli
