#include "cli/master_key_option.hpp"

#include <iostream>

namespace cutover::cli {

CLI::Option* add_master_key_option(CLI::App& cmd, std::string& file, std::string_view opens) {
  return cmd.add_option("--master-key-file", file,
                        "File holding the master key (32 bytes: raw, base64 or 64 hex; mode 600) "
                        "that opens " +
                            std::string(opens) +
                            ". Default: $CUTOVER_MASTER_KEY. A file that cannot be read or holds "
                            "no valid key stops the command before it changes anything");
}

Result<identity::MasterKey> load_master_key(const std::string& file) {
  return file.empty() ? identity::MasterKey::from_env() : identity::MasterKey::from_file(file);
}

bool report_bad_master_key_file(const Result<identity::MasterKey>& key, const std::string& file,
                                std::string_view command) {
  if (file.empty() || key) return false;
  std::cerr << "cutover " << command << ": --master-key-file: " << key.error().message() << "\n";
  return true;
}

}  // namespace cutover::cli
