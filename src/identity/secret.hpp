// A secret value (provider API key, signing key) that cannot be printed by accident.
//
// Streaming it, formatting it into JSON (boost::json::value_from) or printing it in a test
// failure shows "[redacted]"; the value is reachable only through reveal(), which is easy
// to find in review. The bytes are wiped (OPENSSL_cleanse) when the Secret dies or is
// moved from, so they do not linger in freed heap memory.
#pragma once

#include <boost/json/fwd.hpp>
#include <iosfwd>
#include <string>
#include <string_view>

namespace cutover::identity {

class Secret final {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) = default;
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  void wipe() noexcept;
  std::string value_;
};

inline constexpr std::string_view kRedacted = "[redacted]";

std::ostream& operator<<(std::ostream& out, const Secret& secret);
std::string to_string(const Secret& secret);  // "[redacted]"
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const Secret& secret);

}  // namespace cutover::identity
