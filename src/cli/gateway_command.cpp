#include "cli/commands.hpp"
namespace cutover::cli {
void add_gateway_command(CLI::App&) {}
}
