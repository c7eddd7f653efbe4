// `cutover gateway`: the data plane of one environment (one color).
#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "gateway/config.hpp"
#include "gateway/service.hpp"

namespace cutover::cli {
namespace {

struct GatewayArgs {
  std::string config_path;
  std::string color;
  std::string listen;
  int threads = -1;
  std::string log_level;
};

int run_gateway(const GatewayArgs& a) {
  std::shared_ptr<gateway::Config> config;
  try {
    config = gateway::load_config_file(a.config_path);
  } catch (const std::exception& e) {
    std::cerr << "cutover gateway: " << e.what() << "\n";
    return 2;
  }
  // Command-line flags override the file; the config is immutable once the service has it.
  if (!a.color.empty()) config->color = a.color;
  if (!a.listen.empty()) split_listen(a.listen, config->listen_host, config->listen_port);
  if (a.threads >= 0) config->workers = a.threads;
  if (!a.log_level.empty()) config->log_level = a.log_level;
  LogLevel level;
  if (!log::parse_level(config->log_level, level)) {
    std::cerr << "cutover gateway: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  log::set_level(level);
  log::set_common_fields({{"component", "gateway"}, {"color", config->color}});

  gateway::Service service(config);
  http::ServerOptions opts;
  opts.host = config->listen_host;
  opts.port = config->listen_port;
  opts.threads = config->workers;
  opts.tls = config->tls;
  opts.limits = config->limits;
  http::Server server(opts, service);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "cutover gateway: " << e.what() << "\n";
    return 1;
  }
  service.attach(&server);
  std::string host = opts.host.find(':') != std::string::npos ? "[" + opts.host + "]" : opts.host;
  log::info("listening", {{"address", host + ":" + std::to_string(server.port())},
                          {"tls", opts.tls.has_value()},
                          {"workers", server.threads()},
                          {"routes", config->routes.size()},
                          {"version", CUTOVER_VERSION}});
  int sig = wait_for_signal();
  log::info("draining", {{"signal", sig}, {"deadline_ms", config->drain_timeout.count()}});
  service.set_draining();
  server.drain(config->drain_timeout);
  log::info("stopped");
  return 0;
}

}  // namespace

void add_gateway_command(CLI::App& app) {
  auto args = std::make_shared<GatewayArgs>();
  auto* cmd = app.add_subcommand("gateway", "Run the data plane of one environment (one color)");
  cmd->description(
      "Serve the OpenAI-compatible API (/v1/chat/completions, /v1/embeddings, /v1/models) in front of\n"
      "the providers of a node config, with /healthz, /readyz and /metrics. SIGTERM drains: stop\n"
      "accepting, finish in-flight requests and streams within drain_timeout_ms, then exit.");
  cmd->add_option("-c,--config", args->config_path, "Node config (YAML); see examples/gateway.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--color", args->color, "Environment color reported in x-cutover-color (overrides the file)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on; port 0 picks a free one (overrides the file)");
  cmd->add_option("--threads", args->threads, "Worker threads; 0 = one per core (overrides the file)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--log-level", args->log_level, "debug, info, warn or error (overrides the file)");
  cmd->callback([args] { set_exit_code(run_gateway(*args)); });
}

}  // namespace cutover::cli
