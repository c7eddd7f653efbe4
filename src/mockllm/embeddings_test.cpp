#include "mockllm/embeddings.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <boost/json.hpp>
#include <cmath>

namespace cutover::mockllm {
namespace {
namespace json = boost::json;

std::vector<unsigned char> base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<unsigned char> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    int v = value(c);
    EXPECT_GE(v, 0) << "bad base64 character " << c;
    acc = acc << 6 | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>(acc >> bits));
    }
  }
  return out;
}

std::vector<float> floats_of(const std::vector<unsigned char>& bytes) {
  std::vector<float> out(bytes.size() / 4);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= std::uint32_t{bytes[4 * i + b]} << (8 * b);
    out[i] = std::bit_cast<float>(bits);
  }
  return out;
}

double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

json::object respond(std::string_view request) {
  auto body = json::parse(request);
  auto in = read_embeddings_request(body.as_object());
  EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.error().message());
  return json::parse(write_embeddings(*in)).as_object();
}

TEST(MockEmbeddings, FloatVectorsAreUnitLengthAndDeterministic) {
  auto a = respond(R"({"model":"mock-embed","input":"hello"})");
  auto b = respond(R"({"model":"mock-embed","input":"hello"})");
  EXPECT_EQ(a, b);
  auto& data = a.at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  auto& vec = data[0].as_object().at("embedding").as_array();
  ASSERT_EQ(vec.size(), 1536u);
  std::vector<float> v;
  for (auto& x : vec) v.push_back(static_cast<float>(x.to_number<double>()));
  EXPECT_NEAR(norm(v), 1.0, 1e-4);
  EXPECT_EQ(a.at("object"), "list");
  EXPECT_EQ(a.at("model"), "mock-embed");
  EXPECT_EQ(a.at("usage").as_object().at("prompt_tokens"), 2);  // ceil(5 / 4)
}

TEST(MockEmbeddings, Base64RoundTripsToTheSameFloats) {
  auto f = respond(R"({"model":"mock-embed","input":["a","b"],"dimensions":64})");
  auto b = respond(R"({"model":"mock-embed","input":["a","b"],"dimensions":64,)"
                   R"("encoding_format":"base64"})");
  for (std::size_t i = 0; i < 2; ++i) {
    auto& fv = f.at("data").as_array()[i].as_object().at("embedding").as_array();
    auto decoded = floats_of(
        base64_decode(b.at("data").as_array()[i].as_object().at("embedding").as_string()));
    ASSERT_EQ(decoded.size(), 64u);
    ASSERT_EQ(fv.size(), 64u);
    for (std::size_t d = 0; d < 64; ++d)
      EXPECT_EQ(decoded[d], static_cast<float>(fv[d].to_number<double>())) << d;
    EXPECT_NEAR(norm(decoded), 1.0, 1e-5);
  }
}

TEST(MockEmbeddings, Base64PaddingForEveryRemainder) {
  for (std::size_t n : {1u, 2u, 3u, 4u}) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = 0.25f * static_cast<float>(i + 1);
    std::string s;
    append_base64_floats(s, v);
    EXPECT_EQ(s.size() % 4, 0u);
    EXPECT_EQ(floats_of(base64_decode(s)), v) << n;
  }
}

TEST(MockEmbeddings, DifferentInputsDifferentVectors) {
  auto r = respond(R"({"model":"mock-embed","input":["a","b",[1,2,3]],"dimensions":8})");
  auto& data = r.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_NE(data[0].as_object().at("embedding"), data[1].as_object().at("embedding"));
  EXPECT_EQ(data[2].as_object().at("index"), 2);
  EXPECT_EQ(r.at("usage").as_object().at("prompt_tokens"), 1 + 1 + 3);
}

TEST(MockEmbeddings, TokenArrayIsOneInput) {
  auto r = respond(R"({"model":"mock-embed","input":[5,6,7],"dimensions":4})");
  EXPECT_EQ(r.at("data").as_array().size(), 1u);
}

TEST(MockEmbeddings, DriftWordsChangesVectors) {
  auto body = json::parse(R"({"model":"mock-embed","input":"x","dimensions":8})");
  auto in = read_embeddings_request(body.as_object());
  ASSERT_TRUE(in.ok());
  std::string plain = write_embeddings(*in);
  in->drift.add(Behaviour::kDriftWords);
  EXPECT_NE(write_embeddings(*in), plain);
}

TEST(MockEmbeddings, ValidationNamesTheParameter) {
  auto param_of = [](std::string_view text) {
    auto v = json::parse(text);
    auto r = read_embeddings_request(v.as_object());
    return r.ok() ? std::string("<ok>") : r.error().param();
  };
  EXPECT_EQ(param_of(R"({"input":"x"})"), "model");
  EXPECT_EQ(param_of(R"({"model":"e"})"), "input");
  EXPECT_EQ(param_of(R"({"model":"e","input":[]})"), "input");
  EXPECT_EQ(param_of(R"({"model":"e","input":[1,"x"]})"), "input");
  EXPECT_EQ(param_of(R"({"model":"e","input":"x","dimensions":0})"), "dimensions");
  EXPECT_EQ(param_of(R"({"model":"e","input":"x","encoding_format":"hex"})"), "encoding_format");
  EXPECT_EQ(param_of(R"({"model":"e","input":[[1],[2]]})"), "<ok>");
}

}  // namespace
}  // namespace cutover::mockllm
