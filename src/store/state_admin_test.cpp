#include "store/state_admin.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/store.hpp"

namespace cutover::store {
namespace {

// A validator that refuses any document containing "bad", naming its domain.
std::vector<std::string> refuse_bad(const DomainDocuments& docs) {
  std::vector<std::string> p;
  for (const auto& [d, doc] : docs)
    if (doc.find("bad") != std::string::npos) p.push_back(d + ": bad");
  return p;
}

class StateAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cutover-admin-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = open_store("sqlite://" + dir_ + "/cutover.db");
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(s.value());
    ASSERT_TRUE(store_->migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::int64_t active_version(const std::string& domain) {
    auto a = store_->state().active();
    EXPECT_TRUE(a.ok());
    for (const auto& v : *a)
      if (v.domain == domain) return v.version;
    return 0;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StateAdminTest, AppliesOnlyWhatChanged) {
  StateAdmin admin(store_->state(), refuse_bad);
  auto r = admin.apply({{"routes", "{\"r\":1}"}, {"identity", "{\"i\":1}"}}, false, "me", "first");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->problems.empty());
  EXPECT_EQ(r->created.size(), 2u);

  r = admin.apply({{"routes", "{\"r\":1}"}, {"identity", "{\"i\":2}"}}, false, "me", "");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->changes.size(), 2u);
  EXPECT_EQ(r->changes[0].domain, "identity");
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kChanged);
  EXPECT_EQ(r->changes[0].active_version, 1);
  EXPECT_EQ(r->changes[1].kind, ChangeKind::kUnchanged);
  ASSERT_EQ(r->created.size(), 1u);
  EXPECT_EQ(r->created[0].domain, "identity");
  EXPECT_EQ(r->created[0].version, 2);

  r = admin.apply({{"routes", "{\"r\":1}"}}, false, "me", "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->any_change());
  EXPECT_TRUE(r->created.empty());
}

TEST_F(StateAdminTest, ValidatesTheWholeResultingStateAndWritesNothingWhenBad) {
  StateAdmin admin(store_->state(), refuse_bad);
  ASSERT_TRUE(admin.apply({{"routes", "{\"r\":\"bad\"}"}}, false, "me", "").ok());
  EXPECT_EQ(active_version("routes"), 0);

  ASSERT_TRUE(admin.apply({{"routes", "{\"r\":1}"}}, false, "me", "").ok());
  // A good identity on top of the stored routes passes; the stored state is part of the check.
  auto r =
      admin.apply({{"identity", "{\"i\":1}"}, {"access", "{\"rules\":[{\"effect\":\"maybe\"}]}"}},
                  false, "me", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->problems,
            std::vector<std::string>{"access.rules[0].effect: expected allow or deny"});
  EXPECT_EQ(active_version("identity"), 0);  // refused whole
  EXPECT_EQ(active_version("access"), 0);
}

TEST_F(StateAdminTest, DryRunWritesNothing) {
  StateAdmin admin(store_->state(), refuse_bad);
  auto r = admin.apply({{"routes", "{\"r\":1}"}}, true, "me", "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->any_change());
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kNew);
  EXPECT_EQ(active_version("routes"), 0);
}

TEST_F(StateAdminTest, RollbackIsValidatedFirst) {
  // v1 is stored while the validator did not mind it; today's validator refuses it.
  StateAdmin lenient(store_->state(), nullptr);
  ASSERT_TRUE(lenient.apply({{"routes", "{\"r\":\"bad\"}"}}, false, "me", "").ok());
  ASSERT_TRUE(lenient.apply({{"routes", "{\"r\":2}"}}, false, "me", "").ok());
  ASSERT_TRUE(lenient.apply({{"routes", "{\"r\":3}"}}, false, "me", "").ok());

  StateAdmin admin(store_->state(), refuse_bad);
  auto r = admin.rollback("routes", std::nullopt, "me");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->problems.empty());
  EXPECT_EQ(r->from_version, 3);
  EXPECT_EQ(r->active.version, 2);

  r = admin.rollback("routes", 1, "me");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->problems, std::vector<std::string>{"routes: bad"});
  EXPECT_EQ(active_version("routes"), 2);

  auto missing = admin.rollback("routes", 9, "me");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("no version 9"), std::string::npos);
  auto none = admin.rollback("nothing", std::nullopt, "me");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("no active version"), std::string::npos);
}

}  // namespace
}  // namespace cutover::store
