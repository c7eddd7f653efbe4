#include "switch/service.hpp"

#include <boost/json/serialize.hpp>

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "http/client.hpp"
#include "switch/upstream.hpp"
#include "traffic/decide.hpp"

namespace cutover::switching {
namespace net = http::net;
namespace bhttp = http::bhttp;
namespace beast = http::beast;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;

namespace {

std::string bearer_sha256(const http::Request& req) {
  std::string_view auth = req[bhttp::field::authorization];
  if (auth.size() <= 7 || !beast::iequals(auth.substr(0, 7), "bearer ")) return {};
  return to_hex(sha256(auth.substr(7)));
}

http::Response json_error(unsigned version, bhttp::status status, std::string_view color,
                          std::int64_t plan_version, const Error& e, std::string_view request_id = {}) {
  http::Response res{status, version};
  if (!request_id.empty()) res.set("x-request-id", request_id);
  res.set(bhttp::field::content_type, "application/json");
  if (!color.empty()) res.set("x-cutover-color", color);
  res.set("x-cutover-plan-version", std::to_string(plan_version));
  if (auto ra = e.retry_after()) res.set(bhttp::field::retry_after, std::to_string((ra->count() + 999) / 1000));
  res.body() = e.to_openai_json();
  return res;
}

}  // namespace

Service::Service(ServiceOptions options, Endpoints& endpoints, Metrics& metrics, ShadowWriter* shadow)
    : options_(options),
      upstream_{options.connect_timeout, options.response_timeout, options.max_response_bytes},
      endpoints_(endpoints),
      metrics_(metrics),
      shadow_(shadow) {}

void Service::adopt(std::shared_ptr<const PlanSnapshot> plan) {
  auto r = std::make_shared<Routing>();
  for (const auto& env : plan->plan.environments())
    r->by_color.emplace_back(env.color, endpoints_.of(env.color, plan->plan.endpoint_urls(env.color)));
  r->snap = std::move(plan);
  routing_.store(std::move(r));
}

const std::vector<std::shared_ptr<Endpoint>>& Service::Routing::of(std::string_view color) const {
  static const std::vector<std::shared_ptr<Endpoint>> kNone;
  for (const auto& [c, list] : by_color)
    if (c == color) return list;
  return kNone;
}

net::awaitable<void> Service::handle(http::Request& req, http::Exchange& ex) {
  std::string_view target = req.target();
  const bool get = req.method() == bhttp::verb::get;
  auto routing = routing_.load();
  const PlanSnapshot* snap = routing ? routing->snap.get() : nullptr;
  if (get && (target == "/healthz" || target == "/readyz" || target == "/metrics")) {
    http::Response res{bhttp::status::ok, req.version()};
    if (target == "/healthz") {
      res.set(bhttp::field::content_type, "text/plain");
      res.body() = "ok\n";
    } else if (target == "/readyz") {
      const bool ready = snap && !draining_.load();
      boost::json::object body{{"status", draining_.load() ? "draining" : snap ? "ready" : "no_plan"},
                               {"plan_version", snap ? snap->version : 0}};
      if (!ready) res.result(bhttp::status::service_unavailable);
      res.set(bhttp::field::content_type, "application/json");
      res.body() = boost::json::serialize(body);
    } else {
      res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
      res.body() = metrics_.render(server_ ? server_->open_connections() : 0);
      res.body() += "# HELP cutover_switch_endpoint_healthy 1 while the endpoint takes requests (0: ejected).\n"
                    "# TYPE cutover_switch_endpoint_healthy gauge\n";
      for (const auto& e : endpoints_.all())
        res.body() += "cutover_switch_endpoint_healthy{color=\"" + e->color + "\",endpoint=\"" + e->url.origin +
                      "\"} " + (e->healthy.load() ? "1\n" : "0\n");
    }
    co_await ex.send(std::move(res));
    co_return;
  }
  if (!snap) {
    auto res = json_error(req.version(), bhttp::status::service_unavailable, "", 0,
                                Error(ErrorCode::kUnavailable,
                                      "This switch has no traffic plan yet (set one with `cutover traffic "
                                      "set`); /readyz says when it has.")
                                    .with_retry_after(std::chrono::seconds(1)));
    co_await ex.send(std::move(res));  // named first: no temporaries in a co_await (GCC 12)
    co_return;
  }
  co_await forward(req, ex, std::move(routing));
}

net::awaitable<void> Service::forward(http::Request& req, http::Exchange& ex,
                                      std::shared_ptr<const Routing> routing) {
  const auto t0 = Clock::now();
  const PlanSnapshot* snap = routing->snap.get();
  // Decide on the plan this request arrived under.
  const std::string key_sha = bearer_sha256(req);
  traffic::RequestKey key;
  key.api_key_sha256 = key_sha;
  if (auto it = snap->callers.find(key_sha); !key_sha.empty() && it != snap->callers.end()) {
    key.subject = it->second.subject;
    key.tenant = it->second.tenant;
  }
  auto lookup = [&req](std::string_view name) -> std::string_view { return req[name]; };
  key.header = traffic::HeaderLookup(lookup);
  const std::uint64_t draw = Random::thread_local_instance().next();
  const traffic::Decision d = traffic::decide(snap->plan, key, traffic::sticky_hash(key), draw);
  const std::string color(d.color);

  // A healthy gateway of the serving color; one that refuses the connection is ejected and
  // the next one tried. Never another color: only the plan moves traffic.
  const auto& endpoints = routing->of(color);
  std::size_t start = endpoints.empty() ? 0 : static_cast<std::size_t>(draw % endpoints.size());

  std::string request_id(req["x-request-id"]);
  if (request_id.empty()) request_id = new_request_id();
  // Built once, for the endpoint tried first; another endpoint rewrites its Host in place.
  std::string head = request_head(
      req, request_id, endpoints.empty() ? std::string_view() : std::string_view(endpoints[start]->url.host_header));

  std::shared_ptr<ShadowPair> shadow;
  if (d.mirror && shadow_) {
    // The executor first: no co_await in an expression with temporaries (GCC 12).
    auto executor = co_await net::this_coro::executor;
    shadow = shadow_->start(executor, head, req.body(), request_id, color,
                            std::string(d.mirror_color), routing->of(d.mirror_color));
  }
  auto record_primary = [&](bool failed, int status, std::string_view content_type, std::string body) {
    if (!shadow) return;
    shadow->primary.failed = failed;
    shadow->primary.status = status;
    shadow->primary.content_type = std::string(content_type);
    shadow->primary.body = std::move(body);
    shadow->primary.latency_us = duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    shadow->primary.done = true;
    shadow_->primary_done(shadow);
  };

  std::optional<http::ResponseParser> parser;
  auto send = send_upstream(endpoints, start, head, req.body(), parser, upstream_);
  Upstream sent = co_await std::move(send);
  auto& conn = sent.conn;
  const std::string& last_error = sent.error;
  if (!conn) {
    metrics_.color(color).no_endpoint.fetch_add(1, std::memory_order_relaxed);
    metrics_.count(color, 503);
    record_primary(true, 0, "", "");
    auto res = json_error(req.version(), bhttp::status::service_unavailable, color, snap->version,
                                Error(ErrorCode::kUnavailable,
                                      "No gateway of the '" + color + "' environment (plan v" +
                                          std::to_string(snap->version) + ") could take the request: " +
                                          last_error + ". The switch does not move traffic to another "
                                          "color unless the plan says so.")
                                    .with_retry_after(std::chrono::seconds(1)),
                                request_id);
    co_await ex.send(std::move(res));
    co_return;
  }

  auto& res = parser->get();
  const int status = res.result_int();
  metrics_.count(color, status);
  const std::string version = std::to_string(snap->version);
  const bool streamed = res.chunked() || !res.has_content_length();
  const std::string content_type(res[bhttp::field::content_type]);
  if (!streamed) {
    auto ec = co_await conn->read_body(*parser, options_.response_timeout);
    if (ec) {
      conn->close();
      record_primary(true, 0, "", "");
      ex.abort();  // the head was not sent yet, but the gateway's answer is lost: say so
      co_return;
    }
    std::array<http::Header, 32> headers;
    std::size_t n = 0;
    for (const auto& f : res) {
      if (hop_by_hop(f.name_string()) || n + 2 >= headers.size()) continue;
      headers[n++] = {f.name_string(), f.value()};
    }
    if (res.find("x-cutover-color") == res.end()) headers[n++] = {"x-cutover-color", color};
    headers[n++] = {"x-cutover-plan-version", version};
    const bool keep = parser->keep_alive();
    co_await ex.send(static_cast<unsigned>(status), std::span<const http::Header>(headers.data(), n), res.body());
    record_primary(false, status, content_type, shadow ? std::move(res.body()) : std::string());
    if (keep) http::ConnectionPool::for_this_thread().release(std::move(conn));
    else conn->close();
    co_return;
  }
  // A stream: pass events through as they arrive; it ends where it started.
  http::ResponseHead out{res.result(), req.version()};
  for (const auto& f : res)
    if (!hop_by_hop(f.name_string())) out.set(f.name_string(), f.value());
  if (res.find("x-cutover-color") == res.end()) out.set("x-cutover-color", color);
  out.set("x-cutover-plan-version", version);
  std::string copy;  // for the shadow comparison
  if (!co_await ex.begin_stream(std::move(out))) {
    conn->close();
    record_primary(true, 0, "", "");
    co_return;
  }
  bool ok = true;
  while (!parser->is_done()) {
    auto ec = co_await conn->read_some(*parser, options_.stream_idle_timeout);
    auto& body = res.body();
    if (!body.empty()) {
      if (shadow && copy.size() < ShadowWriter::kMaxBodyBytes) copy += body;
      if (!co_await ex.write_chunk(body)) {
        ok = false;
        break;
      }
      body.clear();
    }
    if (ec) {
      ok = false;
      break;
    }
  }
  if (ok && parser->keep_alive()) http::ConnectionPool::for_this_thread().release(std::move(conn));
  else conn->close();
  if (ok) co_await ex.end_stream();
  else ex.abort();  // a cut stream must look cut to the client, never complete
  record_primary(!ok, status, content_type, std::move(copy));
}

}  // namespace cutover::switching
