// cutover mock-llm: wires flags to mockllm::Service and an http::Server.
#include <CLI/App.hpp>
#include <CLI/Validators.hpp>
#include <csignal>
#include <random>
#include <stdexcept>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "http/server.hpp"
#include "mockllm/behaviour.hpp"
#include "mockllm/service.hpp"

namespace cutover::cli {
namespace {

using std::chrono::milliseconds;

struct MockLlmFlags {
  std::string listen = "127.0.0.1:9000";
  int threads = 1;
  std::int64_t latency_ms = 0, jitter_ms = 0, ttft_ms = 0, itl_ms = 0;
  double fault_rate = 0;
  std::string fault = "500";
  std::string drift;
  std::uint64_t seed = 0;
  std::size_t max_body_bytes = 16u << 20;
  std::string log_level = "info";
};

std::string behaviours_help() {
  std::string s =
      "\nModel-name behaviours: a request's model may end with ':b1,b2' (e.g. gpt-4o:error-500,\n"
      "echo:slow,drift-json). The model 'echo' answers with the last user message.\n";
  for (const auto& b : mockllm::all_behaviours()) {
    s += "  ";
    s += b.name;
    s.append(b.name.size() < 14 ? 14 - b.name.size() : 1, ' ');
    s += b.help;
    s += '\n';
  }
  s += "Responses carry x-mock-behaviour (behaviours applied) and echo x-request-id.\n"
       "The 'listening' log line on stderr gives the bound address (useful with port 0).";
  return s;
}

void run(const MockLlmFlags& f, bool seed_given) {
  LogLevel level;
  log::parse_level(f.log_level, level);  // checked by the option's validator
  log::set_level(level);
  log::set_common_fields({{"component", "mock-llm"}});

  mockllm::Settings settings;
  settings.latency = milliseconds(f.latency_ms);
  settings.jitter = milliseconds(f.jitter_ms);
  settings.ttft = milliseconds(f.ttft_ms);
  settings.itl = milliseconds(f.itl_ms);
  settings.fault_rate = f.fault_rate;
  mockllm::parse_fault(f.fault, settings.fault);   // checked by the option's validator
  settings.drift = mockllm::parse_drift(f.drift);  // checked by the option's validator
  std::uint64_t seed = f.seed;
  if (!seed_given) seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();

  http::ServerOptions options;
  split_listen(f.listen, options.host, options.port);
  options.threads = f.threads;
  options.limits.max_body_bytes = f.max_body_bytes;

  mockllm::Service service(settings, seed);
  http::Server server(options, service);
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("cannot start mock-llm", {{"error", e.what()}});
    set_exit_code(1);
    return;
  }
  std::string host =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  log::info("listening", {{"address", host + ":" + std::to_string(server.port())},
                          {"threads", server.threads()},
                          {"seed", seed}});
  int sig = wait_for_signal();
  constexpr milliseconds kDrain{5000};
  log::info("draining",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}, {"deadline_ms", kDrain.count()}});
  service.begin_drain(kDrain);
  server.drain(kDrain);
  log::info("stopped");
  set_exit_code(0);
}

}  // namespace

void add_mockllm_command(CLI::App& app) {
  auto flags = std::make_shared<MockLlmFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mock-llm",
      "Run a fake OpenAI-compatible provider (chat completions, streaming, embeddings, models)\n"
      "with deterministic output, latency, injected faults and drift");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on; port 0 lets the kernel pick")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Worker threads (one event loop each)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--latency-ms", flags->latency_ms,
                  "Delay before each response (for streams: before the response head)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--jitter-ms", flags->jitter_ms,
                  "Uniform random extra delay 0..N ms added to --latency-ms")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--ttft-ms", flags->ttft_ms,
                  "Streams: time to first token, after the head and before the first chunk")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--itl-ms", flags->itl_ms, "Streams: delay between tokens")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--fault-rate", flags->fault_rate,
                  "Chance (0..1) that a chat/embeddings request suffers --fault")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--fault", flags->fault,
                  "Fault injected by --fault-rate: 500 (server_error), 429 (with Retry-After: 1), "
                  "reset (close without a response) or hang (never answer)")
      ->check(CLI::IsMember({"500", "429", "reset", "hang"}))
      ->capture_default_str();
  cmd->add_option("--drift", flags->drift,
                  "Drift applied to every request, comma separated: words (different wording), "
                  "json (invalid JSON where JSON was asked), tokens (about 2x completion tokens), "
                  "slow (3x latency/ttft/itl)")
      ->check(CLI::Validator(
          [](std::string& v) {
            try {
              mockllm::parse_drift(v);
              return std::string();
            } catch (const std::invalid_argument& e) {
              return std::string(e.what());
            }
          },
          "LIST"));
  auto* seed = cmd->add_option("--seed", flags->seed,
                               "Seed of the fault/jitter draws (default: random); answers are "
                               "deterministic regardless");
  cmd->add_option("--max-body-bytes", flags->max_body_bytes,
                  "Largest request body accepted (larger: 413)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd->footer(behaviours_help());
  cmd->callback([flags, seed] { run(*flags, seed->count() > 0); });
}

}  // namespace cutover::cli
