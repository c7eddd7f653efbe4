// cutover: one binary, one subcommand per part (docs/ARCHITECTURE.md).
// This file only parses arguments and hands over to the parts.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  cutover::cli::block_termination_signals();
  CLI::App app{"cutover: an AI gateway built for safe blue-green and canary releases"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cutover ") + CUTOVER_VERSION);
  cutover::cli::add_gateway_command(app);
  cutover::cli::add_mockllm_command(app);
  cutover::cli::add_store_command(app);
  cutover::cli::add_state_command(app);
  cutover::cli::add_secret_command(app);
  cutover::cli::add_audit_command(app);
  cutover::cli::add_switch_command(app);
  cutover::cli::add_traffic_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return cutover::cli::exit_code();
}
