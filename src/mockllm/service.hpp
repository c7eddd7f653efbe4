// The mock-llm HTTP handler: an OpenAI-compatible provider whose answers come from the
// generator and whose misbehaviour comes from the model suffix and the command's flags.
//
//   POST /v1/chat/completions   JSON or SSE stream (stream: true)
//   POST /v1/embeddings         float or base64 vectors
//   GET  /v1/models[/{id}]      a few mock models
//   GET  /healthz               "ok"
//
// Every answer echoes a valid x-request-id and names the behaviours applied in
// x-mock-behaviour. Like the text, response ids derive from the request (model + last user
// message), so identical requests get identical ids. Delays are timers inside the coroutine; no
// thread ever sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "http/server.hpp"
#include "mockllm/behaviour.hpp"
#include "mockllm/chat_response.hpp"
#include "mockllm/embeddings.hpp"

namespace cutover::mockllm {

class Service final : public http::Handler {
 public:
  // seed drives the fault and jitter draws (one shared sequence, so a single-threaded
  // server replays the same faults for the same request order).
  Service(Settings settings, std::uint64_t seed);

  http::net::awaitable<void> handle(http::Request& req, http::Exchange& ex) override;

  // Call right before Server::drain with the same deadline: hanging requests are dropped at
  // once (they would never answer anyway, and their clients may be long gone), other waits
  // (latency, ttft, itl) give up at the deadline and drop their connections.
  void begin_drain(std::chrono::milliseconds deadline);

  // What was decided for one request before any waiting (public for tests).
  struct Admission {
    BehaviourSet behaviours;  // suffix + flags
    FaultDecision fault;
    Timing timing;
    std::string header;  // x-mock-behaviour; empty: none
  };

 private:
  struct ChatPlan;
  struct EmbeddingsPlan;

  Result<ChatPlan> plan_chat(const http::Request& req);
  Result<EmbeddingsPlan> plan_embeddings(const http::Request& req);
  Result<Admission> admit(std::string_view model, const http::Request& req);

  http::net::awaitable<void> chat(http::Request& req, http::Exchange& ex);
  http::net::awaitable<void> stream(const http::Request& req, http::Exchange& ex,
                                    const ChatPlan& plan);
  http::net::awaitable<void> embeddings(http::Request& req, http::Exchange& ex);
  http::net::awaitable<void> model(const http::Request& req, http::Exchange& ex,
                                   std::string_view id);
  // Waits the latency, then carries out an injected fault. True: go on and answer.
  http::net::awaitable<bool> pass(const Admission& a, const http::Request& req, http::Exchange& ex);
  // False when the wait was abandoned (shutdown); the caller drops the connection. A hang
  // is abandoned as soon as draining starts.
  http::net::awaitable<bool> pause(std::chrono::milliseconds d, bool hang = false);
  bool abandoned(bool hang) const;

  http::Response reply(const http::Request& req, http::bhttp::status status, std::string body,
                       std::string_view header = {}) const;
  http::Response error(const http::Request& req, const Error& e,
                       std::string_view header = {}) const;
  double draw();

  Settings settings_;
  std::uint64_t seed_;
  std::atomic<std::uint64_t> draws_{0};
  std::atomic<std::int64_t> give_up_at_;  // steady_clock ticks
  std::atomic<bool> draining_{false};
  OnceTracker once_;
  std::string models_body_;
  std::string server_error_body_;
  std::string rate_limit_body_;
};

}  // namespace cutover::mockllm
