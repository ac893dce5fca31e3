// The audit log: one row per tool call (who, which tool, a digest of the arguments, outcome,
// duration) in the store, each row's hash covering the previous row's, so that altering,
// inserting or deleting a row breaks the chain and `mcpp audit verify` finds where.
#pragma once

#include <cstdint>
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
// JSON with every object's members sorted by key (recursively), serialized without spaces:
// the same arguments give the same bytes whatever order the client sent them in.
std::string canonical_json(const json::value& value);

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

struct AuditVerification {
  bool intact = true;
  std::int64_t rows = 0;
  std::string first_at, last_at;
  std::string head;          // the last row's hash (all zeros when empty)
  std::int64_t bad_seq = 0;  // the first row that does not check out
  std::string problem;       // what is wrong with it
};

class AuditLog {
 public:
  // Uses (and creates, unless read-only) the audit table in the store's database.
  explicit AuditLog(std::shared_ptr<Database> db, bool read_only = false);

  // Appends a row chained to the last one (atomic across processes sharing the file).
  // Returns the stored entry (seq, at, hashes filled in).
  AuditEntry append(AuditEntry entry);
  // The last `limit` rows, oldest first.
  std::vector<AuditEntry> tail(std::size_t limit);
  // Walks the whole chain.
  AuditVerification verify();

  // The hash of a row: SHA-256 over its fields and the previous row's hash.
  static std::string row_hash(const AuditEntry& e);
  static const std::string& genesis();  // the prev_hash of the first row

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace mcpp::knowledge
