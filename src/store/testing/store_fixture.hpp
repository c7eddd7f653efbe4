// The fixture of the store conformance suite: every TEST_P(StoreConformance, ...) runs
// once per backend on a database of its own.
//   sqlite    a fresh file in a fresh temporary folder
//   postgres  a fresh schema (t_<random>) in the database of CUTOVER_TEST_POSTGRES_URL,
//             selected through the URL (options=-csearch_path=...), dropped afterwards.
//             Skipped, saying why, when the variable is unset; scripts/test.sh always
//             sets it (scripts/postgres-test-server.sh).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/random.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sql/sql_connection.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/store.hpp"

namespace cutover::store::testing {

inline std::string random_hex(int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += kHex[Random::thread_local_instance().next() % 16];
  return s;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgres"; }

  void SetUp() override {
    if (postgres()) {
      const char* base = std::getenv("CUTOVER_TEST_POSTGRES_URL");
      if (!base || !*base)
        GTEST_SKIP() << "CUTOVER_TEST_POSTGRES_URL is unset: start a server with "
                        "scripts/postgres-test-server.sh (scripts/test.sh does) to run the "
                        "postgres backend";
      base_url_ = base;
      schema_ = "t_" + random_hex(16);
      auto admin = postgres::open(base_url_, base_url_);
      ASSERT_TRUE(admin.ok()) << admin.error().message();
      // An identifier cannot be a bound parameter; this one is our own random hex.
      auto r = admin.value()->query("CREATE SCHEMA " + schema_);
      ASSERT_TRUE(r.ok()) << r.error().message();
      char sep = base_url_.find('?') == std::string::npos ? '?' : '&';
      url_ = base_url_ + sep + "options=-csearch_path%3D" + schema_ + "&application_name=cutover_" +
             schema_;
    } else {
      std::string tmpl = (std::filesystem::temp_directory_path() / "cutover-store-XXXXXX").string();
      ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
      dir_ = tmpl;
      url_ = "sqlite://" + dir_ + "/cutover.db";  // dir_ is absolute: sqlite:///tmp/...
    }
  }

  void TearDown() override {
    if (!schema_.empty()) {
      auto admin = postgres::open(base_url_, base_url_);
      if (admin.ok()) (void)admin.value()->query("DROP SCHEMA " + schema_ + " CASCADE");
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A new Store (its own connection) on this test's database.
  std::unique_ptr<Store> open() {
    auto s = open_store(url_);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  std::unique_ptr<Store> open_migrated() {
    auto s = open();
    if (!s) return nullptr;
    Status m = s->migrate();
    EXPECT_TRUE(m.ok()) << m.error().message();
    return m.ok() ? std::move(s) : nullptr;
  }

  // A bare connection for SQL the store does not run itself (golden old-release SQL,
  // simulating a newer release).
  std::unique_ptr<sql::Connection> raw() {
    auto c = postgres() ? postgres::open(url_, url_) : sqlite::open(dir_ + "/cutover.db", url_);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(c.value()) : nullptr;
  }

  const std::string& url() const { return url_; }
  const std::string& schema() const { return schema_; }

 private:
  std::string url_, base_url_, schema_, dir_;
};

}  // namespace cutover::store::testing
