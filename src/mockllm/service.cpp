#include "mockllm/service.hpp"

#include <boost/json.hpp>
#include <ctime>
#include <limits>

#include "core/hash.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "core/json_text.hpp"

namespace cutover::mockllm {
namespace json = boost::json;
namespace net = http::net;
namespace bhttp = http::bhttp;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Long waits are cut into slices so that begin_drain() is noticed promptly.
constexpr milliseconds kWaitSlice{100};
constexpr std::int64_t kModelsCreated = 1700000000;
constexpr std::string_view kModels[] = {"mock-fast", "mock-smart", "mock-embed", "echo"};
constexpr std::string_view kEndpoints =
    "POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models, GET /healthz";

void append_model(std::string& out, std::string_view id) {
  out += "{\"id\":";
  append_json_string(out, id);
  out += ",\"object\":\"model\",\"created\":";
  append_int(out, kModelsCreated);
  out += ",\"owned_by\":\"cutover-mock\"}";
}

// The body parsed into `storage`. Small bodies parse without touching the heap.
Result<json::object*> parse_object(std::string_view body, json::value& out,
                                   json::storage_ptr storage) {
  json::error_code ec;
  out = json::parse(body, ec, std::move(storage));
  if (ec)
    return Error(ErrorCode::kInvalidJson,
                 "request body is not valid JSON (" + ec.message() + "); send a JSON object");
  if (!out.is_object())
    return Error(ErrorCode::kInvalidRequest, "request body must be a JSON object");
  return &out.get_object();
}

// Identifies "the same request" across retries for 429-once / 500-once.
std::uint64_t request_key(const http::Request& req) {
  auto rid = req["x-request-id"];
  return rid.empty() ? hash64(req.body(), 1) : hash64(rid, 2);
}

template <class Message>
void decorate(Message& m, const http::Request& req, std::string_view behaviour_header) {
  if (auto rid = req["x-request-id"]; !rid.empty() && valid_request_id(rid))
    m.set("x-request-id", rid);
  if (!behaviour_header.empty()) m.set("x-mock-behaviour", behaviour_header);
}

}  // namespace

struct Service::ChatPlan {
  Admission admission;
  std::string model;
  Completion completion;
  bool stream = false;
  bool include_usage = false;
};

struct Service::EmbeddingsPlan {
  Admission admission;
  std::string body;
};

Service::Service(Settings settings, std::uint64_t seed)
    : settings_(settings), seed_(seed), give_up_at_(std::numeric_limits<std::int64_t>::max()) {
  models_body_ = "{\"object\":\"list\",\"data\":[";
  for (std::size_t i = 0; i < std::size(kModels); ++i) {
    if (i) models_body_ += ',';
    append_model(models_body_, kModels[i]);
  }
  models_body_ += "]}";
  server_error_body_ =
      Error(ErrorCode::kInternal, "mock-llm: injected server error").to_openai_json();
  rate_limit_body_ =
      Error(ErrorCode::kRateLimited, "mock-llm: injected rate limit; retry after 1 second")
          .to_openai_json();
}

void Service::begin_drain(milliseconds deadline) {
  give_up_at_.store((SteadyClock::now() + deadline).time_since_epoch().count());
  draining_.store(true);
}

bool Service::abandoned(bool hang) const {
  if (hang && draining_.load(std::memory_order_relaxed)) return true;
  return SteadyClock::now().time_since_epoch().count() >=
         give_up_at_.load(std::memory_order_relaxed);
}

double Service::draw() {
  std::uint64_t n = draws_.fetch_add(1, std::memory_order_relaxed);
  return Random(seed_ + n * 0x9e3779b97f4a7c15ULL).uniform();
}

http::Response Service::reply(const http::Request& req, bhttp::status status, std::string body,
                              std::string_view header) const {
  http::Response res{status, req.version()};
  res.set(bhttp::field::content_type, "application/json");
  decorate(res, req, header);
  res.body() = std::move(body);
  return res;
}

http::Response Service::error(const http::Request& req, const Error& e,
                              std::string_view header) const {
  return reply(req, static_cast<bhttp::status>(e.http_status()), e.to_openai_json(), header);
}

