// The keyed hash chain of tool calls (HMAC-SHA-256), its key file and its verification.
#include "knowledge/audit_log.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

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
CREATE TABLE IF NOT EXISTS audit_state(name TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// audit_state rows: a MAC that tells whether a key is the log's; the first row chained with the
// key (rows before it were written unkeyed, by an mcpp before the key); the last row appended
// (an empty or shortened log is noticed even when audit_log alone is emptied).
constexpr const char* kKeyCheck = "key_check";
constexpr const char* kKeyedFrom = "keyed_from";
constexpr const char* kHeadSeq = "head_seq";
constexpr std::string_view kKeyCheckMessage = "mcpp audit key check v1";

std::string hex_of(const unsigned char* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

bool table_exists(Database& db, const char* name) {
  Statement s(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
  s.bind(name);
  return s.step() && s.integer(0) > 0;
}

std::optional<std::string> state(Database& db, const char* name) {
  Statement s(db, "SELECT value FROM audit_state WHERE name = ?1");
  s.bind(name);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::int64_t state_number(Database& db, const char* name, std::int64_t fallback) {
  auto text = state(db, name);
  std::int64_t n = fallback;
  if (text) std::from_chars(text->data(), text->data() + text->size(), n);
  return n;
}

void set_state(Database& db, const char* name, const std::string& value) {
  Statement s(db, R"sql(
INSERT INTO audit_state(name, value) VALUES (?1, ?2)
ON CONFLICT(name) DO UPDATE SET value = excluded.value)sql");
  s.bind(name).bind(value).run();
}

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
  return hex_of(digest, len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len)) {
    throw std::runtime_error("HMAC-SHA-256 failed (OpenSSL)");
  }
  return hex_of(mac, len);
}

std::filesystem::path default_audit_key_path(const std::string& store_path) {
  return store_path + ".audit-key";
}

std::string load_audit_key(const std::filesystem::path& path, bool create) {
  const std::string name = path.string();
  int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && create) {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no random bytes (OpenSSL)");
    std::string key = hex_of(raw, sizeof raw);
    int out = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (out >= 0) {
      std::string line = key + "\n";
      bool ok = ::write(out, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                ::fsync(out) == 0;
      ::close(out);
      if (!ok) throw std::runtime_error("cannot write the audit key file " + name);
      return key;
    }
    if (errno != EEXIST) {
      throw std::runtime_error("cannot create the audit key file " + name + ": " +
                               std::strerror(errno));
    }
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);  // made meanwhile by another
  }
  if (fd < 0) {
    int error = errno;
    throw std::runtime_error(
        "cannot read the audit key file " + name + ": " + std::strerror(error) +
        (error == ENOENT ? " (mcpp serve makes it next to the store when it first starts; name "
                           "another with --audit-key-file)"
                         : ""));
  }
  struct stat st {};
  std::string text(200, '\0');
  ssize_t n = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) throw std::runtime_error("cannot read the audit key file " + name);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw std::runtime_error("the audit key file " + name +
                             " can be read or written by others (mode " + mode + "): chmod 600 " +
                             name);
  }
  text.resize(static_cast<std::size_t>(n));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) throw std::runtime_error(name + " is not an audit key (64 lowercase hex digits)");
  return text;
}

std::string AuditHead::text() const {
  return std::to_string(seq) + ":" + hash;
}

std::optional<AuditHead> AuditHead::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  AuditHead h;
  auto [end, ec] = std::from_chars(text.data(), text.data() + colon, h.seq);
  if (ec != std::errc() || end != text.data() + colon || h.seq < 1) return std::nullopt;
  h.hash = std::string(text.substr(colon + 1));
  bool hex = h.hash.size() == 64 && std::all_of(h.hash.begin(), h.hash.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) return std::nullopt;
  return h;
}

std::string canonical_json(const json::value& value) {
  return json::serialize(sorted(value));
}

const std::string& AuditLog::genesis() {
  static const std::string zeros(64, '0');
  return zeros;
}

namespace {
// Every field delimited (a JSON array), so no two different rows give the same bytes.
std::string row_bytes(const AuditEntry& e) {
  json::array fields{e.seq,     e.at,     e.subject,     e.client_id, e.tool, e.arguments_sha256,
                     e.outcome, e.detail, e.duration_us, e.prev_hash};
  return json::serialize(fields);
}
}  // namespace

std::string AuditLog::row_hash(const AuditEntry& e) const {
  return hmac_sha256_hex(key_, row_bytes(e));
}

std::string AuditLog::unkeyed_row_hash(const AuditEntry& e) {
  return sha256_hex(row_bytes(e));
}

bool AuditLog::written_with_a_key(Database& db) {
  std::lock_guard lock(db.mutex());
  return table_exists(db, "audit_state") && state(db, kKeyCheck).has_value();
}

