// Canonical JSON: the one byte form of a state document, so that equal content has equal
// SHA-256 fingerprints on every host and a re-apply of the same file creates nothing
// (docs/STATE.md, "Canonical form").
//
//   - objects: keys sorted by their UTF-8 bytes, at every depth; no duplicate keys
//   - no whitespace outside strings
//   - numbers: an integral value is written as an integer (1.0 -> 1); other values in the
//     shortest form that reads back to the same double (0.5); integral values beyond 2^53
//     in exponent form (1e+300), so that they never read back as an integer literal
//   - strings: UTF-8 as is; only '"', '\\' and control characters are escaped
//
// From YAML, scalars are typed by how they are written, never by guessing past that:
//   - quoted or block scalars ('x', "x", |, >) and explicit !!str are strings
//   - plain true/True/TRUE/false/False/FALSE are booleans; null, ~ and empty are null
//   - a plain scalar in JSON number syntax is a number (-12, 3.5, 1e3), unless it is an
//     integer outside the 64-bit range; anything else is a string: 0123, +1, .5, 0x1f,
//     1_000, yes, on, gpt-4o, 3.5-turbo
//   - values under the keys of YamlTyping::string_keys (and the items of a list under
//     them) are strings whatever they look like: `model: 1.0` stays "1.0"
#pragma once

#include <yaml-cpp/yaml.h>

#include <boost/json/value.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::store {

struct YamlTyping {
  // Keys whose values are names, never numbers or booleans.
  std::function<bool(std::string_view key)> string_keys;
};

// Converts a YAML node to a JSON value by the rules above. Problems (duplicate keys,
// non-string keys, invalid UTF-8, unsupported tags, nesting deeper than 32) are appended
// to `problems` as "path: what"; `path` names the node ("providers[0]").
boost::json::value json_from_yaml(const YAML::Node& node, const std::string& path,
                                  const YamlTyping& typing, std::vector<std::string>& problems);

// Canonical text of a value (see above). Numbers are normalized on the way, so any value
// can be passed (for example one parsed from a stored document).
std::string canonical_json(const boost::json::value& value);

// The canonical form laid out for people: two-space indent, one member or item per line,
// keys sorted. What `state show` prints and `state diff` compares.
std::string pretty_json(const boost::json::value& value);

// Parses JSON text (a stored document). Throws std::invalid_argument with the reason.
boost::json::value parse_json(std::string_view text);

// True when `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace cutover::store
