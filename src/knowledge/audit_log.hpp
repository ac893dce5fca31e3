// The audit log: one row per tool call (who, which tool, a digest of the arguments, outcome,
// duration) in the store. Each row carries an HMAC-SHA-256 over its fields and the previous
// row's MAC, keyed with a secret kept in a file apart from the database, so that altering,
// inserting or deleting a row breaks the chain and cannot be papered over by recomputing it
// without the key. `mcpp audit verify` finds where; checked against a head exported earlier
// (`mcpp audit head`) it also finds rows cut off the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/database.hpp"
#include "mcpp/json.hpp"

namespace mcpp::knowledge {

// Lowercase hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view data);
// Lowercase hex HMAC-SHA-256 (OpenSSL).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// JSON with every object's members sorted by key (recursively), serialized without spaces:
// the same arguments give the same bytes whatever order the client sent them in.
std::string canonical_json(const json::value& value);

// The audit key file of a store when none is named: "<store>.audit-key", next to it.
std::filesystem::path default_audit_key_path(const std::string& store_path);
// Reads the key in `path` (64 hex digits). When the file does not exist and `create`, makes a
// new random key there (mode 0600). Throws std::runtime_error with a message for the operator
// when it cannot, or when the file can be read or written by others than its owner.
std::string load_audit_key(const std::filesystem::path& path, bool create);

struct AuditEntry {
  std::int64_t seq = 0;
  std::string at;  // UTC, RFC 3339 with milliseconds
  std::string subject;
  std::string client_id;
  std::string tool;
  std::string arguments_sha256;
  std::string outcome;  // "ok", "error" (a tool error), "denied", "rate_limited", "failed"
  std::string detail;   // the error message, shortened
  std::int64_t duration_us = 0;
  std::string prev_hash;
  std::string hash;
};

// A point of the chain recorded outside the store: "SEQ:HASH".
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
  std::string text() const;
  // Parses "SEQ:HASH"; std::nullopt when it is not that.
  static std::optional<AuditHead> parse(std::string_view text);
};

struct AuditVerification {
  bool intact = true;
  std::int64_t rows = 0;
  std::int64_t unkeyed_rows = 0;  // rows from before the keyed chain (an upgraded store)
  std::string first_at, last_at;
  AuditHead head;            // the last row (seq 0 and all zeros when empty)
  std::int64_t bad_seq = 0;  // the first row that does not check out (0: the log as a whole)
  std::string problem;       // what is wrong
};

class AuditLog {
 public:
  // Uses (and creates, unless read-only) the audit tables in the store's database. `key` is the
  // chain's secret (load_audit_key); a read-only log may be opened without one to list rows.
  // Throws StoreError, and std::runtime_error when the log was written with another key.
  AuditLog(std::shared_ptr<Database> db, std::string key, bool read_only = false);

  // Appends a row chained to the last one, in a transaction of its own (atomic across
  // processes sharing the file). Returns the stored entry (seq, at, hashes filled in).
  AuditEntry append(AuditEntry entry);
  // The same inside the caller's transaction: the row commits or rolls back with the caller's
  // writes.
  AuditEntry append(AuditEntry entry, const Transaction& within);
  // The last `limit` rows, oldest first.
  std::vector<AuditEntry> tail(std::size_t limit);
  // Walks the whole chain; with `expected`, also checks that the chain reaches that head.
  AuditVerification verify(const std::optional<AuditHead>& expected = std::nullopt);

  // The MAC of a row: HMAC-SHA-256 with the key over its fields and the previous row's MAC.
  std::string row_hash(const AuditEntry& e) const;
  // The unkeyed SHA-256 of the same fields: the scheme of rows written before the key.
  static std::string unkeyed_row_hash(const AuditEntry& e);
  static const std::string& genesis();  // the prev_hash of the first row
  // Whether the audit log in `db` has been written with a key (so a missing key file is an
  // error, not a reason to make a new key).
  static bool written_with_a_key(Database& db);

 private:
  AuditEntry append_locked(AuditEntry e);
  std::shared_ptr<Database> db_;
  std::string key_;
};

}  // namespace mcpp::knowledge