net::awaitable<void> Service::handle(http::Request& req, http::Exchange& ex) {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  const bool post = req.method() == bhttp::verb::post;
  const bool get = req.method() == bhttp::verb::get;
  bhttp::verb allowed;
  if (path == "/v1/chat/completions") {
    if (post) co_return co_await chat(req, ex);
    allowed = bhttp::verb::post;
  } else if (path == "/v1/embeddings") {
    if (post) co_return co_await embeddings(req, ex);
    allowed = bhttp::verb::post;
  } else if (path == "/v1/models" || path == "/healthz") {
    if (get && path == "/healthz") {
      http::Response res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::content_type, "text/plain");
      res.body() = "ok";
      co_return (void) co_await ex.send(std::move(res));
    }
    if (get) co_return (void) co_await ex.send(reply(req, bhttp::status::ok, models_body_));
    allowed = bhttp::verb::get;
  } else if (path.starts_with("/v1/models/")) {
    if (get) co_return co_await model(req, ex, path.substr(std::string_view("/v1/models/").size()));
    allowed = bhttp::verb::get;
  } else {
    co_await ex.send(
        error(req, Error(ErrorCode::kNotFound, "mock-llm: no endpoint " + std::string(path) +
                                                   "; try " + std::string(kEndpoints))));
    co_return;
  }
  auto res = error(
      req, Error(ErrorCode::kMethodNotAllowed, "mock-llm: " + std::string(path) + " accepts only " +
                                                   std::string(bhttp::to_string(allowed))));
  res.set(bhttp::field::allow, bhttp::to_string(allowed));
  co_await ex.send(std::move(res));
}

net::awaitable<void> Service::model(const http::Request& req, http::Exchange& ex,
                                    std::string_view id) {
  auto spec = parse_model(id);
  if (!spec) co_return (void) co_await ex.send(error(req, spec.error()));
  std::string body;
  append_model(body, id);
  co_await ex.send(reply(req, bhttp::status::ok, std::move(body)));
}

Result<Service::Admission> Service::admit(std::string_view model, const http::Request& req) {
  auto spec = parse_model(model);
  if (!spec) return std::move(spec.error());
  Admission a;
  a.behaviours = spec->behaviours | settings_.drift;
  Draws d;
  if (a.behaviours.has(Behaviour::kFlaky)) d.flaky = draw();
  if (settings_.fault_rate > 0) d.fault_rate = draw();
  bool once = a.behaviours.has(Behaviour::k429Once) || a.behaviours.has(Behaviour::k500Once);
  a.fault = decide_fault(a.behaviours, settings_, d, once_, once ? request_key(req) : 0);
  a.timing = timing_for(a.behaviours, settings_, settings_.jitter.count() > 0 ? draw() : 0.0);
  if (!a.behaviours.empty() || a.fault.from_fault_rate)
    a.header = behaviour_header(a.behaviours, a.fault);
  return a;
}

net::awaitable<bool> Service::pass(const Admission& a, const http::Request& req,
                                   http::Exchange& ex) {
  if (a.fault.fault == Fault::kHang) {
    co_await pause(settings_.hang_limit, true);
    ex.abort();
    co_return false;
  }
  if (!co_await pause(a.timing.latency)) {
    ex.abort();
    co_return false;
  }
  switch (a.fault.fault) {
    case Fault::kNone:
    case Fault::kHang:
      co_return true;
    case Fault::kReset:
      ex.abort();
      co_return false;
    case Fault::kServerError:
      co_await ex.send(
          reply(req, bhttp::status::internal_server_error, server_error_body_, a.header));
      co_return false;
    case Fault::kRateLimit: {
      auto res = reply(req, bhttp::status::too_many_requests, rate_limit_body_, a.header);
      res.set(bhttp::field::retry_after, "1");
      co_await ex.send(std::move(res));
      co_return false;
    }
  }
  co_return true;
}

