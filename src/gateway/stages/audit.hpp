// Stage 0: the audit log. Every API request gets one signed, chained entry (allowed,
// denied, failed), durable BEFORE the response completes: the pipeline seals it right
// before sending a buffered response or an error, the upstream stage right before a
// stream's final `data: [DONE]`. A request whose client left is still written, unwaited.
//
// First in the pipeline because it decides whether the request may run at all: when the
// audit log cannot be written and audit.on_failure is closed, nothing is served (503,
// cutover_audit_unavailable_total) rather than served unrecorded.
#pragma once

#include <string>

#include "audit/writer.hpp"
#include "gateway/metrics.hpp"
#include "gateway/stage.hpp"

namespace cutover::gateway {

class AuditStage final : public Stage {
 public:
  // writer null: no audit log (no store, or audit.enabled false); the stage does nothing.
  AuditStage(audit::Writer* writer, Metrics& metrics);
  std::string_view name() const override { return "audit"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override;

  // Writes the request's entry and waits until it is durable. status and error describe
  // what the client gets; response_sha256 is the digest of the response body. Fails
  // (fail-closed) when the entry could not be written: the caller then sends a 503
  // instead of the response.
  http::net::awaitable<Status> seal(RequestContext& ctx, int status, const Error* error,
                                    const Sha256& response_sha256);
  // The same without waiting (the client is gone, or the response is already lost).
  void seal_detached(RequestContext& ctx, int status, const Error* error);

 private:
  audit::Entry entry_of(RequestContext& ctx, int status, const Error* error,
                        const Sha256* response_sha256) const;
  audit::Writer* writer_;
  Metrics& metrics_;
  std::string node_id_;
};

// The 503 a request gets when its entry could not be written.
Error audit_failed(const Error& cause);

}  // namespace cutover::gateway
