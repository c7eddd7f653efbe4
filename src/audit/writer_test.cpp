// The group-commit writer on a SQLite store: concurrent commits become few transactions
// and one valid chain; fail-closed refuses while the store cannot be written; fail-open
// spools and appends the spool in order once the store is back.
#include "audit/writer.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "audit/reader.hpp"
#include "store/store.hpp"

namespace cutover::audit {
namespace {
namespace net = http::net;

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cutover-writer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    EXPECT_TRUE(ring_.add(signer_->public_raw()));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string url_in(const std::string& sub) { return "sqlite://" + dir_ + sub + "/cutover.db"; }
  std::unique_ptr<store::Store> migrated(const std::string& url) {
    auto s = store::open_store(url);
    EXPECT_TRUE(s.ok()) << s.error().message();
    if (!s.ok()) return nullptr;
    EXPECT_TRUE(s.value()->migrate().ok());
    return std::move(s.value());
  }
  Writer::SignerSource key() {
    return [s = signer_] { return SignerRef{s, ""}; };
  }
  // Commits n entries from n coroutines at once; returns how many succeeded.
  int commit_all(Writer& w, int n, int first = 0) {
    net::io_context io;
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      Entry e;
      e.time_unix_ns = 1'800'000'000'000'000'000 + first + i;
      e.kind = "request";
      e.request_id = "r" + std::to_string(first + i);
      net::co_spawn(io, [&w, &ok, e = std::move(e)]() mutable -> net::awaitable<void> {
        auto op = w.commit(std::move(e));  // named: GCC 12 and temporaries in co_await
        Status st = co_await std::move(op);
        ok += st.ok();
      }, net::detached);
    }
    io.run();
    return ok;
  }
  VerifyReport verify(store::Store& s) {
    auto r = verify_store(s.audit(), ring_, 1, INT64_MAX, {});
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? r.value() : VerifyReport{};
  }

  std::string dir_;
  std::shared_ptr<const Signer> signer_ = std::make_shared<const Signer>(std::move(Signer::generate().value()));
  Keyring ring_;
};

TEST_F(WriterTest, ConcurrentCommitsAreGroupedIntoOneValidChain) {
  auto s = migrated(url_in(""));
  ASSERT_TRUE(s);
  WriterOptions o;
  o.store_url = url_in("");
  o.max_batch = 64;
  auto w = std::make_unique<Writer>(o, key());
  EXPECT_EQ(commit_all(*w, 500), 500);
  EXPECT_EQ(w->stats().appended.load(), 500u);
  EXPECT_LT(w->stats().batches.load(), 500u);  // grouped
  EXPECT_GE(w->stats().batches.load(), 500u / 64);
  w.reset();
  auto report = verify(*s);
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what;
  EXPECT_EQ(report.verdict.entries, 500);
}

TEST_F(WriterTest, WithoutASigningKeyCommitsFailWithTheReason) {
  ASSERT_TRUE(migrated(url_in("")));
  WriterOptions o;
  o.store_url = url_in("");
  Writer w(o, [] { return SignerRef{nullptr, "no audit signing key: run cutover audit keygen"}; });
  net::io_context io;
  Status got;
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    auto op = w.commit(Entry{});
    got = co_await std::move(op);
  }, net::detached);
  io.run();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message().find("keygen"), std::string::npos);
  EXPECT_FALSE(w.healthy());
}

TEST_F(WriterTest, FailClosedRefusesUntilTheStoreIsWritableAgain) {
  const std::string url = url_in("/later");  // its folder does not exist yet
  WriterOptions o;
  o.store_url = url;
  o.probe_interval = std::chrono::milliseconds(20);
  Writer w(o, key());
  EXPECT_EQ(commit_all(w, 3), 0);
  EXPECT_FALSE(w.healthy());
  EXPECT_GE(w.stats().failures.load(), 1u);
  std::filesystem::create_directories(dir_ + "/later");
  auto s = migrated(url);
  ASSERT_TRUE(s);
  for (int i = 0; i < 500 && !w.healthy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(w.healthy());  // the writer's probe found the store back
  EXPECT_EQ(commit_all(w, 3, 100), 3);
  EXPECT_EQ(verify(*s).verdict.entries, 3);  // the refused ones were never written
}

TEST_F(WriterTest, FailOpenSpoolsAndAppendsTheSpoolInOrderWhenTheStoreReturns) {
  const std::string url = url_in("/later");
  WriterOptions o;
  o.store_url = url;
  o.fail_open = true;
  o.spool_path = dir_ + "/audit.spool";
  o.probe_interval = std::chrono::milliseconds(20);
  auto w = std::make_unique<Writer>(o, key());
  EXPECT_EQ(commit_all(*w, 5), 5);  // spooled: the requests go on
  EXPECT_EQ(w->stats().spool_pending.load(), 5);
  EXPECT_EQ(commit_all(*w, 2, 5), 2);
  std::filesystem::create_directories(dir_ + "/later");
  auto s = migrated(url);
  ASSERT_TRUE(s);
  for (int i = 0; i < 500 && w->stats().spool_pending.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(w->stats().spool_pending.load(), 0);
  EXPECT_EQ(commit_all(*w, 1, 7), 1);
  w.reset();
  auto report = verify(*s);
  EXPECT_TRUE(report.verdict.ok) << report.verdict.what;
  ASSERT_EQ(report.verdict.entries, 8);
  // In arrival order: the spooled entries first, then the new one.
  auto rows = s->audit().entries({});
  ASSERT_TRUE(rows.ok());
  std::set<std::string> first_five;
  for (int i = 0; i < 5; ++i) first_five.insert((*rows)[i].request_id);
  EXPECT_EQ(first_five, (std::set<std::string>{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ((*rows)[7].request_id, "r7");
  EXPECT_EQ(std::filesystem::file_size(o.spool_path), 0u);
}

}  // namespace
}  // namespace cutover::audit
