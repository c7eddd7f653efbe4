#include "gateway/stages/upstream.hpp"

#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "gateway/pipeline.hpp"
#include "gateway/retry.hpp"
#include "gateway/stages/audit.hpp"
#include "gateway/usage.hpp"
#include "http/client.hpp"
#include "http/sse.hpp"

namespace cutover::gateway {
namespace net = http::net;
namespace bhttp = http::bhttp;
namespace beast = http::beast;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

// Counts a stream in cutover_open_streams for as long as it lives.
struct StreamGauge {
  explicit StreamGauge(Metrics& m) : m_(m) { m_.open_streams.fetch_add(1, std::memory_order_relaxed); }
  ~StreamGauge() { m_.open_streams.fetch_sub(1, std::memory_order_relaxed); }
  Metrics& m_;
};

constexpr std::size_t kCoalesceBytes = 16 * 1024;

bool has_complete_event(std::string_view raw) {
  return raw.find("\n\n") != std::string_view::npos || raw.find("\r\n\r\n") != std::string_view::npos;
}

bool is_connection_gone(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == bhttp::error::partial_message;
}

Error transport_error(const Target& t, const beast::error_code& ec, std::string_view during) {
  if (ec == beast::error::timeout)
    return Error(ErrorCode::kUpstreamTimeout,
                 "provider '" + t.provider->name + "' timed out " + std::string(during));
  return Error(ErrorCode::kUpstreamError, "provider '" + t.provider->name + "' failed " +
                                              std::string(during) + ": " + ec.message());
}

// The provider's request, written by hand: same body with the target's model name.
struct UpstreamRequest {
  std::string head;
  std::string body;
};

UpstreamRequest build_request(RequestContext& ctx, const Target& target) {
  const auto& url = target.provider->url;
  ctx.body["model"] = target.model;
  if (ctx.stream && !ctx.client_wants_usage) {
    // Ask for usage so tokens are counted; the usage chunk is not passed to the client.
    ctx.body["stream_options"] = boost::json::object{{"include_usage", true}};
  }
  UpstreamRequest r;
  r.body = boost::json::serialize(ctx.body);
  std::string& h = r.head;
  h.reserve(384 + target.provider->api_key.size());
  h += "POST ";
  h += url.path_prefix;
  h += ctx.endpoint == Endpoint::kEmbeddings ? "/embeddings" : "/chat/completions";
  h += " HTTP/1.1\r\nHost: ";
  h += url.host_header;
  h += "\r\nContent-Type: application/json\r\nAccept: ";
  h += ctx.stream ? "text/event-stream" : "application/json";
  h += "\r\nUser-Agent: cutover/" CUTOVER_VERSION "\r\n";
  if (!target.provider->api_key.empty()) {
    h += "Authorization: Bearer ";
    h += target.provider->api_key;
    h += "\r\n";
  }
  h += "traceparent: ";
  h += ctx.traceparent_out;
  h += "\r\nx-request-id: ";
  h += ctx.request_id;
  h += "\r\nContent-Length: ";
  h += std::to_string(r.body.size());
  h += "\r\n\r\n";
  return r;
}

}  // namespace

