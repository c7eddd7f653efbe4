// Signed notes against the Go note package's own test vectors (golang.org/x/mod/sumdb/note,
// note_test.go: the PeterNeumann and EnochRoot keys), so that our notes interoperate
// byte for byte with Go tooling, witnesses and monitors.
#include "audit/note.hpp"

#include <gtest/gtest.h>

#include "audit/strict_text.hpp"

namespace cutover::audit {
namespace {

constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
// The Go signer key PRIVATE+KEY+PeterNeumann+c74f20a3+<this>: 0x01 || Ed25519 seed.
constexpr std::string_view kPeterSkey = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

Signer peter_signer() {
  std::string skey;
  EXPECT_TRUE(base64_std_decode(kPeterSkey, skey));
  auto s = Signer::from_private(std::string_view(skey).substr(1));
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

NoteVerifier verifier(std::string_view vk) {
  auto v = parse_vkey(vk);
  EXPECT_TRUE(v.ok()) << v.error().message();
  return v.ok() ? *v : NoteVerifier{};
}

TEST(SignedNote, SignsExactlyLikeTheGoNotePackage) {
  const Signer signer = peter_signer();
  EXPECT_EQ(vkey("PeterNeumann", signer.public_raw()), kPeterVkey);
  EXPECT_EQ(note_key_id("PeterNeumann", signer.public_raw()), 0xc74f20a3u);
  auto note = sign_note(kText, "PeterNeumann", signer);
  ASSERT_TRUE(note.ok()) << note.error().message();
  EXPECT_EQ(*note, std::string(kText) + "\n" + std::string(kPeterSig));
}

TEST(SignedNote, OpensGoNotes) {
  const std::vector<NoteVerifier> peter{verifier(kPeterVkey)};
  const std::vector<NoteVerifier> both{verifier(kPeterVkey), verifier(kEnochVkey)};
  const std::string note =
      std::string(kText) + "\n" + std::string(kPeterSig) + std::string(kEnochSig);

  auto one = open_note(note, peter);  // Enoch's signature is from an unknown key: ignored
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ(one->text, kText);
  EXPECT_EQ(one->signed_by, std::vector<std::string>{"PeterNeumann"});

  auto two = open_note(note, both);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->signed_by, (std::vector<std::string>{"PeterNeumann", "EnochRoot"}));

  auto none = open_note(note, {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(none.error().message().find("PeterNeumann+c74f20a3"), std::string::npos);
}

TEST(SignedNote, RefusesWhatTheGoPackageRefuses) {
  const std::vector<NoteVerifier> peter{verifier(kPeterVkey)};
  const std::string text(kText);
  const std::string peter_sig(kPeterSig);
  std::string many;
  for (int i = 0; i < 101; ++i) many += peter_sig;
  const std::vector<std::string> malformed = {
      text,
      text + "\n",
      text + "\n" + peter_sig.substr(0, peter_sig.size() - 1),
      "\x01" + text + "\n" + peter_sig,
      "\xff" + text + "\n" + peter_sig,
      text + "\n" +
          "\xE2\x80\x94 Bad Name "
          "x08go/ZJkuBS9UG/"
          "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      text + "\n" + peter_sig + "Unexpected line.\n",
      text + "\n" + many,
      text + "\n\xE2\x80\x94 PeterNeumann\n",
      text + "\n\xE2\x80\x94 PeterNeumann x08g\n",             // 3 bytes: no signature
      text + "\n\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG\n",  // not padded
      text + "\n- PeterNeumann x08go/ZJ\n",                    // not an em dash
      text + "\n" + peter_sig + "\n",                          // blank line at the end
  };
  for (const auto& note : malformed) {
    auto r = open_note(note, peter);
    ASSERT_FALSE(r.ok()) << note;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest) << note;
  }
  // A damaged signature by a known key rejects the whole note.
  auto damaged =
      open_note(text + "\n" + peter_sig.substr(0, 60) + "ABCD" + peter_sig.substr(60), peter);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code(), ErrorCode::kUnauthenticated);
  // Same for an altered text.
  std::string altered = text + "\n" + peter_sig;
  altered[0] = 'i';
  EXPECT_FALSE(open_note(altered, peter).ok());
  // A signature truncated to 5 bytes still names the key, and fails to verify.
  std::string blob;
  const auto b64_at = peter_sig.rfind(' ') + 1;
  ASSERT_TRUE(base64_std_decode(peter_sig.substr(b64_at, peter_sig.size() - b64_at - 1), blob));
  const std::string cut =
      text + "\n\xE2\x80\x94 PeterNeumann " + base64_std_encode(blob.substr(0, 5)) + "\n";
  auto truncated = open_note(cut, peter);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code(), ErrorCode::kUnauthenticated);
}

TEST(SignedNote, VerifierKeysAreStrict) {
  auto v = parse_vkey(std::string(kPeterVkey) + "\n");  // as read from a file
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->name, "PeterNeumann");
  EXPECT_EQ(vkey(v->name, v->public_raw32), kPeterVkey);
  // Every proper substring and every single-byte change is refused (as in Go's tests).
  const std::string k(kPeterVkey);
  for (std::size_t i = 0; i <= k.size(); ++i) {
    for (std::size_t j = i + 1; j <= k.size(); ++j) {
      if (i == 0 && j == k.size()) continue;
      const std::string_view sub = std::string_view(k).substr(i, j - i);
      EXPECT_FALSE(parse_vkey(sub).ok()) << sub;
    }
  }
  for (std::size_t i = 0; i < k.size(); ++i) {
    std::string bad = k;
    ++bad[i];
    EXPECT_FALSE(parse_vkey(bad).ok()) << bad;
  }
  EXPECT_FALSE(
      parse_vkey("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(
      parse_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
          .ok());
  EXPECT_FALSE(
      parse_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
}

TEST(SignedNote, KeyNamesAndTextsAreChecked) {
  const Signer signer = peter_signer();
  for (std::string_view name : {"", "a b", "a+b", "a\tb",
                                "a\xC2\xA0"
                                "b",
                                "a\xE3\x80\x80"
                                "b",
                                "\xff"}) {
    EXPECT_FALSE(valid_key_name(name)) << name;
    EXPECT_FALSE(sign_note("x\n", name, signer).ok());
  }
  EXPECT_TRUE(valid_key_name("cutover.example/audit"));
  EXPECT_TRUE(valid_key_name("\xC3\xA9t\xC3\xA9"));
  EXPECT_FALSE(sign_note("no newline", "n", signer).ok());
  EXPECT_FALSE(sign_note("", "n", signer).ok());
  EXPECT_FALSE(sign_note("tab\there\n", "n", signer).ok());
  // Text with blank lines inside is fine: the last blank line separates the signatures.
  auto note = sign_note("a\n\nb\n", "n", signer);
  ASSERT_TRUE(note.ok());
  const std::vector<NoteVerifier> known{{"n", signer.public_raw()}};
  auto opened = open_note(*note, known);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ(opened->text, "a\n\nb\n");
  // A known verifier with a broken key is a configuration error, not a silent skip.
  const std::vector<NoteVerifier> broken{{"n", "short"}};
  EXPECT_FALSE(open_note(*note, broken).ok());
}

}  // namespace
}  // namespace cutover::audit
