// The audit log: rows chained by a keyed hash; verification finds altered, deleted, inserted and
// recomputed rows, an emptied log and a log cut below a recorded head; the key file; the upgrade
// of a log written before the key; arguments digested in canonical form.
#include "knowledge/audit_log.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "knowledge/database.hpp"

namespace kn = mcpp::knowledge;
namespace fs = std::filesystem;

namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mcpp-audit-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    db_ = std::make_shared<kn::Database>((dir_ / "a.sqlite").string());
    log_ = std::make_unique<kn::AuditLog>(db_, kKey);
  }
  void TearDown() override {
    log_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  kn::AuditEntry call(std::string subject, std::string tool, std::string outcome = "ok") {
    kn::AuditEntry e;
    e.subject = std::move(subject);
    e.client_id = "client-1";
    e.tool = std::move(tool);
    e.arguments_sha256 = kn::sha256_hex(kn::canonical_json(mcpp::json::object{{"q", "x"}}));
    e.outcome = std::move(outcome);
    e.duration_us = 1234;
    return log_->append(e);
  }

  // Rewrites the chain from row `from` on as a forger without the key would: each row's hash
  // recomputed (with `forger`'s scheme) and linked to the one before.
  void recompute_from(std::int64_t from,
                      const std::function<std::string(const kn::AuditEntry&)>& hash) {
    auto rows = log_->tail(1000);
    std::string prev = from == 1 ? kn::AuditLog::genesis() : rows[from - 2].hash;
    for (auto& e : rows) {
      if (e.seq < from) continue;
      e.prev_hash = prev;
      e.hash = hash(e);
      kn::Statement s(*db_, "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3");
      s.bind(e.prev_hash).bind(e.hash).bind(e.seq).run();
      prev = e.hash;
    }
  }

  static inline const std::string kKey = std::string(64, 'k');
  fs::path dir_;
  std::shared_ptr<kn::Database> db_;
  std::unique_ptr<kn::AuditLog> log_;
};

}  // namespace

TEST(Canonical, SortsKeysRecursivelyAndDigests) {
  auto a = mcpp::json::parse(R"({"b":1,"a":{"z":[{"y":2,"x":1}],"c":"s"}})");
  auto b = mcpp::json::parse(R"({"a":{"c":"s","z":[{"x":1,"y":2}]},"b":1})");
  EXPECT_EQ(kn::canonical_json(a), R"({"a":{"c":"s","z":[{"x":1,"y":2}]},"b":1})");
  EXPECT_EQ(kn::canonical_json(a), kn::canonical_json(b));
  EXPECT_EQ(kn::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(kn::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(AuditLogTest, EmptyLogIsIntact) {
  auto v = log_->verify();
  EXPECT_TRUE(v.intact);
  EXPECT_EQ(v.rows, 0);
  EXPECT_EQ(v.head.hash, kn::AuditLog::genesis());
  EXPECT_EQ(v.head.seq, 0);
}

TEST_F(AuditLogTest, RowsChainAndVerify) {
  auto first = call("alice", "search");
  auto second = call("stdio", "add_document", "error");
  auto third = call("anonymous", "fetch");
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, kn::AuditLog::genesis());
  EXPECT_EQ(second.prev_hash, first.hash);
  EXPECT_EQ(third.prev_hash, second.hash);
  EXPECT_EQ(first.hash, log_->row_hash(first));
  EXPECT_EQ(first.hash,
            kn::hmac_sha256_hex(kKey, R"([1,")" + first.at + R"(","alice","client-1","search",")" +
                                          first.arguments_sha256 + R"(","ok","",1234,")" +
                                          kn::AuditLog::genesis() + R"("])"));
  EXPECT_EQ(first.at.size(), 24u);  // 2026-01-02T03:04:05.678Z

  auto v = log_->verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, 3);
  EXPECT_EQ(v.head.hash, third.hash);
  EXPECT_EQ(v.head.seq, 3);
  EXPECT_EQ(v.first_at, first.at);

  auto tail = log_->tail(2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].tool, "add_document");
  EXPECT_EQ(tail[0].outcome, "error");
  EXPECT_EQ(tail[1].subject, "anonymous");

  // Another connection (another process) appends to the same chain.
  kn::AuditLog other(std::make_shared<kn::Database>(db_->path()), kKey);
  kn::AuditEntry e;
  e.tool = "search";
  auto fourth = other.append(e);
  EXPECT_EQ(fourth.seq, 4);
  EXPECT_EQ(fourth.prev_hash, third.hash);
  EXPECT_TRUE(log_->verify().intact);
}

TEST_F(AuditLogTest, AlteredRowIsFound) {
  call("alice", "search");
  call("bob", "delete_document");
  call("carol", "fetch");
  db_->exec("UPDATE audit_log SET subject = 'mallory' WHERE seq = 2");
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 2);
  EXPECT_EQ(v.rows, 1);
  EXPECT_NE(v.problem.find("the row was altered"), std::string::npos) << v.problem;
}