net::awaitable<bool> Service::pause(milliseconds d, bool hang) {
  if (d.count() <= 0) co_return true;
  auto until = SteadyClock::now() + d;
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    if (abandoned(hang)) co_return false;
    auto left = until - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) co_return true;
    timer.expires_after(std::min<SteadyClock::duration>(left, kWaitSlice));
    co_await timer.async_wait(http::use_nothrow);
  }
}

Result<Service::ChatPlan> Service::plan_chat(const http::Request& req) {
  unsigned char buffer[16384];
  json::monotonic_resource mr(buffer, sizeof buffer);
  json::value doc;
  auto body = parse_object(req.body(), doc, &mr);
  if (!body) return std::move(body.error());
  auto input = read_chat_request(**body);
  if (!input) return std::move(input.error());
  auto admission = admit(input->model, req);
  if (!admission) return std::move(admission.error());
  input->drift = admission->behaviours;
  ChatPlan plan{std::move(*admission), std::string(input->model), generate(*input), input->stream,
                input->include_usage};
  return plan;
}

net::awaitable<void> Service::chat(http::Request& req, http::Exchange& ex) {
  auto plan = plan_chat(req);
  if (!plan) co_return (void) co_await ex.send(error(req, plan.error()));
  if (log::enabled(LogLevel::kDebug))
    log::debug("chat", {{"model", plan->model},
                        {"behaviour", plan->admission.header},
                        {"tokens", plan->completion.completion_tokens}});
  if (!co_await pass(plan->admission, req, ex)) co_return;
  if (plan->stream) co_return co_await stream(req, ex, *plan);
  auto body = write_chat_completion(plan->completion, {plan->model, std::time(nullptr)});
  co_await ex.send(reply(req, bhttp::status::ok, std::move(body), plan->admission.header));
}

net::awaitable<void> Service::stream(const http::Request& req, http::Exchange& ex,
                                     const ChatPlan& plan) {
  http::ResponseHead head{bhttp::status::ok, req.version()};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  decorate(head, req, plan.admission.header);
  if (!co_await ex.begin_stream(std::move(head))) co_return;

  const Completion& c = plan.completion;
  const Timing& t = plan.admission.timing;
  ChunkWriter writer(c, {plan.model, std::time(nullptr)}, plan.include_usage);
  std::string event;
  event.reserve(512);
  // Each event is its own write, so a client sees tokens arrive one by one.
  if (!co_await pause(t.ttft)) co_return ex.abort();
  writer.first(event);
  if (!co_await ex.write_chunk(event)) co_return;
  for (std::size_t i = 0; i < c.tokens(); ++i) {
    if (i > 0 && !co_await pause(t.itl)) co_return ex.abort();
    writer.token(event, i);
    if (!co_await ex.write_chunk(event)) co_return;
  }
  writer.finish(event);
  if (!co_await ex.write_chunk(event)) co_return;
  if (plan.include_usage) {
    writer.usage(event);
    if (!co_await ex.write_chunk(event)) co_return;
  }
  if (!co_await ex.write_chunk(ChunkWriter::kDone)) co_return;
  co_await ex.end_stream();
}

Result<Service::EmbeddingsPlan> Service::plan_embeddings(const http::Request& req) {
  unsigned char buffer[16384];
  json::monotonic_resource mr(buffer, sizeof buffer);
  json::value doc;
  auto body = parse_object(req.body(), doc, &mr);
  if (!body) return std::move(body.error());
  auto input = read_embeddings_request(**body);
  if (!input) return std::move(input.error());
  auto admission = admit(input->model, req);
  if (!admission) return std::move(admission.error());
  input->drift = admission->behaviours;
  return EmbeddingsPlan{std::move(*admission), write_embeddings(*input)};
}

net::awaitable<void> Service::embeddings(http::Request& req, http::Exchange& ex) {
  auto plan = plan_embeddings(req);
  if (!plan) co_return (void) co_await ex.send(error(req, plan.error()));
  if (!co_await pass(plan->admission, req, ex)) co_return;
  co_await ex.send(reply(req, bhttp::status::ok, std::move(plan->body), plan->admission.header));
}

}  // namespace cutover::mockllm
