#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <charconv>

#include <CLI/Error.hpp>

#include "cli/commands.hpp"
#include "core/ids.hpp"
#include "http/url.hpp"

namespace cutover::cli {
namespace {
int g_exit_code = 0;
}

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void split_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  auto hp = http::parse_host_port(text);
  if (!hp) throw CLI::ValidationError("--listen", hp.error().message());
  host = hp->host.empty() ? "0.0.0.0" : hp->host;
  port = hp->port;
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

std::string user_at_host() {
  std::string user;
  if (const char* u = std::getenv("USER"); u && *u)
    user = u;
  else if (const passwd* pw = ::getpwuid(::getuid()))
    user = pw->pw_name;
  return (user.empty() ? "unknown" : user) + "@" + host_name();
}

std::string default_author() { return "cli:" + user_at_host(); }

}  // namespace cutover::cli
