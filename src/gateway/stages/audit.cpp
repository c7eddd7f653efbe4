#include "core/clock.hpp"
#include "core/ids.hpp"
#include "gateway/stages/audit.hpp"

#include <chrono>

namespace cutover::gateway {
namespace {


// allow: answered; deny: a policy said no (identity, access, limits); reject: the request
// itself was wrong (bad body, unknown model, too large); fail: the gateway or a provider
// could not answer.
std::string_view decision_of(int status) {
  if (status < 400) return "allow";
  if (status == 401 || status == 403 || status == 429) return "deny";
  if (status < 500) return "reject";
  return "fail";
}

}  // namespace

AuditStage::AuditStage(audit::Writer* writer, Metrics& metrics)
    : writer_(writer), metrics_(metrics), node_id_(node_id()) {}

Error audit_failed(const Error& cause) {
  // The cause (store address, driver text) is in the gateway's log, not in the answer to
  // a client who may not even be authenticated.
  const bool key = cause.message().find("signing key") != std::string::npos;
  return Error(ErrorCode::kUnavailable,
               std::string("The request was not completed because its audit entry could not be written (") +
                   (key ? "this gateway has no usable audit signing key" : "the audit store is unavailable") +
                   "; details in the gateway's log). Retry shortly.")
      .with_retry_after(std::chrono::seconds(1));
}

http::net::awaitable<Status> AuditStage::run(RequestContext& ctx) {
  if (!writer_) co_return Status{};
  // Known beforehand: nothing is sent to a provider for a request that cannot be recorded.
  if (!ctx.config->audit_signer) {
    metrics_.audit_unavailable.fetch_add(1, std::memory_order_relaxed);
    co_return audit_failed(Error(ErrorCode::kUnavailable, ctx.config->audit_signer_problem + " (signing key)"));
  }
  if (!writer_->healthy() && !writer_->options().fail_open) {
    metrics_.audit_unavailable.fetch_add(1, std::memory_order_relaxed);
    co_return audit_failed(Error(ErrorCode::kUnavailable, writer_->last_error()));
  }
  ctx.audit = this;
  co_return Status{};
}

audit::Entry AuditStage::entry_of(RequestContext& ctx, int status, const Error* error,
                                  const Sha256* response_sha256) const {
  ctx.audit_sealed = true;
  audit::Entry e;
  e.time_unix_ns = unix_nanos();
  e.color = ctx.config->color;
  e.gateway_version = CUTOVER_VERSION;
  e.node_id = ctx.config->audit.node_id.empty() ? node_id_ : ctx.config->audit.node_id;
  e.kind = ctx.shadow ? "shadow" : "request";
  e.request_id = ctx.request_id;
  e.trace_id = ctx.trace_id;
  if (ctx.identity) {
    e.subject = ctx.identity->id;
    e.tenant = ctx.identity->tenant;
  }
  if (ctx.route) {
    e.route = ctx.route->alias;
    e.route_version = ctx.route->version;
  }
  e.policy_versions = ctx.config->state_versions;
  e.decision = decision_of(status);
  if (error) e.reason = error->message().substr(0, 512);
  e.requested_model = ctx.model;
  e.responding_model = ctx.upstream_model;
  e.provider = ctx.provider;
  e.http_status = status;
  e.tokens_in = ctx.tokens_in;
  e.tokens_out = ctx.tokens_out;
  e.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - ctx.start).count();
  e.retries = ctx.retries;
  e.fallback_reason = ctx.fallback_reason;
  e.shadow = ctx.shadow;
  e.request_sha256 = to_hex(sha256(ctx.request.body()));
  if (response_sha256) e.response_sha256 = to_hex(*response_sha256);
  return e;
}

http::net::awaitable<Status> AuditStage::seal(RequestContext& ctx, int status, const Error* error,
                                              const Sha256& response_sha256) {
  audit::Entry e = entry_of(ctx, status, error, &response_sha256);
  // Named, not a temporary inside the co_await expression: GCC 12 mishandles temporaries
  // with destructors there (see gateway/counters.cpp).
  auto op = writer_->commit(std::move(e));
  Status st = co_await std::move(op);
  if (!st) metrics_.audit_unavailable.fetch_add(1, std::memory_order_relaxed);
  co_return st;
}

void AuditStage::seal_detached(RequestContext& ctx, int status, const Error* error) {
  writer_->commit_detached(entry_of(ctx, status, error, nullptr));
}

}  // namespace cutover::gateway
