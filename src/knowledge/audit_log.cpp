// The hash-chained audit log of tool calls.
#include "knowledge/audit_log.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>

#include "knowledge/text_extract.hpp"
#include "protocol/timestamp.hpp"

namespace mcpp::knowledge {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log(
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  subject TEXT NOT NULL,
  client_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  arguments_sha256 TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  duration_us INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
)sql";

json::value sorted(const json::value& v) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    std::vector<std::string_view> keys;
    keys.reserve(o.size());
    for (const auto& kv : o) keys.push_back(kv.key());
    std::sort(keys.begin(), keys.end());
    json::object out;
    out.reserve(o.size());
    for (auto k : keys) out.emplace(k, sorted(o.at(k)));
    return out;
  }
  if (v.is_array()) {
    json::array out;
    out.reserve(v.get_array().size());
    for (const auto& e : v.get_array()) out.push_back(sorted(e));
    return out;
  }
  return v;
}

AuditEntry read_row(const Statement& s) {
  AuditEntry e;
  e.seq = s.integer(0);
  e.at = s.text(1);
  e.subject = s.text(2);
  e.client_id = s.text(3);
  e.tool = s.text(4);
  e.arguments_sha256 = s.text(5);
  e.outcome = s.text(6);
  e.detail = s.text(7);
  e.duration_us = s.integer(8);
  e.prev_hash = s.text(9);
  e.hash = s.text(10);
  return e;
}

constexpr const char* kColumns =
    "seq, at, subject, client_id, tool, arguments_sha256, outcome, detail, duration_us, "
    "prev_hash, hash";

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string canonical_json(const json::value& value) {
  return json::serialize(sorted(value));
}

const std::string& AuditLog::genesis() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string AuditLog::row_hash(const AuditEntry& e) {
  // A JSON array: every field delimited, so no two different rows hash the same bytes.
  json::array fields{e.seq,     e.at,     e.subject,     e.client_id, e.tool, e.arguments_sha256,
                     e.outcome, e.detail, e.duration_us, e.prev_hash};
  return sha256_hex(json::serialize(fields));
}

AuditLog::AuditLog(std::shared_ptr<Database> db, bool read_only) : db_(std::move(db)) {
  std::lock_guard lock(db_->mutex());
  if (!read_only) db_->exec(kSchema);
}

AuditEntry AuditLog::append(AuditEntry e) {
  if (e.detail.size() > 300) {
    e.detail.resize(300);
    e.detail = valid_utf8(e.detail);
  }
  Transaction tx(*db_);  // BEGIN IMMEDIATE: no other writer between reading the head and appending
  Statement last(*db_, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (last.step()) {
    e.seq = last.integer(0) + 1;
    e.prev_hash = last.text(1);
  } else {
    e.seq = 1;
    e.prev_hash = genesis();
  }
  e.at = protocol::rfc3339_utc(std::chrono::system_clock::now());
  e.hash = row_hash(e);
  Statement insert(*db_, R"sql(
INSERT INTO audit_log(seq, at, subject, client_id, tool, arguments_sha256, outcome, detail,
                      duration_us, prev_hash, hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql");
  insert.bind(e.seq)
      .bind(e.at)
      .bind(e.subject)
      .bind(e.client_id)
      .bind(e.tool)
      .bind(e.arguments_sha256)
      .bind(e.outcome)
      .bind(e.detail)
      .bind(e.duration_us)
      .bind(e.prev_hash)
      .bind(e.hash);
  insert.run();
  tx.commit();
  return e;
}

std::vector<AuditEntry> AuditLog::tail(std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  {
    Statement exists(*db_, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'");
    if (!exists.step() || exists.integer(0) == 0) return {};  // nothing logged yet
  }
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY seq DESC LIMIT ?1";
  Statement s(*db_, sql.c_str());
  s.bind(static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> out;
  while (s.step()) out.push_back(read_row(s));
  std::reverse(out.begin(), out.end());
  return out;
}

AuditVerification AuditLog::verify() {
  std::lock_guard lock(db_->mutex());
  AuditVerification v;
  v.head = genesis();
  {
    Statement exists(*db_, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'");
    if (!exists.step() || exists.integer(0) == 0) return v;  // nothing logged yet
  }
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY seq";
  Statement s(*db_, sql.c_str());
  std::int64_t expected_seq = 1;
  std::string expected_prev = genesis();
  while (s.step()) {
    AuditEntry e = read_row(s);
    auto bad = [&](std::string problem) {
      v.intact = false;
      v.bad_seq = e.seq;
      v.problem = std::move(problem);
      return v;
    };
    if (e.seq != expected_seq) {
      return bad("row " + std::to_string(e.seq) + " follows row " +
                 std::to_string(expected_seq - 1) + ": rows are missing");
    }
    if (e.prev_hash != expected_prev) {
      return bad("its prev_hash does not match the hash of row " + std::to_string(e.seq - 1) +
                 " (a row was changed, removed or inserted)");
    }
    if (row_hash(e) != e.hash) {
      return bad("its hash does not match its contents (the row was altered)");
    }
    if (v.rows == 0) v.first_at = e.at;
    v.last_at = e.at;
    ++v.rows;
    ++expected_seq;
    expected_prev = e.hash;
  }
  v.head = expected_prev;
  return v;
}

}  // namespace mcpp::knowledge
