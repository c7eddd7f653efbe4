// Everything one request carries through the pipeline. Stages read what earlier stages
// decided from here, never from hidden headers.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "gateway/config.hpp"
#include "http/server.hpp"

namespace cutover::gateway {

enum class Endpoint { kChatCompletions, kEmbeddings, kModels };

using Clock = std::chrono::steady_clock;

class AuditStage;

struct RequestContext {
  RequestContext(http::Request& r, http::Exchange& e, std::shared_ptr<const Config> c)
      : request(r), exchange(e), config(std::move(c)) {}

  http::Request& request;
  http::Exchange& exchange;
  std::shared_ptr<const Config> config;  // the snapshot this request began with
  Endpoint endpoint = Endpoint::kChatCompletions;
  Clock::time_point start = Clock::now();

  // Correlation.
  std::string request_id;
  TraceContext trace;          // from the caller's traceparent, if any
  std::string traceparent_out; // sent to the provider
  std::string trace_id;

  // audit: set when this request's entry will be written (the audit log is writable).
  AuditStage* audit = nullptr;
  bool audit_sealed = false;
  bool shadow = false;  // a mirrored copy (x-cutover-shadow from the switch)

  // authenticate: the API key, or for a JWT the identity built from its claims.
  const ApiKey* identity = nullptr;
  ApiKey jwt_identity;

  // decode. The body's JSON lives in a per-request arena: no allocation per element,
  // one release at the end.
  alignas(16) unsigned char json_arena[4096];
  boost::json::monotonic_resource json_memory{json_arena, sizeof json_arena};
  boost::json::object body{&json_memory};
  std::string model;  // the alias the caller asked for
  bool stream = false;
  bool client_wants_usage = false;  // stream_options.include_usage
  std::int64_t max_tokens = 0;      // max_tokens or max_completion_tokens; 0 when absent

  // rate_limit: what was taken from shared counters, to reconcile after the response.
  struct Reservation {
    std::string key;
    std::int64_t window;
    std::int64_t amount;
    bool tokens;  // a token reservation (reconciled with usage), else a request count
  };
  std::vector<Reservation> reservations;

  // route
  const Route* route = nullptr;

  // upstream
  std::string provider;  // the one that answered (or failed last)
  std::string upstream_model;  // the provider's model name for it
  int attempts = 0;
  int retries = 0;
  int fallbacks = 0;
  std::string fallback_reason;  // why the previous target was left: "mock-a: upstream_timeout"
  int upstream_status = 0;
  Clock::duration upstream_wait{};  // time spent waiting on providers
  std::optional<Clock::duration> time_to_first_token;
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  bool streamed = false;  // a stream began towards the client
  // A non-streamed answer, ready to send (set by upstream, sent by the pipeline).
  unsigned response_status = 0;
  std::string response_body;

  int status = 0;  // what the client got
};

}  // namespace cutover::gateway
