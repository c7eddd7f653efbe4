#include "switch/service.hpp"

#include <boost/json/serialize.hpp>

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "http/client.hpp"
#include "traffic/decide.hpp"

namespace cutover::switching {
namespace net = http::net;
namespace bhttp = http::bhttp;
namespace beast = http::beast;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;

namespace {

bool hop_by_hop(std::string_view name) {
  auto eq = [&](std::string_view h) { return beast::iequals(name, h); };
  return eq("connection") || eq("keep-alive") || eq("proxy-connection") || eq("te") || eq("trailer") ||
         eq("transfer-encoding") || eq("upgrade") || eq("host") || eq("content-length") ||
         eq("x-cutover-shadow");
}

// The upstream request head: the request line, Host, the client's end-to-end headers and
// the final empty line. Host stands right after the request line (RFC 9112 asks for it
// first), so that set_host() can point the head at another endpoint in place.
std::string request_head(const http::Request& req, std::string_view request_id,
                         std::string_view host) {
  std::string h;
  h.reserve(512);
  h += req.method_string();
  h += ' ';
  h += req.target();
  h += " HTTP/1.1\r\nHost: ";
  h += host;
  h += "\r\n";
  for (const auto& f : req) {
    if (hop_by_hop(f.name_string())) continue;
    h += f.name_string();
    h += ": ";
    h += f.value();
    h += "\r\n";
  }
  if (req.find("x-request-id") == req.end()) {
    h += "x-request-id: ";
    h += request_id;
    h += "\r\n";
  }
  if (!req.body().empty() || req.method() == bhttp::verb::post) {
    h += "Content-Length: ";
    h += std::to_string(req.body().size());
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

void set_host(std::string& head, std::string_view host) {
  const std::size_t at = head.find("\r\n") + 8;  // past the request line and "Host: "
  head.replace(at, head.find("\r\n", at) - at, host);
}

// What ShadowWriter::start takes: the head without its Host line (the copy adds its own
// endpoint's) and without the final empty line (it adds x-cutover-shadow first).
std::string shadow_head(std::string_view head) {
  const std::size_t host_at = head.find("\r\n") + 2;
  const std::size_t host_end = head.find("\r\n", host_at) + 2;
  std::string out;
  out.reserve(head.size());
  out += head.substr(0, host_at);
  out += head.substr(host_end, head.size() - 2 - host_end);
  return out;
}

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

void Service::eject(Endpoint& e, const std::string& why) {
  if (e.healthy.exchange(false))
    log::warn("endpoint ejected: a request could not use it",
              {{"color", e.color}, {"endpoint", e.url.origin}, {"error", why}});
}

Service::Service(ServiceOptions options, Endpoints& endpoints, Metrics& metrics, ShadowWriter* shadow)
    : options_(options), endpoints_(endpoints), metrics_(metrics), shadow_(shadow) {}

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
    co_await ex.send(json_error(req.version(), bhttp::status::service_unavailable, "", 0,
                                Error(ErrorCode::kUnavailable,
                                      "This switch has no traffic plan yet (set one with `cutover traffic "
                                      "set`); /readyz says when it has.")
                                    .with_retry_after(std::chrono::seconds(1))));
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
  std::string_view head_host;
  if (!endpoints.empty()) head_host = endpoints[start]->url.host_header;
  std::string head = request_head(req, request_id, head_host);

  std::shared_ptr<ShadowPair> shadow;
  if (d.mirror && shadow_) {
    // The executor first: no co_await in an expression with temporaries (GCC 12).
    auto executor = co_await net::this_coro::executor;
    shadow = shadow_->start(executor, shadow_head(head), req.body(), request_id, color,
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

  std::unique_ptr<http::Connection> conn;
  std::optional<http::ResponseParser> parser;
  std::string last_error = "no endpoints";
  bool lost = false;  // sent, then the connection died: not retried anywhere
  for (int pass = 0; pass < 2 && !parser && !lost; ++pass) {
    for (std::size_t i = 0; i < endpoints.size() && !parser && !lost; ++i) {
      const auto& e = endpoints[(start + i) % endpoints.size()];
      if (pass == 0 && !e->healthy.load(std::memory_order_relaxed)) continue;
      // A pooled connection the gateway closed while idle (or that died with it) fails
      // before any response byte: once more on a NEW connection, never another pooled one.
      for (int attempt = 0; attempt < 2; ++attempt) {
        // Named operations, not co_await inside a conditional expression: GCC 12 destroys
        // such temporaries twice (see gateway/counters.cpp).
        std::optional<Result<std::unique_ptr<http::Connection>>> opened;
        if (attempt == 0) {
          auto op = http::ConnectionPool::for_this_thread().acquire(e->url, e->tls.get(), options_.connect_timeout);
          opened.emplace(co_await std::move(op));
        } else {
          auto op = http::Connection::open(e->url, e->tls.get(), options_.connect_timeout);
          opened.emplace(co_await std::move(op));
        }
        auto& c = *opened;
        if (!c) {
          last_error = c.error().message();
          e->failures.fetch_add(1, std::memory_order_relaxed);
          eject(*e, last_error);
          break;  // not reachable: the next endpoint of this color
        }
        conn = std::move(c.value());
        if (e->url.host_header != head_host) {
          head_host = e->url.host_header;
          set_host(head, head_host);
        }
        auto ec = co_await conn->write(head, req.body(), options_.response_timeout);
        parser.emplace();
        parser->body_limit(options_.max_response_bytes);
        if (!ec) ec = co_await conn->read_header(*parser, options_.response_timeout);
        if (!ec) {
          e->requests.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        const bool stale = conn->reused() && attempt == 0;
        conn->close();
        conn.reset();
        parser.reset();
        last_error = ec.message();
        if (!stale) {
          e->failures.fetch_add(1, std::memory_order_relaxed);
          eject(*e, last_error);
          lost = true;  // sent on a new connection and lost: the gateway may have acted on it
          break;
        }
      }
    }
  }
  if (!parser) {
    metrics_.color(color).no_endpoint.fetch_add(1, std::memory_order_relaxed);
    metrics_.count(color, 503);
    record_primary(true, 0, "", "");
    co_await ex.send(json_error(req.version(), bhttp::status::service_unavailable, color, snap->version,
                                Error(ErrorCode::kUnavailable,
                                      "No gateway of the '" + color + "' environment (plan v" +
                                          std::to_string(snap->version) + ") could take the request: " +
                                          last_error + ". The switch does not move traffic to another "
                                          "color unless the plan says so.")
                                    .with_retry_after(std::chrono::seconds(1)),
                                request_id));
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
