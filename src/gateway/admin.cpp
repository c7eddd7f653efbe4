#include "gateway/admin.hpp"

#include <boost/json/serialize.hpp>

namespace cutover::gateway {
namespace bhttp = http::bhttp;

AdminService::AdminService(std::string_view token, std::function<boost::json::object()> state)
    : token_digest_(sha256(token)), state_(std::move(state)) {}

http::net::awaitable<void> AdminService::handle(http::Request& req, http::Exchange& ex) {
  auto fail = [&](ErrorCode code, std::string msg) { return error_response(Error(code, std::move(msg)), req.version()); };
  auto auth = req[bhttp::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (!auth.starts_with(kBearer) || !constant_time_equal(sha256(auth.substr(kBearer.size())), token_digest_))
    co_return (void)co_await ex.send(fail(ErrorCode::kUnauthenticated,
                                          "The admin API needs 'Authorization: Bearer <admin token>'."));
  if (req.target() != "/admin/state")
    co_return (void)co_await ex.send(fail(ErrorCode::kNotFound, "Unknown admin path; try GET /admin/state."));
  if (req.method() != bhttp::verb::get)
    co_return (void)co_await ex.send(fail(ErrorCode::kMethodNotAllowed, "Use GET for /admin/state."));
  http::Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = boost::json::serialize(state_());
  co_await ex.send(std::move(res));
}

}  // namespace cutover::gateway
