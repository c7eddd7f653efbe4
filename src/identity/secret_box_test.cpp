#include "identity/secret_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/hash.hpp"
#include "identity/base64.hpp"
#include "identity/secret.hpp"

// gtest's own checks: the test binary does not link gmock.
#define EXPECT_HAS(text, part) \
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(part), std::string(text))
#define EXPECT_STARTS(text, prefix) \
  EXPECT_EQ(std::string(text).substr(0, std::string(prefix).size()), prefix)

namespace cutover::identity {
namespace {

const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string raw_key(char fill = 0) {
  std::string raw;
  for (int i = 0; i < 32; ++i) raw.push_back(static_cast<char>(fill ? fill : i));
  return raw;
}

SecretBox box(char fill = 0) {
  auto key = MasterKey::from_bytes(raw_key(fill));
  EXPECT_TRUE(key.ok());
  return SecretBox(std::move(*key));
}

std::string open_error(const SecretBox& b, std::string_view sealed,
                       std::string_view ad = "openai") {
  auto r = b.open(sealed, ad);
  if (r.ok()) {
    ADD_FAILURE() << "opened: " << sealed;
    return "";
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kInternal);
  return r.error().message();
}

TEST(SecretBox, RoundTripsAndUsesAFreshNonceEachTime) {
  SecretBox b = box();
  for (std::string plain : {std::string(), std::string("sk-live-123"), std::string(5000, '\0')}) {
    std::string sealed = b.seal(plain, "openai");
    EXPECT_STARTS(sealed, "v1:" + b.key_id() + ":");
    auto opened = b.open(sealed, "openai");
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    EXPECT_EQ(*opened, plain);
  }
  EXPECT_NE(b.seal("same", "n"), b.seal("same", "n"));
  EXPECT_THROW(b.seal(std::string(kMaxSecretBytes + 1, 'x'), "n"), std::length_error);
}

TEST(SecretBox, KeyIdIsAShortSha256OfTheKey) {
  auto digest = sha256(raw_key());
  EXPECT_EQ(box().key_id(), to_hex(digest.data(), 8));
  EXPECT_EQ(box().key_id().size(), 16u);
}

TEST(SecretBox, EveryTamperedByteIsDetected) {
  SecretBox b = box();
  const std::string sealed = b.seal("sk-live-123", "openai");
  const std::string prefix = sealed.substr(0, 20);  // "v1:" + 16 hex + ":"
  std::string raw;
  ASSERT_EQ(base64url_decode(sealed.substr(20), raw), Base64Problem::kNone);
  ASSERT_EQ(raw.size(), 12u + 11u + 16u);
  // Nonce, ciphertext and tag: flipping any bit of any byte must fail authentication.
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] ^= 0x04;
    EXPECT_HAS(open_error(b, prefix + base64url_encode(bad)),
               "sealed value for 'openai' failed authentication: it was modified")
        << "byte " << i;
  }
  EXPECT_HAS(open_error(b, prefix + base64url_encode(raw.substr(0, 27))),
             "sealed data is truncated: 27 bytes, at least 28 expected");
  EXPECT_HAS(open_error(b, prefix + base64url_encode(raw.substr(0, raw.size() - 1))),
             "failed authentication");
  EXPECT_HAS(open_error(b, sealed + "="), "sealed data contains '=' padding");
  EXPECT_HAS(open_error(b, sealed.substr(0, 25) + "*" + sealed.substr(26)),
             "sealed data contains '*'");
}

TEST(SecretBox, MalformedTextGetsItsOwnErrors) {
  SecretBox b = box();
  const std::string sealed = b.seal("k", "openai");
  EXPECT_STARTS(open_error(b, "sk-live-123"), "not a sealed value; sealed values look like");
  EXPECT_STARTS(open_error(b, ""), "not a sealed value");
  EXPECT_EQ(
      open_error(b, "v2" + sealed.substr(2)),
      "sealed value uses format 'v2', which this version of cutover cannot open (it reads v1)");
  EXPECT_HAS(open_error(b, "v1:xyz:abc"), "the key id is not 16 hex characters");
  EXPECT_HAS(open_error(b, sealed.substr(0, 19)), "the key id is not 16 hex characters");
}

TEST(SecretBox, WrongMasterKeyIsNamedNotMistakenForTampering) {
  const std::string sealed = box().seal("sk-live-123", "openai");
  SecretBox other = box('x');
  EXPECT_EQ(open_error(other, sealed),
            "sealed under master key '" + box().key_id() + "' but the loaded master key is '" +
                other.key_id() + "'; load the master key that sealed it, or seal the secret again");
  // Even a forged key id in front of the data does not let another key open it.
  std::string forged = "v1:" + other.key_id() + sealed.substr(19);
  EXPECT_HAS(open_error(other, forged), "failed authentication");
}

TEST(SecretBox, AssociatedDataBindsTheValueToItsName) {
  SecretBox b = box();
  const std::string sealed = b.seal("sk-live-123", "providers/openai/api_key");
  EXPECT_TRUE(b.open(sealed, "providers/openai/api_key").ok());
  EXPECT_HAS(open_error(b, sealed, "providers/anthropic/api_key"),
             "sealed value for 'providers/anthropic/api_key' failed authentication");
  EXPECT_HAS(open_error(b, sealed, "sealed for a different name"), "different name");
  EXPECT_HAS(open_error(b, sealed, ""), "failed authentication");
}

