// A thin RAII layer over the SQLite C API, shared by every embedded store (knowledge, audit log,
// authorization server, host): one connection guarded by a mutex, prepared statements,
// transactions. Errors throw sqlite::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace mcpp::sqlite {

class Statement;

// A database failure (cannot open, corrupt file, disk full...), with SQLite's message.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Database {
 public:
  // Opens (and creates, unless read_only) the file; WAL mode, a 5 s busy timeout.
  explicit Database(const std::string& path, bool read_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // Held by every operation of the store and the audit log: one statement at a time.
  std::recursive_mutex& mutex() { return mutex_; }
  [[noreturn]] void fail(std::string_view what) const;

  // A statement prepared once per connection and kept (preparing one whose triggers write an
  // FTS5 table costs more than running it). `sql` must be a string literal: its address is the
  // key. Use through CachedStatement, which resets it after use. Caller holds mutex().
  Statement& cached(const char* sql);

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::recursive_mutex mutex_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

class Statement {
 public:
  Statement(Database& db, const char* sql, bool persistent = false);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(std::string_view text);
  Statement& bind(const std::string& text) { return bind(std::string_view(text)); }
  Statement& bind(const char* text) { return bind(std::string_view(text)); }
  Statement& bind(std::int64_t value);
  Statement& bind(double value);
  Statement& bind_null();
  Statement& bind(const std::optional<std::string>& text) {
    return text ? bind(std::string_view(*text)) : bind_null();
  }
  // True while there is a row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run() { step(); }
  void reset();

  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const;
  std::int64_t integer(int col) const;
  double real(int col) const;
  bool is_null(int col) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 0;
};

// A cached statement for one use: reset (locks released, bindings cleared) when it goes.
class CachedStatement {
 public:
  CachedStatement(Database& db, const char* sql) : s_(db.cached(sql)) {}
  ~CachedStatement();
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed without commit(); holds the
// database's mutex meanwhile.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool done_ = false;
};

}  // namespace mcpp::sqlite
