// /v1/embeddings: deterministic unit-length vectors, as floats or as base64 of little-endian
// float32 (what the official openai node SDK asks for by default).
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mockllm/behaviour.hpp"

namespace cutover::mockllm {

// A validated embeddings request, pointing into the parsed body.
struct EmbeddingsInput {
  std::string_view model;
  // Each input: a string or an array of token ids.
  std::vector<const boost::json::value*> inputs;
  std::uint32_t dimensions = 1536;
  bool base64 = false;
  BehaviourSet drift;  // set by the caller; drift-words changes the vectors
};

inline constexpr std::size_t kMaxEmbeddingInputs = 2048;
inline constexpr std::uint32_t kMaxDimensions = 8192;

// input: string | [string] | [int] | [[int]]; dimensions 1..8192; encoding_format
// "float" (default) | "base64". Errors are 400s naming the parameter.
Result<EmbeddingsInput> read_embeddings_request(const boost::json::object& body);

// Fills out with a unit-length vector determined by (input, salt).
void embed(const boost::json::value& input, std::uint64_t salt, std::span<float> out);

// Appends standard base64 (with padding) of the float32 values in little-endian order.
void append_base64_floats(std::string& out, std::span<const float> values);

// The whole response body.
std::string write_embeddings(const EmbeddingsInput& in);

}  // namespace cutover::mockllm
