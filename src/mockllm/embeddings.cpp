#include "mockllm/embeddings.hpp"

#include <bit>
#include <boost/json.hpp>
#include <cmath>
#include <cstring>

#include "core/hash.hpp"
#include "core/random.hpp"
#include "core/json_text.hpp"

namespace cutover::mockllm {
namespace json = boost::json;
namespace {

Error invalid(std::string message, std::string param) {
  return Error(ErrorCode::kInvalidRequest, std::move(message)).with_param(std::move(param));
}

bool token_array(const json::value& v) {
  if (!v.is_array() || v.get_array().empty()) return false;
  for (const auto& t : v.get_array())
    if (!t.is_int64() && !t.is_uint64()) return false;
  return true;
}

std::uint64_t prompt_tokens(const json::value& input) {
  if (input.is_string()) return (input.get_string().size() + 3) / 4;
  return input.get_array().size();
}

}  // namespace

Result<EmbeddingsInput> read_embeddings_request(const json::object& body) {
  EmbeddingsInput in;
  auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty())
    return invalid("'model' is required: an embedding model name such as \"mock-embed\"", "model");
  in.model = model->get_string();

  auto* input = body.if_contains("input");
  constexpr const char* kShape =
      "'input' must be a string, an array of strings, an array of token ids or "
      "an array of token id arrays";
  if (!input) return invalid(kShape, "input");
  if (input->is_string() || token_array(*input)) {
    in.inputs.push_back(input);
  } else if (input->is_array() && !input->get_array().empty()) {
    const auto& items = input->get_array();
    if (items.size() > kMaxEmbeddingInputs)
      return invalid("'input' has " + std::to_string(items.size()) + " items; at most " +
                         std::to_string(kMaxEmbeddingInputs) + " are allowed",
                     "input");
    in.inputs.reserve(items.size());
    for (const auto& item : items) {
      if (!item.is_string() && !token_array(item)) return invalid(kShape, "input");
      in.inputs.push_back(&item);
    }
  } else {
    return invalid(kShape, "input");
  }

  if (auto* d = body.if_contains("dimensions"); d && !d->is_null()) {
    if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > kMaxDimensions)
      return invalid("'dimensions' must be an integer from 1 to " + std::to_string(kMaxDimensions),
                     "dimensions");
    in.dimensions = static_cast<std::uint32_t>(d->get_int64());
  }
  if (auto* f = body.if_contains("encoding_format"); f && !f->is_null()) {
    if (f->is_string() && f->get_string() == "base64")
      in.base64 = true;
    else if (!f->is_string() || f->get_string() != "float")
      return invalid("'encoding_format' must be \"float\" or \"base64\"", "encoding_format");
  }
  return in;
}

void embed(const json::value& input, std::uint64_t salt, std::span<float> out) {
  std::uint64_t h = salt;
  if (input.is_string()) {
    h = hash64(input.get_string(), h);
  } else {
    for (const auto& t : input.get_array()) {
      std::uint64_t id = t.is_int64() ? static_cast<std::uint64_t>(t.get_int64()) : t.get_uint64();
      char bytes[8];
      std::memcpy(bytes, &id, sizeof bytes);
      h = hash64(std::string_view(bytes, sizeof bytes), h);
    }
  }
  Random rng(h);
  double sum = 0;
  for (float& x : out) {
    x = static_cast<float>(static_cast<double>(rng.next() >> 40) * 0x1.0p-23 - 1.0);  // [-1, 1)
    sum += static_cast<double>(x) * x;
  }
  if (sum == 0) {  // astronomically unlikely, but a unit vector is promised
    out[0] = 1;
    return;
  }
  auto scale = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : out) x *= scale;
}

void append_base64_floats(std::string& out, std::span<const float> values) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t n = values.size() * 4;
  std::vector<unsigned char> bytes(n);
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto bits = std::bit_cast<std::uint32_t>(values[i]);
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<unsigned char>(bits >> (8 * b));
  }
  out.reserve(out.size() + (n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < n) {
    std::uint32_t v = bytes[i] << 16 | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

std::string write_embeddings(const EmbeddingsInput& in) {
  std::uint64_t salt = hash64(base_model(in.model));
  if (in.drift.has(Behaviour::kDriftWords)) salt = hash64("drift-words", salt);
  std::vector<float> v(in.dimensions);
  std::string out;
  // A float takes at most ~15 characters; base64 takes 16/3 per float.
  out.reserve(128 + in.inputs.size() * (64 + in.dimensions * (in.base64 ? 6 : 15)));
  out += "{\"object\":\"list\",\"data\":[";
  std::uint64_t tokens = 0;
  for (std::size_t i = 0; i < in.inputs.size(); ++i) {
    embed(*in.inputs[i], salt, v);
    tokens += prompt_tokens(*in.inputs[i]);
    if (i) out += ',';
    out += "{\"object\":\"embedding\",\"index\":";
    append_uint(out, i);
    out += ",\"embedding\":";
    if (in.base64) {
      out += '"';
      append_base64_floats(out, v);
      out += '"';
    } else {
      out += '[';
      char buf[32];
      for (std::size_t d = 0; d < v.size(); ++d) {
        if (d) out += ',';
        auto r = std::to_chars(buf, buf + sizeof buf, v[d]);
        out.append(buf, r.ptr);
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"model\":";
  append_json_string(out, in.model);
  out += ",\"usage\":{\"prompt_tokens\":";
  append_uint(out, tokens);
  out += ",\"total_tokens\":";
  append_uint(out, tokens);
  out += "}}";
  return out;
}

}  // namespace cutover::mockllm
