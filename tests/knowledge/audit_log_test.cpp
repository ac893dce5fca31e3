// The audit log: rows chained by hash; verification finds altered, deleted and inserted rows;
// arguments digested in canonical form.
#include "knowledge/audit_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>

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
    log_ = std::make_unique<kn::AuditLog>(db_);
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
  EXPECT_EQ(v.head, kn::AuditLog::genesis());
}

TEST_F(AuditLogTest, RowsChainAndVerify) {
  auto first = call("alice", "search");
  auto second = call("stdio", "add_document", "error");
  auto third = call("anonymous", "fetch");
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, kn::AuditLog::genesis());
  EXPECT_EQ(second.prev_hash, first.hash);
  EXPECT_EQ(third.prev_hash, second.hash);
  EXPECT_EQ(first.hash, kn::AuditLog::row_hash(first));
  EXPECT_EQ(first.at.size(), 24u);  // 2026-01-02T03:04:05.678Z

  auto v = log_->verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, 3);
  EXPECT_EQ(v.head, third.hash);
  EXPECT_EQ(v.first_at, first.at);

  auto tail = log_->tail(2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].tool, "add_document");
  EXPECT_EQ(tail[0].outcome, "error");
  EXPECT_EQ(tail[1].subject, "anonymous");

  // Another connection (another process) appends to the same chain.
  kn::AuditLog other(std::make_shared<kn::Database>(db_->path()));
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
  EXPECT_EQ(v.problem, "its hash does not match its contents (the row was altered)");
}

TEST_F(AuditLogTest, RehashedRowBreaksTheNextLink) {
  call("alice", "search");
  auto second = call("bob", "delete_document");
  call("carol", "fetch");
  // A forger who recomputes the altered row's own hash still breaks row 3's prev_hash.
  second.outcome = "ok";
  second.subject = "mallory";
  std::string forged = kn::AuditLog::row_hash(second);
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
  kn::AuditLog log(db, true);
  EXPECT_TRUE(log.verify().intact);
  EXPECT_EQ(log.verify().rows, 0);
  EXPECT_TRUE(log.tail(5).empty());
  fs::remove_all(dir);
}
