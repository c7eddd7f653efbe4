#include "identity/secret_box.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "core/hash.hpp"
#include "identity/base64.hpp"

namespace cutover::identity {
namespace {

constexpr std::size_t kNonceBytes = 12, kTagBytes = 16, kKeyIdChars = 16;
constexpr std::string_view kVersion = "v1";
constexpr std::string_view kHowToMake = " (make one with: openssl rand -base64 32)";

Error internal(std::string message) { return Error(ErrorCode::kInternal, std::move(message)); }

// Wipes a buffer that held key or plaintext bytes when it goes out of scope.
struct Cleanse {
  std::string& s;
  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* aes_256_gcm() {
  // Fetched once: an implicit fetch on every call contends on a lock in OpenSSL 3.
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.empty() ? "" : s.data());
}

// GCM's associated data: the header ("v1:<key id>:"), then the caller's.
bool add_aad(EVP_CIPHER_CTX* ctx, std::string_view header, std::string_view ad) {
  int len = 0;
  return EVP_CipherUpdate(ctx, nullptr, &len, bytes_of(header), static_cast<int>(header.size())) ==
             1 &&
         EVP_CipherUpdate(ctx, nullptr, &len, bytes_of(ad), static_cast<int>(ad.size())) == 1;
}

bool all_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

}  // namespace

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<MasterKey> MasterKey::from_bytes(std::string_view raw, std::string_view source) {
  if (raw.size() != 32)
    return internal(std::string(source) + ": a master key is exactly 32 bytes, this one is " +
                    std::to_string(raw.size()) + std::string(kHowToMake));
  if (raw.find_first_not_of('\0') == std::string_view::npos)
    return internal(std::string(source) + ": all 32 bytes are zero, which is not a key" +
                    std::string(kHowToMake));
  MasterKey key;
  std::memcpy(key.bytes_.data(), raw.data(), 32);
  auto digest = sha256(raw);
  key.id_ = to_hex(digest.data(), kKeyIdChars / 2);
  return key;
}

Result<MasterKey> MasterKey::from_text(std::string_view text, std::string_view source) {
  constexpr std::string_view kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  text = first == std::string_view::npos ? std::string_view() : text.substr(first);
  text = text.substr(0, text.find_last_not_of(kSpace) + 1);
  const std::string where(source);
  if (text.empty())
    return internal(where + " is empty; expected 32 bytes as base64 or 64 hex characters" +
                    std::string(kHowToMake));
  std::string raw;
  Cleanse wipe{raw};
  if (text.size() == 64 && all_hex(text)) {
    for (std::size_t i = 0; i < 64; i += 2)
      raw.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  } else if (all_hex(text) && text.size() != 43 && text.size() != 44) {
    return internal(where + " has " + std::to_string(text.size()) +
                    " hex characters; a master key in hex has 64" + std::string(kHowToMake));
  } else if (!base64_decode_lenient(text, raw)) {
    return internal(where + " is neither base64 nor 64 hex characters (" +
                    std::to_string(text.size()) + " characters given)" + std::string(kHowToMake));
  } else if (raw.size() != 32) {
    return internal(where + " decodes to " + std::to_string(raw.size()) +
                    " bytes; a master key is exactly 32 bytes" + std::string(kHowToMake));
  }
  return from_bytes(raw, source);
}

Result<MasterKey> MasterKey::from_env(const char* variable) {
  const std::string where = std::string("environment variable ") + variable;
  const char* value = std::getenv(variable);
  if (!value)
    return internal(where + " is not set; it must hold the 32-byte master key as base64 or hex" +
                    std::string(kHowToMake));
  return from_text(value, where);
}

Result<MasterKey> MasterKey::from_file(const std::string& path) {
  const std::string where = "master key file '" + path + "'";
  // Follows symlinks on purpose (mounted secrets are symlinks); the checks below apply
  // to the file actually opened.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal(where + " cannot be opened: " + std::strerror(errno));
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0) return internal(where + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return internal(where + " is not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return internal(where + " is accessible by group or others (mode " + mode +
                    "); a master key must be private to its owner: run chmod 600 " + path);
  }
  if (st.st_size > 4096) return internal(where + " is too large to hold a master key");
  std::string content(static_cast<std::size_t>(st.st_size) + 1, '\0');
  Cleanse wipe{content};
  std::size_t got = 0;
  while (got < content.size()) {
    ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal(where + " cannot be read: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  std::string_view data(content.data(), got);
  // 32 bytes cannot be text: base64 of 32 bytes is 43 or 44 characters, hex is 64.
  if (data.size() == 32) return from_bytes(data, where);
  return from_text(data, where);
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated_data) const {
  if (plaintext.size() > kMaxSecretBytes)
    throw std::length_error("secret of " + std::to_string(plaintext.size()) +
                            " bytes is over the limit of " + std::to_string(kMaxSecretBytes));
  const std::string header = std::string(kVersion) + ":" + key_.id() + ":";
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  auto* out = nonce + kNonceBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  const bool ok =
      ctx && aes_256_gcm() && RAND_bytes(nonce, kNonceBytes) == 1 &&
      EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), key_.bytes().data(), nonce, nullptr) == 1 &&
      add_aad(ctx.get(), header, associated_data) &&
      EVP_EncryptUpdate(ctx.get(), out, &len, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + len, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plaintext.size()) == 1;
  if (!ok) {
    ERR_clear_error();
    throw std::runtime_error(
        "sealing a secret failed inside OpenSSL (random generator or AES-GCM)");
  }
  return header + base64url_encode(raw);
}

Result<std::string> SecretBox::open(std::string_view sealed,
                                    std::string_view associated_data) const {
  const std::string expected_form =
      "; sealed values look like 'v1:<16 hex key id>:<base64url data>'";
  const auto colon = sealed.find(':');
  if (colon == std::string_view::npos || colon < 2 || sealed[0] != 'v')
    return internal("not a sealed value" + expected_form);
  if (sealed.substr(0, colon) != kVersion)
    return internal("sealed value uses format '" +
                    std::string(sealed.substr(0, std::min<std::size_t>(colon, 8))) +
                    "', which this version of cutover cannot open (it reads v1)");
  const std::string_view key_id = sealed.substr(colon + 1, kKeyIdChars);
  if (key_id.size() != kKeyIdChars || !all_hex(key_id) ||
      sealed.size() <= colon + 1 + kKeyIdChars || sealed[colon + 1 + kKeyIdChars] != ':')
    return internal("not a sealed value: the key id is not 16 hex characters" + expected_form);
  if (key_id != key_.id())
    return internal("sealed under master key '" + std::string(key_id) +
                    "' but the loaded master key is '" + key_.id() +
                    "'; load the master key that sealed it, or seal the secret again");
  const std::string_view header = sealed.substr(0, colon + 2 + kKeyIdChars);
  std::string raw;
  char bad = 0;
  auto problem = base64url_decode(sealed.substr(header.size()), raw, &bad);
  if (problem != Base64Problem::kNone) return internal("sealed data " + describe(problem, bad));
  if (raw.size() < kNonceBytes + kTagBytes)
    return internal("sealed data is truncated: " + std::to_string(raw.size()) +
                    " bytes, at least " + std::to_string(kNonceBytes + kTagBytes) + " expected");
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t size = raw.size() - kNonceBytes - kTagBytes;
  unsigned char tag[kTagBytes];
  std::memcpy(tag, nonce + kNonceBytes + size, kTagBytes);
  std::string plain(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  const bool ok =
      ctx && aes_256_gcm() &&
      EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), key_.bytes().data(), nonce, nullptr) == 1 &&
      add_aad(ctx.get(), header, associated_data) &&
      EVP_DecryptUpdate(ctx.get(), out, &len, nonce + kNonceBytes, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &tail) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());  // unauthenticated bytes must not escape
    ERR_clear_error();
    std::string name;
    for (char c : associated_data.substr(0, 80)) name.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    return internal("sealed value for '" + name +
                    "' failed authentication: it was modified, or it was sealed for a different "
                    "name (associated data); seal the secret again under this name");
  }
  return plain;
}

}  // namespace cutover::identity
