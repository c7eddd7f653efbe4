// `cutover gateway`: the data plane of one environment (one color).
#include <atomic>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/master_key_option.hpp"
#include "audit/writer.hpp"
#include "core/log.hpp"
#include "gateway/config.hpp"
#include "gateway/admin.hpp"
#include "gateway/counters.hpp"
#include "gateway/service.hpp"
#include "gateway/snapshot.hpp"
#include "identity/secret_box.hpp"

namespace cutover::cli {
namespace {

struct GatewayArgs {
  std::string config_path;
  std::string color;
  std::string listen;
  int threads = -1;
  std::string log_level;
  std::string store_url;
  std::string master_key_file;
};

int run_gateway(const GatewayArgs& a) {
  std::string node_text;
  std::shared_ptr<gateway::Config> config;
  try {
    node_text = gateway::read_config_file(a.config_path);
    // With a store, routes and keys may come from it: the file alone need not have them.
    config = gateway::parse_config(node_text, {}, /*require_state=*/false);
  } catch (const std::exception& e) {
    std::cerr << "cutover gateway: " << a.config_path << ": " << e.what() << "\n";
    return 2;
  }
  // The master key opens the store's sealed secrets (provider keys, the audit signing key).
  // Read once, now: a file named on the command line that is unusable stops the start; an
  // unusable environment variable only matters once the store holds a sealed secret.
  auto master_key = load_master_key(a.master_key_file);
  if (report_bad_master_key_file(master_key, a.master_key_file, "gateway")) return 2;
  const std::string store_url = !a.store_url.empty() ? a.store_url : config->store_url;
  // Command-line flags override the file, in every snapshot; a config is immutable once
  // the service has it.
  auto apply_flags = [&a](gateway::Config& c) {
    if (!a.color.empty()) c.color = a.color;
    if (!a.listen.empty()) split_listen(a.listen, c.listen_host, c.listen_port);
    if (a.threads >= 0) c.workers = a.threads;
    if (!a.log_level.empty()) c.log_level = a.log_level;
  };
  apply_flags(*config);
  LogLevel level;
  if (!log::parse_level(config->log_level, level)) {
    std::cerr << "cutover gateway: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  log::set_level(level);
  log::set_common_fields({{"component", "gateway"}, {"color", config->color}});

  std::unique_ptr<gateway::SnapshotSource> source;
  bool has_state = true;
  if (store_url.empty()) {
    try {
      config = gateway::parse_config(node_text);  // no store: the file must be complete
      apply_flags(*config);
    } catch (const std::exception& e) {
      std::cerr << "cutover gateway: " << a.config_path << ": " << e.what() << "\n";
      return 2;
    }
  } else {
    source = std::make_unique<gateway::SnapshotSource>(node_text, store_url, std::move(master_key));
    auto first = source->load();
    if (first) {
      config = std::move(first.value());
      apply_flags(*config);
    } else {
      // Serve 503s with a clear error rather than an empty config; keep trying.
      has_state = false;
      log::error("no state: the store is unreachable or its state unusable; API requests get 503 "
                 "until it is", {{"error", first.error().message()}});
    }
  }

  std::unique_ptr<gateway::Counters> counters;
  if (!store_url.empty()) counters = std::make_unique<gateway::Counters>(store_url);
  // The audit log lives in the store: every API request is recorded there, durably,
  // before its response completes (docs/AUDIT.md). The signing key follows the snapshot.
  std::unique_ptr<audit::Writer> audit_writer;
  std::atomic<gateway::Service*> service_ptr{nullptr};
  if (!store_url.empty() && config->audit.enabled) {
    const gateway::AuditSettings& s = config->audit;
    audit::WriterOptions o;
    o.store_url = store_url;
    o.mode = s.mode;
    o.max_batch = s.max_batch;
    o.fail_open = s.fail_open;
    o.spool_path = s.spool_path;
    o.checkpoint_every = s.checkpoint_every;
    o.checkpoint_interval = s.checkpoint_interval;
    audit_writer = std::make_unique<audit::Writer>(o, [&service_ptr]() -> audit::SignerRef {
      gateway::Service* s = service_ptr.load();
      if (!s) return {nullptr, "the gateway is starting"};
      auto c = s->config();
      return {c->audit_signer, c->audit_signer_problem};
    });
  } else if (!store_url.empty()) {
    log::warn("audit log disabled (audit.enabled: false): requests are served unrecorded");
  }
  if (audit_writer && has_state && !config->audit_signer)
    log::error("API requests are refused: the audit log cannot be signed",
               {{"error", config->audit_signer_problem}});
  gateway::Service service(config, has_state, counters.get(), audit_writer.get());
  service_ptr = &service;
  // Per-domain versions and fingerprints of the state in use (/readyz, /admin/state).
  auto state_report = [s = source.get()] {
    boost::json::object o;
    if (!s) return o;
    for (const auto& [domain, f] : s->fingerprints()) o[domain] = {{"version", f.version}, {"sha256", f.sha256}};
    return o;
  };
  if (source) {
    service.set_state_reporter(state_report);
    source->start([&service, apply_flags, audit = audit_writer.get()](std::shared_ptr<gateway::Config> c) {
                    apply_flags(*c);
                    if (audit && !c->audit_signer)
                      log::error("API requests are refused: the audit log cannot be signed",
                                 {{"error", c->audit_signer_problem}});
                    service.adopt(std::move(c));
                  },
                  [&service](bool degraded) { service.set_store_degraded(degraded); });
  }
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
  std::unique_ptr<gateway::AdminService> admin;
  std::unique_ptr<http::Server> admin_server;
  if (!config->admin_token.empty()) {
    admin = std::make_unique<gateway::AdminService>(config->admin_token, [&, state_report] {
      boost::json::object o{{"color", config->color},
                            {"store", source ? "connected" : "none"},
                            {"degraded", source && source->degraded()},
                            {"domains", state_report()}};
      return o;
    });
    http::ServerOptions aopts;
    aopts.host = config->admin_host;
    aopts.port = config->admin_port;
    aopts.threads = 1;
    admin_server = std::make_unique<http::Server>(aopts, *admin);
    try {
      admin_server->start();
    } catch (const std::exception& e) {
      std::cerr << "cutover gateway: admin listener: " << e.what() << "\n";
      return 1;
    }
    log::info("admin listening", {{"address", aopts.host + ":" + std::to_string(admin_server->port())}});
  }
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
  if (admin_server) admin_server->drain(std::chrono::seconds(1));
  if (source) source->stop();
  audit_writer.reset();  // writes what is still queued
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
  cmd->add_option("--store", args->store_url,
                  "Shared store (sqlite:///path or postgres://...): routes and API keys come from "
                  "its active state, live; the file's sections are the fallback (overrides the file's store:)");
  add_master_key_option(*cmd, args->master_key_file,
                        "the store's sealed secrets: provider keys and the audit signing key. Read "
                        "once at start; unusable: exit 2");
  cmd->callback([args] { set_exit_code(run_gateway(*args)); });
}

}  // namespace cutover::cli