TEST_F(AuditLogTest, RehashedRowBreaksTheNextLink) {
  call("alice", "search");
  auto second = call("bob", "delete_document");
  call("carol", "fetch");
  // A forger who recomputes the altered row's own hash still breaks row 3's prev_hash.
  second.outcome = "ok";
  second.subject = "mallory";
  std::string forged = log_->row_hash(second);
  kn::Statement s(*db_, "UPDATE audit_log SET subject = 'mallory', hash = ?1 WHERE seq = 2");
  s.bind(forged).run();
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 3);
  EXPECT_NE(v.problem.find("prev_hash"), std::string::npos);
}

TEST_F(AuditLogTest, DeletedRowIsFound) {
  call("alice", "search");
  call("bob", "search");
  call("carol", "search");
  db_->exec("DELETE FROM audit_log WHERE seq = 2");
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 3);
  EXPECT_NE(v.problem.find("rows are missing"), std::string::npos);
}

TEST_F(AuditLogTest, LongDetailsAreShortenedToValidUtf8) {
  kn::AuditEntry e;
  e.tool = "search";
  e.outcome = "error";
  e.detail = std::string(299, 'x') + "\xC3\xA9\xC3\xA9";  // cut inside a character
  auto stored = log_->append(e);
  EXPECT_LE(stored.detail.size(), 302u);
  EXPECT_TRUE(log_->verify().intact);
}

TEST(AuditLogReadOnly, MissingTableIsAnEmptyLog) {
  std::string tmpl = (fs::temp_directory_path() / "mcpp-audit-XXXXXX").string();
  fs::path dir = ::mkdtemp(tmpl.data());
  {
    kn::Database create((dir / "x.sqlite").string());
    create.exec("CREATE TABLE t(x)");
  }
  auto db = std::make_shared<kn::Database>((dir / "x.sqlite").string(), true);
  kn::AuditLog log(db, std::string(64, 'k'), true);
  EXPECT_TRUE(log.verify().intact);
  EXPECT_EQ(log.verify().rows, 0);
  EXPECT_TRUE(log.tail(5).empty());
  fs::remove_all(dir);
}

TEST_F(AuditLogTest, AnEditedAndRecomputedChainIsFoundWithoutTheKey) {
  call("alice", "search");
  call("bob", "delete_document");
  call("carol", "fetch");
  db_->exec("UPDATE audit_log SET subject = 'mallory' WHERE seq = 2");
  // Recomputed with plain SHA-256 (what the old chain was), or with a key of the forger's own.
  recompute_from(2, [](const kn::AuditEntry& e) { return kn::AuditLog::unkeyed_row_hash(e); });
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 2);
  EXPECT_NE(v.problem.find("without the key"), std::string::npos) << v.problem;
  recompute_from(2, [](const kn::AuditEntry& e) {
    return kn::hmac_sha256_hex(std::string(64, 'f'), kn::canonical_json(mcpp::json::array{e.seq}));
  });
  EXPECT_FALSE(log_->verify().intact);
}

TEST_F(AuditLogTest, AnEmptiedLogIsFound) {
  call("alice", "search");
  call("bob", "add_document");
  db_->exec("DELETE FROM audit_log");
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_NE(v.problem.find("the log is empty but 2 rows were written"), std::string::npos)
      << v.problem;
  db_->exec("DROP TABLE audit_log");
  EXPECT_FALSE(log_->verify().intact);
}

TEST_F(AuditLogTest, RowsCutOffTheEndAreFound) {
  for (int i = 0; i < 5; ++i) call("alice", "search");
  db_->exec("DELETE FROM audit_log WHERE seq > 3");
  auto v = log_->verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 4);
  EXPECT_NE(v.problem.find("the log ends at row 3 but 5 rows were written"), std::string::npos)
      << v.problem;
}

TEST_F(AuditLogTest, TheRecordedHeadCatchesWhatTheStoreAloneCannot) {
  for (int i = 0; i < 3; ++i) call("alice", "search");
  kn::AuditHead recorded = log_->verify().head;
  EXPECT_EQ(recorded.seq, 3);
  for (int i = 0; i < 2; ++i) call("bob", "fetch");
  EXPECT_TRUE(log_->verify(recorded).intact) << log_->verify(recorded).problem;
  // A forger who can write the store cuts the log below the recorded head and fixes the
  // marker: the store alone cannot tell, the recorded head can.
  db_->exec("DELETE FROM audit_log WHERE seq > 2");
  db_->exec("UPDATE audit_state SET value = '2' WHERE name = 'head_seq'");
  EXPECT_TRUE(log_->verify().intact);
  auto v = log_->verify(recorded);
  EXPECT_FALSE(v.intact);
  EXPECT_NE(v.problem.find("before the recorded head"), std::string::npos) << v.problem;
  // A head that is not the log's row at that place (the log was rewritten since).
  kn::AuditHead other{2, std::string(64, 'e')};
  v = log_->verify(other);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, 2);
}

