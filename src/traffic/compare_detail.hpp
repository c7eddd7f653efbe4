// Pieces of the shadow comparison (compare.cpp): reading a body and describing it. Not an API.
#pragma once

#include <boost/json/value.hpp>
#include <set>
#include <string>
#include <string_view>

#include "traffic/compare.hpp"

namespace cutover::traffic::detail {

struct Body {
  std::string_view bytes;
  bool json = false;         // value holds the body (a stream: its fold)
  boost::json::value value;  // null unless json
  bool stream = false;       // the content type said text/event-stream
  bool cut_short = false;    // a stream that never sent [DONE]
};

// A stream is folded (traffic/stream_fold.hpp); what does not fold or parse stays bytes.
Body read_body(const Observed& o);

// "path: type" of every member and item (items of an array share "path[]"), with the
// volatile top-level members left out and, under "choices[].message.content(json)", the
// structure of a message content that parses as JSON.
std::set<std::string> structure_of(const boost::json::value& v);

// Whether two texts are the same, the same but for whitespace and letter case, or neither.
enum class Likeness { kSame, kEquivalent, kDifferent };
Likeness compare_text(std::string_view a, std::string_view b);
// As compare_text, but texts that both parse as JSON compare as JSON values (equal or not).
Likeness compare_text_or_json(std::string_view a, std::string_view b);
// Arguments of tool calls: as JSON values when both parse, else as exact text.
bool same_arguments(std::string_view a, std::string_view b);

// Volatile top-level members: differ on every response, never compared.
bool is_volatile(std::string_view key);

// s cut to at most n bytes at a UTF-8 boundary, "…" appended when cut.
std::string clip(std::string_view s, std::size_t n);
// A value as compact JSON, clipped to n bytes; "(absent)" for null pointers.
std::string render(const boost::json::value* v, std::size_t n);

}  // namespace cutover::traffic::detail