net::awaitable<Status> Upstream::run(RequestContext& ctx) {
  const Route& route = *ctx.route;
  if (ctx.stream && metrics_.open_streams.load(std::memory_order_relaxed) >=
                        static_cast<std::int64_t>(ctx.config->max_streams))
    co_return Error(ErrorCode::kOverloaded, "Too many streams in flight on this gateway; retry shortly.")
        .with_retry_after(milliseconds(1000));

  std::vector<ErrorCode> failures;
  std::optional<Error> last;
  auto executor = co_await net::this_coro::executor;
  for (std::size_t t = 0; t < route.targets.size(); ++t) {
    const Target& target = route.targets[t];
    UpstreamRequest req = build_request(ctx, target);
    for (int n = 1;; ++n) {
      ++ctx.attempts;
      ctx.provider = target.provider->name;
      ctx.upstream_model = target.model;
      Status st = co_await attempt(ctx, target, req.head, req.body);
      if (st || ctx.streamed) co_return st;
      failures.push_back(st.error().code());
      auto decision = decide_retry(route.retry, n, st.error(), Random::thread_local_instance().uniform());
      log::warn("provider attempt failed",
                {{"request_id", ctx.request_id}, {"route", route.alias}, {"provider", target.provider->name},
                 {"attempt", n}, {"error", st.error().message()}, {"code", st.error().code_name()},
                 {"decision", decision.kind == RetryDecision::kRetry      ? "retry"
                              : decision.kind == RetryDecision::kGiveUp   ? "give_up"
                                                                          : "next_target"}});
      if (decision.kind == RetryDecision::kGiveUp) co_return std::move(st.error());
      last.emplace(std::move(st.error()));
      if (decision.kind != RetryDecision::kRetry) break;
      ++ctx.retries;
      metrics_.count_retry(route.metrics_slot);
      // Waiting out a provider's backoff is provider time, not gateway overhead.
      auto waited_from = Clock::now();
      net::steady_timer timer{executor, decision.delay};
      co_await timer.async_wait(http::use_nothrow);
      ctx.upstream_wait += Clock::now() - waited_from;
    }
    if (t + 1 < route.targets.size()) {
      ++ctx.fallbacks;
      metrics_.count_fallback(route.metrics_slot);
      ctx.fallback_reason = target.provider->name + ": " + std::string(last->code_name());
    }
  }
  Error agg(aggregate_code(failures.data(), failures.size()),
            "All " + std::to_string(route.targets.size()) + " provider(s) for model '" + route.alias +
                "' failed after " + std::to_string(ctx.attempts) + " attempt(s); last error: " + last->message());
  if (auto ra = last->retry_after()) agg.with_retry_after(*ra);
  co_return agg;
}

net::awaitable<Status> Upstream::attempt(RequestContext& ctx, const Target& target,
                                         std::string_view head, std::string_view body) {
  const Provider& p = *target.provider;
  auto& pool = http::ConnectionPool::for_this_thread();
  auto t0 = Clock::now();
  auto waited = [&] { ctx.upstream_wait += Clock::now() - t0; };
  std::unique_ptr<http::Connection> conn;
  std::optional<http::ResponseParser> parser;
  // A pooled connection may have been closed by the provider while idle: when it fails
  // before any response byte, try once more on a fresh connection (not a retry).
  for (int fresh = 0; fresh < 2; ++fresh) {
    auto c = co_await pool.acquire(p.url, p.tls.get(), p.connect_timeout);
    if (!c) {
      waited();
      co_return std::move(c.error());
    }
    conn = std::move(c.value());
    auto ec = co_await conn->write(head, body, p.request_timeout);
    parser.emplace();
    parser->body_limit(p.max_response_bytes);
    if (!ec) ec = co_await conn->read_header(*parser, p.request_timeout);
    if (!ec) break;
    bool stale = conn->reused() && is_connection_gone(ec);
    conn->close();
    if (!stale || fresh == 1) {
      waited();
      co_return transport_error(target, ec, "before answering");
    }
  }
  int status = parser->get().result_int();
  ctx.upstream_status = status;
  if (status == 200 && ctx.stream) {
    waited();
    co_return co_await relay_stream(ctx, target, std::move(conn), *parser);
  }
  auto ec = co_await conn->read_body(*parser, p.request_timeout - duration_cast<milliseconds>(Clock::now() - t0));
  waited();
  if (ec) {
    conn->close();
    co_return transport_error(target, ec, "while sending its answer");
  }
  bool keep = parser->keep_alive();
  auto res = parser->release();
  if (keep) http::ConnectionPool::for_this_thread().release(std::move(conn));
  if (status == 429) {
    Error e(ErrorCode::kUpstreamRateLimited,
            "provider '" + p.name + "' is rate limiting: " + std::string(error_message_of(res.body())));
    if (auto ra = parse_retry_after(res[bhttp::field::retry_after], unix_seconds())) e.with_retry_after(*ra);
    e.with_upstream_status(status);
    co_return e;
  }
  if (status >= 500 || status < 200 || (status >= 300 && status < 400))
    co_return Error(ErrorCode::kUpstreamError, "provider '" + p.name + "' answered HTTP " +
                                                   std::to_string(status) + ": " +
                                                   std::string(error_message_of(res.body())))
        .with_upstream_status(status);
  // 2xx, or a 4xx that says the request itself is wrong: the client gets it as it is.
  Usage u;
  if (status == 200 && extract_usage(res.body(), u)) {
    ctx.tokens_in = u.input;
    ctx.tokens_out = u.output;
  }
  ctx.response_status = static_cast<unsigned>(status);
  ctx.response_body = std::move(res.body());
  co_return Status{};
}

