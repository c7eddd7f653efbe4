// Test-only: an Exchange that accepts everything and records nothing, for stages run
// outside a server.
#pragma once

#include "http/server.hpp"

namespace cutover::gateway::testing {

class NullExchange final : public http::Exchange {
  using Bool = http::net::awaitable<bool>;

 public:
  Bool send(http::Response) override { co_return true; }
  Bool send(unsigned, std::span<const http::Header>, std::string_view) override { co_return true; }
  Bool begin_stream(http::ResponseHead) override { co_return true; }
  Bool write_chunk(std::string_view) override { co_return true; }
  Bool end_stream() override { co_return true; }
  void abort() override {}
  bool responded() const override { return false; }
};

}  // namespace cutover::gateway::testing
