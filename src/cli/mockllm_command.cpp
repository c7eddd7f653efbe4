#include "cli/commands.hpp"
namespace cutover::cli {
void add_mockllm_command(CLI::App&) {}
}
