// Server-sent events (text/event-stream) framing, incrementally: bytes arrive in any
// split, events come out whole. Only the "data" field matters to OpenAI streams;
// multiple data lines of one event are joined with '\n' as the spec says.
#pragma once

#include <string>
#include <string_view>

namespace cutover::http {

class SseParser final {
 public:
  // Feeds bytes; calls on_data(std::string_view data) for each complete event that has
  // data. Returns false (and stops) if the buffered partial event would exceed max_event.
  template <class F>
  bool feed(std::string_view bytes, F&& on_data);

  // Bytes held for an event not yet complete.
  std::size_t pending() const { return line_.size() + data_.size(); }

  static constexpr std::size_t kMaxEvent = 1u << 20;

 private:
  // Handles one complete line (without its terminator); true when it ended an event.
  bool line(std::string_view l);

  std::string line_;  // partial line
  std::string data_;  // data of the event being built
  bool has_data_ = false;
  bool skip_lf_ = false;  // last byte was '\r'; a following '\n' belongs to it
};

// "data: <payload>\n\n"
std::string sse_event(std::string_view data);

template <class F>
bool SseParser::feed(std::string_view bytes, F&& on_data) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes[i] == '\n') { ++i; continue; }
    }
    auto end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(i));
      return pending() <= kMaxEvent;
    }
    bool ended;
    if (line_.empty()) {
      ended = line(bytes.substr(i, end - i));
    } else {
      line_.append(bytes.substr(i, end - i));
      ended = line(line_);
      line_.clear();
    }
    if (bytes[end] == '\r') skip_lf_ = true;
    i = end + 1;
    if (ended && has_data_) {
      on_data(std::string_view(data_));
      data_.clear();
      has_data_ = false;
    }
    if (pending() > kMaxEvent) return false;
  }
  return true;
}

}  // namespace cutover::http
