// The admin listener of a gateway (loopback by default, admin token required):
//   GET /admin/state  per-domain versions and SHA-256 fingerprints of the snapshot in use,
//                     so two gateways on one store can be shown to serve the same state.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "core/hash.hpp"
#include "http/server.hpp"

namespace cutover::gateway {

class AdminService final : public http::Handler {
 public:
  // token: the admin token (compared by SHA-256 in constant time); state: what to report.
  AdminService(std::string_view token, std::function<boost::json::object()> state);
  http::net::awaitable<void> handle(http::Request& req, http::Exchange& ex) override;

 private:
  Sha256 token_digest_;
  std::function<boost::json::object()> state_;
};

}  // namespace cutover::gateway
