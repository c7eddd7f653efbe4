#include "identity/secret.hpp"

#include <openssl/crypto.h>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <ostream>

namespace cutover::identity {

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  // A moved-from short string keeps its bytes in the inline buffer: wipe up to capacity.
  value_.resize(value_.capacity());
  OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

std::ostream& operator<<(std::ostream& out, const Secret&) { return out << kRedacted; }

std::string to_string(const Secret&) { return std::string(kRedacted); }

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const Secret&) {
  out = kRedacted;
}

}  // namespace cutover::identity