TEST_F(AuditLogTest, AnotherKeyIsRefused) {
  call("alice", "search");
  try {
    kn::AuditLog wrong(db_, std::string(64, 'x'));
    FAIL() << "opened with another key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
  EXPECT_THROW(static_cast<void>(kn::AuditLog(db_, std::string(64, 'x'), true)),
               std::runtime_error);
  kn::AuditLog listing(db_, std::string(), true);  // listing needs no key
  EXPECT_EQ(listing.tail(5).size(), 1u);
}

TEST(AuditLogUpgrade, RowsFromBeforeTheKeyStayVerifiableAndAreCounted) {
  std::string tmpl = (fs::temp_directory_path() / "mcpp-audit-XXXXXX").string();
  fs::path dir = ::mkdtemp(tmpl.data());
  auto db = std::make_shared<kn::Database>((dir / "old.sqlite").string());
  // A log as an mcpp before the key wrote it: plain SHA-256 chain, no audit_state.
  db->exec(
      "CREATE TABLE audit_log(seq INTEGER PRIMARY KEY, at TEXT NOT NULL, subject TEXT NOT NULL, "
      "client_id TEXT NOT NULL, tool TEXT NOT NULL, arguments_sha256 TEXT NOT NULL, outcome TEXT "
      "NOT NULL, detail TEXT NOT NULL, duration_us INTEGER NOT NULL, prev_hash TEXT NOT NULL, "
      "hash TEXT NOT NULL)");
  std::string prev = kn::AuditLog::genesis();
  for (std::int64_t seq = 1; seq <= 2; ++seq) {
    kn::AuditEntry e;
    e.seq = seq;
    e.at = "2026-11-0" + std::to_string(seq) + "T00:00:00.000Z";
    e.subject = "old";
    e.tool = "search";
    e.outcome = "ok";
    e.prev_hash = prev;
    e.hash = kn::AuditLog::unkeyed_row_hash(e);
    kn::Statement s(*db,
                    "INSERT INTO audit_log VALUES (?1, ?2, ?3, '', ?4, '', ?5, '', 0, ?6, ?7)");
    s.bind(e.seq)
        .bind(e.at)
        .bind(e.subject)
        .bind(e.tool)
        .bind(e.outcome)
        .bind(e.prev_hash)
        .bind(e.hash);
    s.run();
    prev = e.hash;
  }
  {
    // Verified read-only before any keyed mcpp opened it: all unkeyed.
    kn::AuditLog before(std::make_shared<kn::Database>(db->path(), true), std::string(64, 'k'),
                        true);
    auto v = before.verify();
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.unkeyed_rows, 2);
  }
  kn::AuditLog log(db, std::string(64, 'k'));
  kn::AuditEntry e;
  e.tool = "fetch";
  auto third = log.append(e);
  EXPECT_EQ(third.seq, 3);
  EXPECT_EQ(third.prev_hash, prev);
  EXPECT_EQ(third.hash, log.row_hash(third));
  auto v = log.verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, 3);
  EXPECT_EQ(v.unkeyed_rows, 2);
  db->exec("UPDATE audit_log SET subject = 'mallory' WHERE seq = 1");
  EXPECT_FALSE(log.verify().intact);
  fs::remove_all(dir);
}

TEST(AuditKeyFile, MadeOnceWithMode0600ThenRead) {
  std::string tmpl = (fs::temp_directory_path() / "mcpp-audit-key-XXXXXX").string();
  fs::path dir = ::mkdtemp(tmpl.data());
  fs::path path = kn::default_audit_key_path((dir / "s.sqlite").string());
  EXPECT_EQ(path, dir / "s.sqlite.audit-key");
  try {
    kn::load_audit_key(path, false);
    ADD_FAILURE() << "a missing key was not an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--audit-key-file"), std::string::npos) << e.what();
  }
  std::string key = kn::load_audit_key(path, true);
  EXPECT_EQ(key.size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(kn::load_audit_key(path, true), key);
  EXPECT_EQ(kn::load_audit_key(path, false), key);
  EXPECT_NE(kn::load_audit_key(dir / "other.audit-key", true), key);

  ::chmod(path.c_str(), 0644);
  try {
    kn::load_audit_key(path, false);
    ADD_FAILURE() << "a key others can read was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  ::chmod(path.c_str(), 0600);
  std::ofstream(path, std::ios::trunc) << "not a key\n";
  EXPECT_THROW(kn::load_audit_key(path, false), std::runtime_error);
  fs::remove_all(dir);
}

TEST(AuditHeadText, ParsesWhatItPrints) {
  kn::AuditHead h{42, std::string(64, 'a')};
  auto parsed = kn::AuditHead::parse(h.text());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->seq, 42);
  EXPECT_EQ(parsed->hash, h.hash);
  for (std::string bad :
       std::vector<std::string>{"", "42", ":abc", "0:" + std::string(64, 'a'), "x:" + h.hash,
                                "42:" + std::string(63, 'a'), "42:" + std::string(64, 'A')}) {
    EXPECT_FALSE(kn::AuditHead::parse(bad)) << bad;
  }
}