TEST(SecretMasterKey, LoadsFromTextInEveryAcceptedEncoding) {
  auto hex = MasterKey::from_text(kKeyHex);
  ASSERT_TRUE(hex.ok()) << hex.error().message();
  EXPECT_EQ(hex->bytes(), MasterKey::from_bytes(raw_key())->bytes());
  auto upper = MasterKey::from_text(
      " \n" + std::string("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F") +
      "\n");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->id(), hex->id());
  std::string b64url = base64url_encode(raw_key());
  for (std::string text :
       {b64url, b64url + "=", std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")}) {
    auto k = MasterKey::from_text(text);
    ASSERT_TRUE(k.ok()) << text << ": " << k.error().message();
    EXPECT_EQ(k->id(), hex->id());
  }
}

TEST(SecretMasterKey, BadTextSaysWhatIsExpected) {
  auto error = [](std::string_view text) {
    auto k = MasterKey::from_text(text, "environment variable K");
    EXPECT_FALSE(k.ok());
    return k.ok() ? "" : k.error().message();
  };
  EXPECT_STARTS(error("  \n"), "environment variable K is empty");
  EXPECT_STARTS(error(base64url_encode(std::string(16, 'a'))),
                "environment variable K decodes to 16 bytes; a master key is exactly 32 bytes");
  EXPECT_HAS(error(kKeyHex.substr(0, 62)), "has 62 hex characters; a master key in hex has 64");
  EXPECT_HAS(error("not a key!"), "is neither base64 nor 64 hex characters");
  EXPECT_HAS(error(std::string(64, '0')), "all 32 bytes are zero");
  EXPECT_HAS(error("x"), "openssl rand -base64 32");
}

TEST(SecretMasterKey, LoadsFromTheEnvironment) {
  ASSERT_EQ(::setenv("CUTOVER_TEST_MASTER_KEY", kKeyHex.c_str(), 1), 0);
  auto k = MasterKey::from_env("CUTOVER_TEST_MASTER_KEY");
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_EQ(k->id(), box().key_id());
  ASSERT_EQ(::setenv("CUTOVER_TEST_MASTER_KEY", "short", 1), 0);
  k = MasterKey::from_env("CUTOVER_TEST_MASTER_KEY");
  ASSERT_FALSE(k.ok());
  EXPECT_STARTS(k.error().message(), "environment variable CUTOVER_TEST_MASTER_KEY ");
  ::unsetenv("CUTOVER_TEST_MASTER_KEY");
  k = MasterKey::from_env("CUTOVER_TEST_MASTER_KEY");
  ASSERT_FALSE(k.ok());
  EXPECT_HAS(k.error().message(), "CUTOVER_TEST_MASTER_KEY is not set");
}

class SecretMasterKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cutover-secret-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SecretMasterKeyFile, AcceptsRawHexAndBase64Files) {
  for (const std::string& content :
       {raw_key(), kKeyHex + "\n", base64url_encode(raw_key()) + "\n"}) {
    auto k = MasterKey::from_file(write("key", content, 0600));
    ASSERT_TRUE(k.ok()) << k.error().message();
    EXPECT_EQ(k->id(), box().key_id());
  }
  EXPECT_TRUE(MasterKey::from_file(write("ro", kKeyHex, 0400)).ok());
}

TEST_F(SecretMasterKeyFile, RefusesFilesOthersCanRead) {
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    std::string path = write("key", kKeyHex, mode);
    auto k = MasterKey::from_file(path);
    ASSERT_FALSE(k.ok()) << std::oct << mode;
    EXPECT_HAS(k.error().message(), "is accessible by group or others");
    EXPECT_HAS(k.error().message(), "run chmod 600 " + path);
  }
}

TEST_F(SecretMasterKeyFile, ExplainsMissingOrWrongFiles) {
  auto missing = MasterKey::from_file((dir_ / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_HAS(missing.error().message(), "cannot be opened: No such file or directory");
  ::chmod(dir_.c_str(), 0700);
  auto dir = MasterKey::from_file(dir_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_HAS(dir.error().message(), "is not a regular file");
  auto wrong = MasterKey::from_file(write("k31", std::string(31, 'k'), 0600));
  ASSERT_FALSE(wrong.ok());
  EXPECT_HAS(wrong.error().message(), "decodes to 23 bytes; a master key is exactly 32 bytes");
}

TEST(SecretValue, NeverPrintsItsValue) {
  Secret s(std::string("sk-live-123"));
  std::ostringstream out;
  out << s;
  EXPECT_EQ(out.str(), "[redacted]");
  EXPECT_EQ(to_string(s), "[redacted]");
  EXPECT_EQ(boost::json::serialize(boost::json::value_from(s)), "\"[redacted]\"");
  EXPECT_EQ(::testing::PrintToString(s), "[redacted]");
  EXPECT_EQ(s.reveal(), "sk-live-123");
  Secret moved(std::move(s));
  EXPECT_EQ(moved.reveal(), "sk-live-123");
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped and empty
  Secret copy;
  copy = moved;
  EXPECT_EQ(copy.reveal(), "sk-live-123");
}

}  // namespace
}  // namespace cutover::identity