AuditLog::AuditLog(std::shared_ptr<Database> db, std::string key, bool read_only)
    : db_(std::move(db)), key_(std::move(key)) {
  std::lock_guard lock(db_->mutex());
  const std::string check = hmac_sha256_hex(key_, kKeyCheckMessage);
  auto check_key = [&] {
    auto recorded = state(*db_, kKeyCheck);
    if (recorded && *recorded != check) {
      throw std::runtime_error(
          "the audit key does not match the key the audit log of " + db_->path() +
          " was written with (use that key file, named with --audit-key-file)");
    }
    return recorded.has_value();
  };
  if (read_only) {
    if (!key_.empty() && table_exists(*db_, "audit_state")) check_key();
    return;
  }
  db_->exec(kSchema);
  Transaction tx(*db_);
  if (!check_key()) {
    // A new log, or one written before the key: its rows stay verifiable with the unkeyed
    // scheme, and the keyed chain continues from its last row.
    Statement last(*db_, "SELECT coalesce(max(seq), 0) FROM audit_log");
    std::int64_t rows = last.step() ? last.integer(0) : 0;
    set_state(*db_, kKeyCheck, check);
    set_state(*db_, kKeyedFrom, std::to_string(rows + 1));
    set_state(*db_, kHeadSeq, std::to_string(rows));
  }
  tx.commit();
}

AuditEntry AuditLog::append(AuditEntry e) {
  Transaction tx(*db_);  // BEGIN IMMEDIATE: no other writer between reading the head and appending
  e = append_locked(std::move(e));
  tx.commit();
  return e;
}

AuditEntry AuditLog::append(AuditEntry e, const Transaction&) {
  return append_locked(std::move(e));
}

AuditEntry AuditLog::append_locked(AuditEntry e) {
  if (e.detail.size() > 300) {
    e.detail.resize(300);
    e.detail = valid_utf8(e.detail);
  }
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
  set_state(*db_, kHeadSeq, std::to_string(e.seq));
  return e;
}

std::vector<AuditEntry> AuditLog::tail(std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  if (!table_exists(*db_, "audit_log")) return {};  // nothing logged yet
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY seq DESC LIMIT ?1";
  Statement s(*db_, sql.c_str());
  s.bind(static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> out;
  while (s.step()) out.push_back(read_row(s));
  std::reverse(out.begin(), out.end());
  return out;
}

AuditVerification AuditLog::verify(const std::optional<AuditHead>& expected) {
  std::lock_guard lock(db_->mutex());
  AuditVerification v;
  v.head.hash = genesis();
  auto broken = [&](std::int64_t seq, std::string problem) {
    v.intact = false;
    v.bad_seq = seq;
    v.problem = std::move(problem);
    return v;
  };
  // Without audit_state the log was never opened by a keyed mcpp: all its rows are unkeyed.
  const bool has_state = table_exists(*db_, "audit_state");
  const std::int64_t keyed_from = has_state ? state_number(*db_, kKeyedFrom, 1) : INT64_MAX;
  const std::int64_t recorded_head = has_state ? state_number(*db_, kHeadSeq, 0) : -1;
  if (table_exists(*db_, "audit_log")) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY seq";
    Statement s(*db_, sql.c_str());
    std::int64_t expected_seq = 1;
    std::string expected_prev = genesis();
    while (s.step()) {
      AuditEntry e = read_row(s);
      if (e.seq != expected_seq) {
        return broken(e.seq, "row " + std::to_string(e.seq) + " follows row " +
                                 std::to_string(expected_seq - 1) + ": rows are missing");
      }
      if (e.prev_hash != expected_prev) {
        return broken(e.seq, "its prev_hash does not match the hash of row " +
                                 std::to_string(e.seq - 1) +
                                 " (a row was changed, removed or inserted)");
      }
      const bool keyed = e.seq >= keyed_from;
      if ((keyed ? row_hash(e) : unkeyed_row_hash(e)) != e.hash) {
        return broken(e.seq, keyed ? "its MAC does not match its contents (the row was altered, "
                                     "or rewritten without the key)"
                                   : "its hash does not match its contents (the row was altered)");
      }
      if (expected && e.seq == expected->seq && e.hash != expected->hash) {
        return broken(e.seq, "it is not the recorded head " + expected->text() +
                                 " (the log was rewritten after the head was recorded)");
      }
      if (v.rows == 0) v.first_at = e.at;
      v.last_at = e.at;
      ++v.rows;
      if (!keyed) ++v.unkeyed_rows;
      ++expected_seq;
      expected_prev = e.hash;
    }
    v.head = {expected_seq - 1, expected_prev};
  }
  if (recorded_head > v.head.seq) {
    return broken(v.head.seq + 1,
                  (v.rows == 0 ? std::string("the log is empty")
                               : "the log ends at row " + std::to_string(v.head.seq)) +
                      " but " + std::to_string(recorded_head) +
                      " rows were written: rows were removed from its end");
  }
  if (recorded_head >= 0 && recorded_head < v.head.seq) {
    return broken(recorded_head + 1, "rows after row " + std::to_string(recorded_head) +
                                         " were not appended by mcpp's audit log");
  }
  if (expected && expected->seq > v.head.seq) {
    return broken(v.head.seq + 1, "the log ends at row " + std::to_string(v.head.seq) +
                                      " before the recorded head " + expected->text() +
                                      ": rows were removed from its end");
  }
  return v;
}

}  // namespace mcpp::knowledge
