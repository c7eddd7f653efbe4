// The store conformance suite, part 3: the expand/contract rule of docs/STORE.md, on both
// backends. An older release's SQL must keep working on a newer schema; a contracted
// schema must be refused by a release too old for it, with a clear error.
#include "core/hash.hpp"
#include "store/testing/store_fixture.hpp"

namespace cutover::store::testing {
namespace {

// The SQL of a release that knew schema version 1, frozen as it shipped: these strings
// stand for a binary that is already deployed. Never edit them; a change to the schema
// that breaks them breaks that binary during a release.
constexpr std::string_view kV1ReadActive =
    "SELECT v.domain, v.version, v.document, v.sha256, v.created_unix_ns, v.author, "
    "v.comment FROM state_active a JOIN state_versions v ON v.domain = a.domain AND "
    "v.version = a.version ORDER BY v.domain";
constexpr std::string_view kV1ReadHistory =
    "SELECT domain, version, document, sha256, created_unix_ns, author, comment FROM "
    "state_versions WHERE domain = $1 ORDER BY version";
constexpr std::string_view kV1InsertVersion =
    "INSERT INTO state_versions (domain, version, document, sha256, created_unix_ns, "
    "author, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kV1MovePointer =
    "INSERT INTO state_active (domain, version, updated_unix_ns, updated_by) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET version = excluded.version, "
    "updated_unix_ns = excluded.updated_unix_ns, updated_by = excluded.updated_by";
constexpr std::string_view kV1BumpCounter =
    "UPDATE state_changes SET counter = counter + 1 WHERE id = 1 RETURNING counter";
constexpr std::string_view kV1TryAdd =
    "INSERT INTO counters (key, window_id, used) VALUES ($1, $2, $3) "
    "ON CONFLICT (key, window_id) DO UPDATE SET used = counters.used + excluded.used "
    "WHERE counters.used + excluded.used <= $4 RETURNING used";

void v1_write(sql::Connection& c, std::string_view domain, std::int64_t version,
              std::string_view doc) {
  std::string sha = to_hex(sha256(doc));
  for (auto r :
       {c.query(kV1InsertVersion, {domain, version, doc, sha, std::int64_t{1}, "v1", ""}),
        c.query(kV1MovePointer, {domain, version, std::int64_t{1}, "v1"}), c.query(kV1BumpCounter)})
    ASSERT_TRUE(r.ok()) << r.error().message();
}

std::size_t select_star_columns(sql::Connection& c) {
  auto r = c.query("SELECT * FROM state_versions");
  EXPECT_TRUE(r.ok() && !r->empty());
  return r.ok() && !r->empty() ? r->columns() : 0;
}

TEST_P(StoreConformance, OldReleaseSqlWorksOnTheExpandedSchema) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->migrate_to(1).ok());
  ASSERT_EQ(s->schema_version().value(), 1);
  auto v1 = raw();
  ASSERT_TRUE(v1);
  v1_write(*v1, "access", 1, "old");
  const std::size_t columns_before = select_star_columns(*v1);

  // The new release migrates while the old one runs.
  ASSERT_TRUE(s->migrate().ok());
  ASSERT_EQ(s->schema_version().value(), Store::known_schema_version());
  // The expansion happened (SELECT * would now see another column), so what follows
  // really runs the old SQL on the new schema.
  EXPECT_EQ(select_star_columns(*v1), columns_before + 1);

  // The old release reads what it wrote and keeps writing.
  auto active = v1->query(kV1ReadActive);
  ASSERT_TRUE(active.ok()) << active.error().message();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->text(0, 2), "old");
  v1_write(*v1, "access", 2, "old-2");
  auto try_add = v1->query(kV1TryAdd, {"k", std::int64_t{1}, std::int64_t{2}, std::int64_t{3}});
  ASSERT_TRUE(try_add.ok()) << try_add.error().message();
  EXPECT_EQ(try_add->int64(0, 0), 2);

  // The new release reads the old one's writes (labels took their default) ...
  auto now = s->state().active();
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ(now->at(0).version, 2);
  EXPECT_EQ(now->at(0).document, "old-2");
  auto labels =
      v1->query("SELECT labels FROM state_versions WHERE domain = 'access' AND version = 2");
  ASSERT_TRUE(labels.ok()) << labels.error().message();
  EXPECT_EQ(labels->text(0, 0), "");
  EXPECT_EQ(s->counters().used("k", 1).value(), 2);

  // ... and the old release reads the new one's.
  ASSERT_TRUE(s->state().apply({{"access", "new"}, {"limits", "l"}}, "v2", "").ok());
  active = v1->query(kV1ReadActive);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ(active->text(0, 2), "new");
  EXPECT_EQ(active->int64(0, 1), 3);
  auto history = v1->query(kV1ReadHistory, {"access"});
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);
  EXPECT_EQ(s->state().change_counter().value(), 3);
}

TEST_P(StoreConformance, NewerExpandedSchemaIsAccepted) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  const int newer = Store::known_schema_version() + 1;
  // A newer release applied an expand-only step this binary does not know.
  auto r = raw()->query(
      "INSERT INTO schema_migrations (version, applied_at, description) VALUES ($1, $2, $3)",
      {std::int64_t{newer}, "2030-01-01T00:00:00Z", "a newer release: expand"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto again = open();
  Status m = again->migrate();
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(again->schema_version().value(), newer);
  EXPECT_TRUE(again->state().apply({{"access", "x"}}, "t", "").ok());
}

TEST_P(StoreConformance, ContractedSchemaIsRefusedWithAClearError) {
  auto s = open_migrated();
  ASSERT_TRUE(s);
  const int known = Store::known_schema_version();
  auto c = raw();
  ASSERT_TRUE(c->query("INSERT INTO schema_migrations (version, applied_at, description) "
                       "VALUES ($1, '2030-01-01T00:00:00Z', 'contract')",
                       {std::int64_t{known + 1}})
                  .ok());
  // Contracted down to our own version: still fine.
  ASSERT_TRUE(c->query("UPDATE schema_meta SET value = $1 WHERE name = 'min_reader_version'",
                       {std::int64_t{known}})
                  .ok());
  EXPECT_TRUE(open()->migrate().ok());
  // Contracted past us: refused, saying why and what to do.
  ASSERT_TRUE(c->query("UPDATE schema_meta SET value = $1 WHERE name = 'min_reader_version'",
                       {std::int64_t{known + 1}})
                  .ok());
  auto fresh = open();
  Status m = fresh->migrate();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kUnavailable);
  const std::string& msg = m.error().message();
  EXPECT_NE(msg.find("contracted"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fresh->display_url()), std::string::npos) << msg;
  EXPECT_NE(msg.find("up to " + std::to_string(known)), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least " + std::to_string(known + 1)), std::string::npos) << msg;
  EXPECT_EQ(fresh->min_reader_version().value(), known + 1);
}

}  // namespace
}  // namespace cutover::store::testing
