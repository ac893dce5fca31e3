// The SQLite connection, statement and transaction wrappers shared by the embedded stores.
#include "sqlite/database.hpp"

#include <sqlite3.h>

namespace mcpp::sqlite {

Database::Database(const std::string& path, bool read_only) : path_(path) {
  int flags = SQLITE_OPEN_FULLMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open the store " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  try {
    if (!read_only) exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database::~Database() {
  cache_.clear();  // statements first
  sqlite3_close_v2(db_);
}

Statement& Database::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(sql, std::make_unique<Statement>(*this, sql, true)).first;
  } else {
    it->second->reset();
  }
  return *it->second;
}

CachedStatement::~CachedStatement() {
  s_.reset();
}

void Database::exec(const char* sql) {
  std::lock_guard lock(mutex_);
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw Error("store " + path_ + ": " + msg);
  }
}

int Database::changes() const {
  return sqlite3_changes(db_);
}

void Database::fail(std::string_view what) const {
  throw Error("store " + path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Statement::Statement(Database& db, const char* sql, bool persistent) : db_(db) {
  if (sqlite3_prepare_v3(db.handle(), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_,
                         nullptr) != SQLITE_OK) {
    db.fail("cannot prepare a statement");
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(std::string_view text) {
  if (sqlite3_bind_text(stmt_, ++next_, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("bind");
  }
  return *this;
}

Statement& Statement::bind(std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, ++next_, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(double value) {
  if (sqlite3_bind_double(stmt_, ++next_, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind_null() {
  if (sqlite3_bind_null(stmt_, ++next_) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("query failed");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  next_ = 0;
}

std::string Statement::text(int col) const {
  auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> Statement::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::int64_t Statement::integer(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Statement::real(int col) const {
  return sqlite3_column_double(stmt_, col);
}
bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Transaction::Transaction(Database& db) : db_(db), lock_(db.mutex()) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace mcpp::sqlite
