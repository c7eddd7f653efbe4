// Subcommand registration. Each add_* registers a CLI11 subcommand whose callback runs
// the command and stores its exit code (exit_code()).
#pragma once

#include <CLI/App.hpp>

namespace cutover::cli {

void add_gateway_command(CLI::App& app);
void add_mockllm_command(CLI::App& app);
void add_store_command(CLI::App& app);
void add_state_command(CLI::App& app);
void add_secret_command(CLI::App& app);
void add_audit_command(CLI::App& app);
void add_switch_command(CLI::App& app);
void add_traffic_command(CLI::App& app);

// Who runs a CLI command, for state versions and audit control entries: "user@host", and
// "cli:user@host" as the default author.
std::string user_at_host();
std::string default_author();

// The exit code of the command that ran.
int exit_code();
void set_exit_code(int code);

// "127.0.0.1:8080", "[::1]:0", ":8080" -> host, port. Throws CLI::ValidationError.
void split_listen(const std::string& text, std::string& host, std::uint16_t& port);

// Blocks SIGTERM/SIGINT in every thread (call before starting any) and ignores SIGPIPE.
void block_termination_signals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int wait_for_signal();

}  // namespace cutover::cli
