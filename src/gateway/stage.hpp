// One step of the request path. A stage either lets the request continue (ok Status)
// or stops it with a typed Error that the pipeline turns into an OpenAI-shaped response.
#pragma once

#include <string_view>

#include "core/error.hpp"
#include "gateway/request_context.hpp"
#include "http/types.hpp"

namespace cutover::gateway {

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual http::net::awaitable<Status> run(RequestContext& ctx) = 0;
  // After the response, for every stage whose run() was called, last stage first
  // (reconciling what run() reserved). Must not block.
  virtual void finish(RequestContext& ctx) {}
};

}  // namespace cutover::gateway
