// Aliases shared by the HTTP server and client, defined once (Beast's habit).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <string_view>

namespace cutover::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

// Errors come back as values inside coroutines: no exceptions on the data path.
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using ResponseHead = bhttp::response<bhttp::empty_body>;

// A header for the fast paths that write HTTP/1.1 by hand (no per-field allocation).
struct Header {
  std::string_view name;
  std::string_view value;
};

}  // namespace cutover::http
