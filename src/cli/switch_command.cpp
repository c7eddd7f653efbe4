// `cutover switch`: the traffic switch in front of the blue and green gateways.
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/store_args.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "switch/service.hpp"

namespace cutover::cli {
namespace {

struct SwitchArgs {
  std::string store_url, listen = "127.0.0.1:8000", id, shadow_token_env, log_level = "info";
  int threads = 0;
  int drain_s = 330;  // longer than the longest stream the gateways allow by default
  int poll_ms = 100;
};

int run_switch(const SwitchArgs& a) {
  LogLevel level;
  if (!log::parse_level(a.log_level, level)) {
    std::cerr << "cutover switch: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  log::set_level(level);
  log::set_common_fields({{"component", "switch"}});
  std::string token;
  if (!a.shadow_token_env.empty()) {
    const char* t = std::getenv(a.shadow_token_env.c_str());
    if (!t || !*t) {
      std::cerr << "cutover switch: --shadow-token-env " << a.shadow_token_env << " is not set\n";
      return 2;
    }
    token = t;
  }
  http::ServerOptions opts;
  try {
    split_listen(a.listen, opts.host, opts.port);
  } catch (const std::exception& e) {
    std::cerr << "cutover switch: --listen: " << e.what() << "\n";
    return 2;
  }
  opts.threads = a.threads;
  const std::string id = !a.id.empty() ? a.id : node_id() + ":" + new_request_id().substr(24);

  switching::Metrics metrics;
  switching::Endpoints endpoints;
  switching::ShadowWriter shadow(a.store_url, token, metrics);
  switching::Service service({}, endpoints, metrics, &shadow);
  http::Server server(opts, service);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "cutover switch: " << e.what() << "\n";
    return 1;
  }
  service.attach(&server);
  const std::string address = opts.host + ":" + std::to_string(server.port());
  switching::PlanSource source(a.store_url, id, address, std::chrono::milliseconds(a.poll_ms));
  auto first = source.load();
  if (first) {
    service.adopt(first.value());
    metrics.plan_version = first.value()->version;
  } else {
    log::error("no traffic plan yet: API requests get 503 until there is one",
               {{"error", first.error().message()}});
  }
  source.start([&](std::shared_ptr<const switching::PlanSnapshot> p) {
    metrics.plan_version = p->version;
    service.adopt(std::move(p));
  });
  endpoints.start();
  log::info("listening", {{"address", address}, {"workers", server.threads()}, {"id", id},
                          {"plan_version", first ? first.value()->version : 0}, {"version", CUTOVER_VERSION}});
  int sig = wait_for_signal();
  log::info("draining", {{"signal", sig}, {"deadline_s", a.drain_s}});
  service.set_draining();
  server.drain(std::chrono::seconds(a.drain_s));
  source.stop();
  endpoints.stop();
  log::info("stopped");
  return 0;
}

}  // namespace

void add_switch_command(CLI::App& app) {
  auto a = std::make_shared<SwitchArgs>();
  auto* cmd = app.add_subcommand("switch", "Run the traffic switch: the front door that sends each request to "
                                           "the blue or green gateways as the traffic plan says");
  cmd->description(
      "Serves the gateway API on --listen and forwards every request to a healthy gateway of the color the\n"
      "traffic plan (the store's \"traffic\" domain; `cutover traffic`) picks for it: cohorts, then the\n"
      "canary share by a sticky hash of the caller, else the active color. A sampled copy goes to the\n"
      "color that does not serve (shadow) and the two responses are compared (`cutover shadow report`).\n"
      "A plan change applies to requests that arrive after it; requests and streams in flight finish\n"
      "where they started. SIGTERM drains for --drain seconds.");
  add_store_option(*cmd, a->store_url);
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on; port 0 picks a free one");
  cmd->add_option("--threads", a->threads, "Worker threads; 0 = one per core")->check(CLI::Range(0, 256));
  cmd->add_option("--id", a->id, "This switch's name in `cutover traffic` confirmations (default host:pid:random)");
  cmd->add_option("--shadow-token-env", a->shadow_token_env,
                  "Environment variable holding the token shadow copies carry in x-cutover-shadow (the "
                  "gateways' shadow_token_env); without it gateways treat copies as normal requests");
  cmd->add_option("--drain", a->drain_s, "Seconds to let requests and streams finish on SIGTERM")
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--poll-ms", a->poll_ms, "How often to check the store for a new plan (PostgreSQL also LISTENs)")
      ->check(CLI::Range(10, 10'000));
  cmd->add_option("--log-level", a->log_level, "debug, info, warn or error");
  cmd->callback([a] { set_exit_code(run_switch(*a)); });
}

}  // namespace cutover::cli
