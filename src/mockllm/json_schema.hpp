// Deterministic example values for a JSON schema: tool-call arguments and json_schema
// response formats. Covers what OpenAI function and structured-output schemas use: type
// (or a list of types), properties, required, items / prefixItems / minItems, enum, const,
// anyOf / oneOf / allOf (first branch), local $ref ("#/$defs/x"), string formats, numeric
// bounds and string lengths. Every listed property is emitted, so required ones always are.
#pragma once

#include <boost/json/value.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/random.hpp"

namespace cutover::mockllm {

struct ExampleSource {
  Random& rng;                              // the only source of variation
  std::span<const std::string_view> words;  // string values are made of these
  int string_words = 1;                     // words per string value (before minLength)
};

// Appends a JSON value valid against schema. A schema without type, properties or items
// yields a string; nesting deeper than 16 yields null.
void append_example(std::string& out, const boost::json::value& schema, ExampleSource src);

}  // namespace cutover::mockllm