net::awaitable<Status> Upstream::relay_stream(RequestContext& ctx, const Target& target,
                                              std::unique_ptr<http::Connection> conn,
                                              http::ResponseParser& parser) {
  StreamGauge gauge(metrics_);
  ctx.streamed = true;
  ctx.status = 200;
  http::ResponseHead head{bhttp::status::ok, ctx.request.version()};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  GatewayHeaders(ctx).apply(head);
  if (!co_await ctx.exchange.begin_stream(std::move(head))) {
    conn->close();
    ctx.status = 499;
    co_return Error(ErrorCode::kInvalidRequest, "client closed the connection");
  }
  http::SseParser sse;
  std::string out;
  std::optional<Error> failure;
  bool saw_done = false;  // held back until the audit entry is durable
  Sha256Stream sent;      // what the client receives, for the entry's response digest
  const auto& p = *target.provider;
  while (!parser.is_done()) {
    out.clear();
    // Forward what arrived together in one write, and no more: events that are already
    // in the buffer go out at once, nothing waits for later bytes.
    do {
      auto t0 = Clock::now();
      auto ec = co_await conn->read_some(parser, p.stream_idle_timeout);
      ctx.upstream_wait += Clock::now() - t0;
      if (ec) {
        failure = transport_error(target, ec, "in the middle of a stream");
        break;
      }
      auto& body = parser.get().body();
      bool framed = sse.feed(body, [&](std::string_view data) {
        if (data.find("\"usage\"") != std::string_view::npos) {
          Usage u;
          if (extract_usage(data, u)) {
            ctx.tokens_in = u.input;
            ctx.tokens_out = u.output;
            if (!ctx.client_wants_usage && is_usage_only_chunk(data)) return;
          }
        }
        if (data == "[DONE]") {
          saw_done = true;
          return;
        }
        out += "data: ";
        out += data;
        out += "\n\n";
      });
      body.clear();
      if (!framed) {
        failure = Error(ErrorCode::kUpstreamError, "provider '" + p.name + "' sent an oversized stream event");
        break;
      }
      // Another event already complete in the buffer: taking it needs no I/O. (Leftover
      // chunk framing alone does not count: waiting for it would hold back this batch.)
    } while (!parser.is_done() && out.size() < kCoalesceBytes && has_complete_event(conn->buffered()));
    if (failure) break;
    if (out.empty()) continue;
    if (!ctx.time_to_first_token) ctx.time_to_first_token = Clock::now() - ctx.start;
    // The last batch goes out together with the end of the stream, after the audit.
    if (parser.is_done()) break;
    sent.update(out);
    if (!co_await ctx.exchange.write_chunk(out)) {
      conn->close();
      ctx.status = 499;
      co_return Error(ErrorCode::kInvalidRequest, "client closed the connection during the stream");
    }
  }
  if (failure) {
    // Bytes already reached the client: no silent retry. Say what happened, end cleanly.
    conn->close();
    log::warn("stream failed after it began", {{"request_id", ctx.request_id}, {"provider", p.name},
                                               {"error", failure->message()}});
    out += http::sse_event(failure->to_openai_json());  // after what did arrive intact
    ctx.status = 502;
    if (ctx.audit) {
      sent.update(out);
      (void)co_await ctx.audit->seal(ctx, ctx.status, &*failure, sent.finish());
    }
    co_await ctx.exchange.write_chunk(out);
    co_await ctx.exchange.end_stream();
    co_return std::move(*failure);
  }
  if (parser.keep_alive()) http::ConnectionPool::for_this_thread().release(std::move(conn));
  // The entry is durable before the client sees the end of the stream: a stream whose
  // entry could not be written ends with an error event instead of [DONE].
  if (saw_done) out += "data: [DONE]\n\n";
  if (ctx.audit) {
    sent.update(out);
    Status st = co_await ctx.audit->seal(ctx, 200, nullptr, sent.finish());
    if (!st) {
      out.resize(out.size() - (saw_done ? 14 : 0));
      out += http::sse_event(audit_failed(st.error()).to_openai_json());
      ctx.status = 503;
    }
  }
  if (!out.empty() && !co_await ctx.exchange.write_chunk(out)) {
    ctx.status = 499;
    co_return Status{};
  }
  co_await ctx.exchange.end_stream();
  co_return Status{};
}

}  // namespace cutover::gateway
