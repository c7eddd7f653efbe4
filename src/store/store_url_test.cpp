// Store URLs: dispatch on the scheme, passwords hidden, errors that say how to fix them.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.hpp"

namespace cutover::store {
namespace {

TEST(StoreUrl, PasswordsAreHidden) {
  EXPECT_EQ(redact_url("postgres://app:s3cret@db.internal:5432/cutover"),
            "postgres://app:***@db.internal:5432/cutover");
  EXPECT_EQ(redact_url("postgresql://app:p@ss:w@rd@h/db"), "postgresql://app:***@h/db");
  EXPECT_EQ(redact_url("postgres://app@h/db?password=abc&sslmode=require"),
            "postgres://app@h/db?password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgres://h/db"), "postgres://h/db");
  EXPECT_EQ(redact_url("sqlite:///var/lib/cutover.db"), "sqlite:///var/lib/cutover.db");
}

TEST(StoreUrl, DefaultIsCutoverDbInTheWorkingDirectory) {
  EXPECT_EQ(default_store_url(), "sqlite://cutover.db");
}

TEST(StoreUrl, SqliteFormsOpenTheSameFile) {
  auto dir = std::filesystem::temp_directory_path() / ("cutover-url-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "a.db").string();
  for (const std::string& url : {"sqlite://" + path, path}) {
    auto s = open_store(url);
    ASSERT_TRUE(s.ok()) << url << ": " << s.error().message();
    EXPECT_EQ(s.value()->backend(), "sqlite");
    EXPECT_EQ(s.value()->display_url(), url);
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  // sqlite://relative/path is relative to the working directory.
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  auto rel = open_store("sqlite://rel.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_TRUE(std::filesystem::exists(dir / "rel.db"));
  std::filesystem::remove_all(dir);
}

TEST(StoreUrl, BadUrlsSayWhatWorks) {
  for (const char* url : {"mysql://root:pw@h/db", "sqlite://", "sqlite:///x.db?mode=ro"}) {
    auto s = open_store(url);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidRequest);
    EXPECT_NE(s.error().message().find("postgres://user:password@host"), std::string::npos)
        << s.error().message();
    EXPECT_EQ(s.error().message().find(":pw@"), std::string::npos) << s.error().message();
  }
  auto missing = open_store("sqlite:///nonexistent-folder-cutover/x.db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(missing.error().message().find("sqlite:///nonexistent-folder-cutover/x.db"),
            std::string::npos);
  EXPECT_NE(missing.error().message().find("folder exists"), std::string::npos)
      << missing.error().message();
}

TEST(StoreUrl, PostgresDownIsAClearErrorWithoutThePassword) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto s = open_store("postgres://app:s3cret@127.0.0.1:1/cutover");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable);
  const std::string& m = s.error().message();
  EXPECT_NE(m.find("cannot reach postgres at 127.0.0.1:1"), std::string::npos) << m;
  EXPECT_NE(m.find("postgres://app:***@127.0.0.1:1/cutover"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
}

}  // namespace
}  // namespace cutover::store
