// SQLite tables of the authorization server (schema version 2: version 1 plus the grants table
// and the sessions' credential; a version 1 file is upgraded in place).
#include "auth/auth_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace mcpp::auth::authz {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS clients(
  client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, auth_method TEXT NOT NULL,
  application_type TEXT NOT NULL, client_name TEXT NOT NULL, redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL, scope TEXT NOT NULL, metadata TEXT NOT NULL, source TEXT NOT NULL,
  issued_at INTEGER NOT NULL, fetched_until INTEGER NOT NULL,
  registered_by TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS pending_requests(
  id TEXT PRIMARY KEY, browser TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, peer TEXT NOT NULL DEFAULT '',
  client_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS codes(
  code_hash TEXT PRIMARY KEY, family TEXT NOT NULL, data TEXT NOT NULL,
  expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens(
  token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, data TEXT NOT NULL,
  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family);
CREATE TABLE IF NOT EXISTS access_tokens(
  jti TEXT PRIMARY KEY, family TEXT NOT NULL, client_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS access_tokens_family ON access_tokens(family);
CREATE TABLE IF NOT EXISTS signing_keys(
  kid TEXT PRIMARY KEY, private_jwk TEXT NOT NULL, created_at INTEGER NOT NULL,
  retired_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions(
  session_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, expires_at INTEGER NOT NULL,
  credential TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS grants(
  family TEXT PRIMARY KEY, client_id TEXT NOT NULL, subject TEXT NOT NULL,
  credential TEXT NOT NULL, auth_time INTEGER NOT NULL, last_refresh INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS grants_subject ON grants(subject);
CREATE INDEX IF NOT EXISTS grants_client ON grants(client_id);
)sql";
constexpr std::int64_t kSchemaVersion = 2;
// Columns version 2 added to version 1's tables, and their indexes.
constexpr const char* kUpgradeFrom1 = R"sql(
ALTER TABLE sessions ADD COLUMN credential TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN registered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_requests ADD COLUMN peer TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_requests ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
)sql";
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS clients_registered_by ON clients(registered_by);
CREATE INDEX IF NOT EXISTS pending_requests_peer ON pending_requests(peer);
CREATE INDEX IF NOT EXISTS pending_requests_client ON pending_requests(client_id);
)sql";

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> from_array(std::string_view text) {
  std::vector<std::string> out;
  json::value v = json::parse(text);
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

json::object grant_json(const Grant& g) {
  return {{"client_id", g.client_id}, {"subject", g.subject}, {"scope", g.scope},
          {"resource", g.resource},   {"family", g.family},   {"credential", g.credential},
          {"auth_time", g.auth_time}};
}

// Grants written before version 2 have no credential and no auth_time: they match no user and
// have outlived every lifetime, so their holders sign in again.
Grant grant_from(const json::object& o) {
  Grant g{std::string(find_string(o, "client_id")), std::string(find_string(o, "subject")),
          std::string(find_string(o, "scope")),     std::string(find_string(o, "resource")),
          std::string(find_string(o, "family")),    std::string(find_string(o, "credential"))};
  const json::value* t = find(o, "auth_time");
  if (t && t->is_int64()) g.auth_time = t->get_int64();
  return g;
}

}  // namespace

class AuthStore::Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail();
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), next_(o.next_) {
    o.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& bind(std::string_view text) {
    check(sqlite3_bind_text(stmt_, ++next_, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, ++next_, value));
    return *this;
  }
  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  std::string text(int col) const {
    auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail();
  }
  [[noreturn]] void fail() {
    throw std::runtime_error(std::string("auth database: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 0;
};

AuthStore::AuthStore(const std::string& path) {
  if (path != ":memory:" && !path.empty()) {
    // Created private: it holds signing keys and token hashes.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open the auth database " + path);
    ::close(fd);
  }
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open the auth database " + path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    std::int64_t version = 0;
    {
      Statement s = prepare("PRAGMA user_version");
      if (s.step()) version = s.integer(0);
    }
    if (version > kSchemaVersion) {
      throw std::runtime_error("the auth database " + path +
                               " was written by a newer mcpp (schema " + std::to_string(version) +
                               ")");
    }
    exec(kSchema);
    if (version == 1) {
      // Sessions of version 1 have no credential (''): they match no user, so browsers sign in
      // again once.
      exec(kUpgradeFrom1);
    }
    exec(kIndexes);
    exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

AuthStore::~AuthStore() {
  sqlite3_close(db_);
}

void AuthStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("auth database: " + msg);
  }
}

AuthStore::Statement AuthStore::prepare(const char* sql) {
  return Statement(db_, sql);
}

// A transaction that rolls back unless committed.
namespace {
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("auth database: ") + sqlite3_errmsg(db_));
    }
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("auth database: ") + sqlite3_errmsg(db_));
    }
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};
}  // namespace

// Clients that a token, a code or an open login page refers to (the first parameter: now).
constexpr const char* kClientInUse =
    "(client_id IN (SELECT client_id FROM access_tokens) "
    "OR client_id IN (SELECT json_extract(data, '$.client_id') FROM refresh_tokens) "
    "OR client_id IN (SELECT json_extract(data, '$.grant.client_id') FROM codes) "
    "OR client_id IN (SELECT json_extract(data, '$.client_id') FROM pending_requests "
    "WHERE expires_at > ?1))";

void AuthStore::put_client(const ClientRecord& c) {
  std::lock_guard lock(mutex_);
  put_client_locked(c);
}

bool AuthStore::put_document_client(const ClientRecord& c, std::int64_t now, std::int64_t max) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Statement known = prepare("SELECT 1 FROM clients WHERE client_id = ?");
  known.bind(c.client_id);
  if (!known.step()) {
    Statement count = prepare("SELECT count(*) FROM clients WHERE source = 'document'");
    std::int64_t n = count.step() ? count.integer(0) : 0;
    if (n >= max) {
      std::string sql =
          "DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE source = "
          "'document' AND NOT " +
          std::string(kClientInUse) + " ORDER BY fetched_until > ?1, issued_at, rowid LIMIT ?2)";
      Statement evict = prepare(sql.c_str());
      evict.bind(now).bind(n - max + 1).run();
      if (n - evict.changes() >= max) return false;
    }
  }
  put_client_locked(c);
  tx.commit();
  return true;
}

void AuthStore::put_client_locked(const ClientRecord& c) {
  prepare(
      "INSERT OR REPLACE INTO clients(client_id, secret_hash, auth_method, application_type, "
      "client_name, redirect_uris, grant_types, scope, metadata, source, issued_at, "
      "fetched_until, registered_by) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(c.client_id)
      .bind(c.secret_hash)
      .bind(c.auth_method)
      .bind(c.application_type)
      .bind(c.client_name)
      .bind(json::serialize(to_array(c.redirect_uris)))
      .bind(json::serialize(to_array(c.grant_types)))
      .bind(c.scope)
      .bind(json::serialize(c.metadata))
      .bind(c.source)
      .bind(c.issued_at)
      .bind(c.fetched_until)
      .bind(c.registered_by)
      .run();
}

std::optional<ClientRecord> AuthStore::client(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT client_id, secret_hash, auth_method, application_type, client_name, "
      "redirect_uris, grant_types, scope, metadata, source, issued_at, fetched_until, "
      "registered_by FROM clients WHERE client_id = ?");
  s.bind(client_id);
  if (!s.step()) return std::nullopt;
  ClientRecord c;
  c.client_id = s.text(0);
  c.secret_hash = s.text(1);
  c.auth_method = s.text(2);
  c.application_type = s.text(3);
  c.client_name = s.text(4);
  c.redirect_uris = from_array(s.text(5));
  c.grant_types = from_array(s.text(6));
  c.scope = s.text(7);
  c.metadata = json::parse(s.text(8)).as_object();
  c.source = s.text(9);
  c.issued_at = s.integer(10);
  c.fetched_until = s.integer(11);
  c.registered_by = s.text(12);
  return c;
}

std::int64_t AuthStore::count_clients(std::string_view source) {
  std::lock_guard lock(mutex_);
  Statement s = prepare("SELECT count(*) FROM clients WHERE source = ?");
  s.bind(source);
  return s.step() ? s.integer(0) : 0;
}

// Clients an authorization was completed with (a code, token or grant refers to them).
constexpr const char* kClientUsed =
    "(client_id IN (SELECT client_id FROM access_tokens) "
    "OR client_id IN (SELECT client_id FROM grants) "
    "OR client_id IN (SELECT json_extract(data, '$.client_id') FROM refresh_tokens) "
    "OR client_id IN (SELECT json_extract(data, '$.grant.client_id') FROM codes))";

std::int64_t AuthStore::purge_unused_registrations(std::int64_t before) {
  std::lock_guard lock(mutex_);
  std::string sql = "DELETE FROM clients WHERE source = 'dcr' AND issued_at < ? AND NOT " +
                    std::string(kClientUsed) +
                    " AND client_id NOT IN (SELECT client_id FROM pending_requests)";
  Statement s = prepare(sql.c_str());
  s.bind(before).run();
  return s.changes();
}

bool AuthStore::admit_registration(const ClientRecord& c, const AdmissionLimits& limits) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  const std::string unused = "source = 'dcr' AND NOT " + std::string(kClientUsed);
  // Deletes the `excess` oldest unused registrations made from `peer`.
  auto evict = [&](std::string_view peer, std::int64_t excess) {
    std::string sql =
        "DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients "
        "WHERE registered_by = ? AND " +
        unused + " ORDER BY issued_at, rowid LIMIT ?)";
    prepare(sql.c_str()).bind(peer).bind(excess).run();
  };
  if (limits.per_peer_applies && limits.per_peer > 0) {
    std::string sql = "SELECT count(*) FROM clients WHERE registered_by = ? AND " + unused;
    Statement s = prepare(sql.c_str());
    s.bind(c.registered_by);
    std::int64_t n = s.step() ? s.integer(0) : 0;
    if (n >= limits.per_peer) evict(c.registered_by, n - limits.per_peer + 1);
  }
  auto total = [&] {
    Statement s = prepare("SELECT count(*) FROM clients WHERE source = 'dcr'");
    return s.step() ? s.integer(0) : 0;
  };
  if (limits.total > 0 && total() >= limits.total) {
    // The unused registrations of the address that made the most of them go first.
    std::string sql = "SELECT registered_by FROM clients WHERE " + unused +
                      " GROUP BY registered_by ORDER BY count(*) DESC, min(issued_at) LIMIT 1";
    Statement top = prepare(sql.c_str());
    if (!top.step()) return false;
    std::string peer = top.text(0);
    evict(peer, total() - limits.total + 1);
    if (total() >= limits.total) return false;
  }
  put_client_locked(c);
  tx.commit();
  return true;
}

std::int64_t AuthStore::count_requests() {
  std::lock_guard lock(mutex_);
  Statement s = prepare("SELECT count(*) FROM pending_requests");
  return s.step() ? s.integer(0) : 0;
}

void AuthStore::put_request(const PendingRequest& r) {
  std::lock_guard lock(mutex_);
  put_request_locked(r);
}

void AuthStore::put_request_locked(const PendingRequest& r) {
  json::object data{{"csrf", r.csrf},
                    {"client_id", r.client_id},
                    {"redirect_uri", r.redirect_uri},
                    {"redirect_uri_given", r.redirect_uri_given},
                    {"state", r.state},
                    {"scope", r.scope},
                    {"resource", r.resource},
                    {"code_challenge", r.code_challenge}};
  prepare(
      "INSERT OR REPLACE INTO pending_requests(id, browser, data, created_at, expires_at, peer, "
      "client_id) VALUES(?,?,?,?,?,?,?)")
      .bind(r.id)
      .bind(r.browser)
      .bind(json::serialize(data))
      .bind(r.created_at)
      .bind(r.expires_at)
      .bind(r.peer)
      .bind(r.client_id)
      .run();
}

void AuthStore::admit_request(const PendingRequest& r, const AdmissionLimits& limits,
                              std::int64_t now) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  auto count = [&](const char* sql, std::string_view value) {
    Statement s = prepare(sql);
    s.bind(value);
    return s.step() ? s.integer(0) : 0;
  };
  // Deletes the `excess` oldest open pages opened from `peer` (of `client_id` when not empty).
  auto evict = [&](std::string_view peer, std::string_view client_id, std::int64_t excess) {
    prepare(
        "DELETE FROM pending_requests WHERE id IN (SELECT id FROM pending_requests WHERE peer = ?1 "
        "AND (?2 = '' OR client_id = ?2) ORDER BY created_at, rowid LIMIT ?3)")
        .bind(peer)
        .bind(client_id)
        .bind(excess)
        .run();
  };
  if (limits.per_peer_applies && limits.per_peer > 0) {
    std::int64_t n = count("SELECT count(*) FROM pending_requests WHERE peer = ?", r.peer);
    if (n >= limits.per_peer) evict(r.peer, "", n - limits.per_peer + 1);
  }
  if (limits.per_client > 0 && !r.client_id.empty()) {
    std::int64_t n =
        count("SELECT count(*) FROM pending_requests WHERE client_id = ?", r.client_id);
    if (n >= limits.per_client) {
      // The client's pages opened from the address that opened the most of them go first.
      Statement top = prepare(
          "SELECT peer FROM pending_requests WHERE client_id = ? GROUP BY peer "
          "ORDER BY count(*) DESC, min(created_at) LIMIT 1");
      top.bind(r.client_id);
      std::string peer = top.step() ? top.text(0) : std::string();
      evict(peer, r.client_id, n - limits.per_client + 1);
    }
  }
  if (limits.total > 0) {
    Statement all = prepare("SELECT count(*) FROM pending_requests");
    std::int64_t n = all.step() ? all.integer(0) : 0;
    if (n >= limits.total) {
      prepare("DELETE FROM pending_requests WHERE expires_at <= ?").bind(now).run();
      Statement again = prepare("SELECT count(*) FROM pending_requests");
      n = again.step() ? again.integer(0) : 0;
    }
    if (n >= limits.total) {
      Statement top = prepare(
          "SELECT peer FROM pending_requests GROUP BY peer ORDER BY count(*) DESC, "
          "min(created_at) LIMIT 1");
      std::string peer = top.step() ? top.text(0) : std::string();
      evict(peer, "", n - limits.total + 1);
    }
  }
  put_request_locked(r);
  tx.commit();
}

std::optional<PendingRequest> AuthStore::request(std::string_view id, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT browser, data, expires_at, created_at FROM pending_requests WHERE id = ? AND "
      "expires_at > ?");
  s.bind(id).bind(now);
  if (!s.step()) return std::nullopt;
  json::object d = json::parse(s.text(1)).as_object();
  PendingRequest r;
  r.id = std::string(id);
  r.browser = s.text(0);
  r.csrf = find_string(d, "csrf");
  r.client_id = find_string(d, "client_id");
  r.redirect_uri = find_string(d, "redirect_uri");
  const json::value* given = find(d, "redirect_uri_given");
  r.redirect_uri_given = given && given->is_bool() && given->get_bool();
  r.state = find_string(d, "state");
  r.scope = find_string(d, "scope");
  r.resource = find_string(d, "resource");
  r.code_challenge = find_string(d, "code_challenge");
  r.created_at = s.integer(3);
  r.expires_at = s.integer(2);
  return r;
}

void AuthStore::delete_request(std::string_view id) {
  std::lock_guard lock(mutex_);
  prepare("DELETE FROM pending_requests WHERE id = ?").bind(id).run();
}

bool AuthStore::take_request(std::string_view id, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s =
      prepare("DELETE FROM pending_requests WHERE id = ? AND expires_at > ? RETURNING id");
  s.bind(id).bind(now);
  bool taken = s.step();
  if (taken) s.run();
  return taken;
}

std::optional<std::string> AuthStore::latest_request(std::string_view browser, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT id FROM pending_requests WHERE browser = ? AND expires_at > ? "
      "ORDER BY created_at DESC, rowid DESC LIMIT 1");
  s.bind(browser).bind(now);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void AuthStore::put_code(std::string_view code_hash, const CodeRecord& c) {
  json::object data{{"grant", grant_json(c.grant)},
                    {"redirect_uri", c.redirect_uri},
                    {"redirect_uri_given", c.redirect_uri_given},
                    {"code_challenge", c.code_challenge}};
  std::lock_guard lock(mutex_);
  prepare("INSERT INTO codes(code_hash, family, data, expires_at) VALUES(?,?,?,?)")
      .bind(code_hash)
      .bind(c.grant.family)
      .bind(json::serialize(data))
      .bind(c.expires_at)
      .run();
}

Redemption AuthStore::redeem_code(std::string_view code_hash, std::int64_t now,
                                  const std::function<bool(const CodeRecord&)>& accept,
                                  const Issuance& issue, CodeRecord& out,
                                  std::vector<RevokedToken>& revoked) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Statement s = prepare("SELECT family, data, expires_at, used FROM codes WHERE code_hash = ?");
  s.bind(code_hash);
  if (!s.step()) return Redemption::kUnknown;
  std::string family = s.text(0);
  json::object d = json::parse(s.text(1)).as_object();
  const json::value* g = find(d, "grant");
  out.grant = grant_from(g && g->is_object() ? g->get_object() : json::object());
  out.redirect_uri = find_string(d, "redirect_uri");
  const json::value* given = find(d, "redirect_uri_given");
  out.redirect_uri_given = given && given->is_bool() && given->get_bool();
  out.code_challenge = find_string(d, "code_challenge");
  out.expires_at = s.integer(2);
  bool used = s.integer(3) != 0;
  if (used) {
    if (out.grant.client_id != issue.client_id) return Redemption::kRejected;
    // OAuth 2.1 §4.1.3: a code used twice revokes what it was exchanged for.
    revoked = revoke_family_locked(family, now);
    tx.commit();
    return Redemption::kReused;
  }
  if (out.expires_at <= now) return Redemption::kExpired;
  // Checked before the code is spent: a request that may not redeem it does not burn it.
  if (!accept(out)) return Redemption::kRejected;
  prepare("UPDATE codes SET used = 1 WHERE code_hash = ?").bind(code_hash).run();
  issue_locked(issue, out.grant, now);
  tx.commit();
  return Redemption::kOk;
}

void AuthStore::put_refresh_token(std::string_view token_hash, const Grant& grant, std::int64_t now,
                                  std::int64_t expires_at) {
  std::lock_guard lock(mutex_);
  prepare(
      "INSERT INTO refresh_tokens(token_hash, family, data, issued_at, expires_at) "
      "VALUES(?,?,?,?,?)")
      .bind(token_hash)
      .bind(grant.family)
      .bind(json::serialize(grant_json(grant)))
      .bind(now)
      .bind(expires_at)
      .run();
}

void AuthStore::issue_locked(const Issuance& issue, const Grant& grant, std::int64_t now) {
  // The grant's row: created by the code's redemption, its last refresh and expiry moved by each
  // refresh.
  prepare(
      "INSERT INTO grants(family, client_id, subject, credential, auth_time, last_refresh, "
      "expires_at) VALUES(?1,?2,?3,?4,?5,0,?6) ON CONFLICT(family) DO UPDATE SET "
      "last_refresh = ?7, expires_at = excluded.expires_at")
      .bind(grant.family)
      .bind(issue.client_id)
      .bind(grant.subject)
      .bind(grant.credential)
      .bind(grant.auth_time)
      .bind(std::max(issue.access_expires_at, issue.refresh_expires_at))
      .bind(now)
      .run();
  prepare(
      "INSERT OR REPLACE INTO access_tokens(jti, family, client_id, expires_at) VALUES(?,?,?,?)")
      .bind(issue.access_jti)
      .bind(grant.family)
      .bind(issue.client_id)
      .bind(issue.access_expires_at)
      .run();
  if (issue.refresh_hash.empty()) return;
  prepare(
      "INSERT INTO refresh_tokens(token_hash, family, data, issued_at, expires_at) "
      "VALUES(?,?,?,?,?)")
      .bind(issue.refresh_hash)
      .bind(grant.family)
      .bind(json::serialize(grant_json(grant)))
      .bind(now)
      .bind(issue.refresh_expires_at)
      .run();
}

Redemption AuthStore::rotate_refresh_token(std::string_view token_hash, std::int64_t now,
                                           const Issuance& issue, Grant& out,
                                           std::vector<RevokedToken>& revoked) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Statement s = prepare(
      "SELECT family, data, expires_at, used, revoked FROM refresh_tokens WHERE token_hash = ?");
  s.bind(token_hash);
  if (!s.step()) return Redemption::kUnknown;
  std::string family = s.text(0);
  Grant grant = grant_from(json::parse(s.text(1)).as_object());
  std::int64_t expires_at = s.integer(2);
  bool used = s.integer(3) != 0;
  bool was_revoked = s.integer(4) != 0;
  if (was_revoked) return Redemption::kRevoked;
  if (used) {
    // Reuse of a rotated refresh token: someone else has a copy. Revoke the family.
    revoked = revoke_family_locked(family, now);
    tx.commit();
    return Redemption::kReused;
  }
  if (expires_at <= now) return Redemption::kExpired;
  prepare("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?").bind(token_hash).run();
  issue_locked(issue, grant, now);
  tx.commit();
  out = std::move(grant);
  return Redemption::kOk;
}

std::optional<Grant> AuthStore::refresh_token_grant(std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  Statement s = prepare("SELECT data FROM refresh_tokens WHERE token_hash = ?");
  s.bind(token_hash);
  if (!s.step()) return std::nullopt;
  return grant_from(json::parse(s.text(0)).as_object());
}

std::vector<RevokedToken> AuthStore::revoke_family(std::string_view family, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  auto revoked = revoke_family_locked(family, now);
  tx.commit();
  return revoked;
}

std::vector<RevokedToken> AuthStore::revoke_family_locked(std::string_view family,
                                                          std::int64_t now) {
  prepare("UPDATE grants SET revoked = 1 WHERE family = ?").bind(family).run();
  prepare("UPDATE refresh_tokens SET revoked = 1 WHERE family = ?").bind(family).run();
  Statement s = prepare(
      "UPDATE access_tokens SET revoked = 1 WHERE family = ? AND expires_at > ? "
      "RETURNING jti, expires_at");
  s.bind(family).bind(now);
  std::vector<RevokedToken> out;
  while (s.step()) out.push_back({s.text(0), s.integer(1)});
  return out;
}

void AuthStore::put_access_token(std::string_view jti, std::string_view family,
                                 std::string_view client_id, std::int64_t expires_at) {
  std::lock_guard lock(mutex_);
  prepare(
      "INSERT OR REPLACE INTO access_tokens(jti, family, client_id, expires_at) "
      "VALUES(?,?,?,?)")
      .bind(jti)
      .bind(family)
      .bind(client_id)
      .bind(expires_at)
      .run();
}

std::string AuthStore::access_token_family(std::string_view jti) {
  std::lock_guard lock(mutex_);
  Statement s = prepare("SELECT family FROM access_tokens WHERE jti = ?");
  s.bind(jti);
  return s.step() ? s.text(0) : std::string();
}

void AuthStore::revoke_access_token(std::string_view jti, std::int64_t expires_at) {
  std::lock_guard lock(mutex_);
  Statement s = prepare("UPDATE access_tokens SET revoked = 1 WHERE jti = ?");
  s.bind(jti).run();
  if (s.changes() == 0) {
    prepare(
        "INSERT OR IGNORE INTO access_tokens(jti, family, client_id, expires_at, revoked) "
        "VALUES(?, '', '', ?, 1)")
        .bind(jti)
        .bind(expires_at)
        .run();
  }
}

std::vector<RevokedToken> AuthStore::revoked_access_tokens(std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s =
      prepare("SELECT jti, expires_at FROM access_tokens WHERE revoked = 1 AND expires_at > ?");
  s.bind(now);
  std::vector<RevokedToken> out;
  while (s.step()) out.push_back({s.text(0), s.integer(1)});
  return out;
}

std::vector<KeyRecord> AuthStore::keys() {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT kid, private_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at");
  std::vector<KeyRecord> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3)});
  return out;
}

void AuthStore::put_key(const KeyRecord& k) {
  std::lock_guard lock(mutex_);
  prepare("INSERT INTO signing_keys(kid, private_jwk, created_at, retired_at) VALUES(?,?,?,?)")
      .bind(k.kid)
      .bind(k.private_jwk)
      .bind(k.created_at)
      .bind(k.retired_at)
      .run();
}

void AuthStore::retire_keys_except(std::string_view kid, std::int64_t now) {
  std::lock_guard lock(mutex_);
  prepare("UPDATE signing_keys SET retired_at = ? WHERE retired_at = 0 AND kid <> ?")
      .bind(now)
      .bind(kid)
      .run();
}

void AuthStore::delete_keys_retired_before(std::int64_t when) {
  std::lock_guard lock(mutex_);
  prepare("DELETE FROM signing_keys WHERE retired_at <> 0 AND retired_at < ?").bind(when).run();
}

std::optional<GrantStatus> AuthStore::grant_status(std::string_view jti) {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT a.revoked, g.revoked, g.subject, g.credential FROM access_tokens a "
      "JOIN grants g ON g.family = a.family WHERE a.jti = ?");
  s.bind(jti);
  if (!s.step()) return std::nullopt;
  return GrantStatus{s.integer(0) != 0 || s.integer(1) != 0, s.text(2), s.text(3)};
}

std::vector<GrantRecord> AuthStore::grants(std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s = prepare(
      "SELECT family, subject, client_id, auth_time, last_refresh, expires_at, revoked "
      "FROM grants WHERE expires_at > ? ORDER BY auth_time DESC, rowid DESC");
  s.bind(now);
  std::vector<GrantRecord> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.integer(5),
                   s.integer(6) != 0});
  }
  return out;
}

std::int64_t AuthStore::revoke_grants(GrantSelector selector, std::string_view value,
                                      std::int64_t now) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  const char* sql = selector == GrantSelector::kUser
                        ? "SELECT family FROM grants WHERE revoked = 0 AND expires_at > ?1 AND "
                          "subject = ?2"
                    : selector == GrantSelector::kClient
                        ? "SELECT family FROM grants WHERE revoked = 0 AND expires_at > ?1 AND "
                          "client_id = ?2"
                        : "SELECT family FROM grants WHERE revoked = 0 AND expires_at > ?1";
  std::vector<std::string> families;
  {
    Statement s = prepare(sql);
    s.bind(now);
    if (selector != GrantSelector::kAll) s.bind(value);
    while (s.step()) families.push_back(s.text(0));
  }
  for (const auto& family : families) revoke_family_locked(family, now);
  // Codes not yet redeemed would start new grants: they go too.
  if (selector == GrantSelector::kAll) {
    exec("DELETE FROM codes WHERE used = 0");
    exec("DELETE FROM sessions");
  } else {
    const char* path = selector == GrantSelector::kUser ? "$.grant.subject" : "$.grant.client_id";
    prepare("DELETE FROM codes WHERE used = 0 AND json_extract(data, ?) = ?")
        .bind(path)
        .bind(value)
        .run();
    if (selector == GrantSelector::kUser) {
      prepare("DELETE FROM sessions WHERE subject = ?").bind(value).run();
    }
  }
  tx.commit();
  return static_cast<std::int64_t>(families.size());
}

void AuthStore::put_session(std::string_view session_hash, const SessionRecord& session,
                            std::int64_t expires_at) {
  std::lock_guard lock(mutex_);
  prepare(
      "INSERT OR REPLACE INTO sessions(session_hash, subject, credential, expires_at) "
      "VALUES(?,?,?,?)")
      .bind(session_hash)
      .bind(session.subject)
      .bind(session.credential)
      .bind(expires_at)
      .run();
}

std::optional<SessionRecord> AuthStore::session(std::string_view session_hash, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Statement s =
      prepare("SELECT subject, credential FROM sessions WHERE session_hash = ? AND expires_at > ?");
  s.bind(session_hash).bind(now);
  if (!s.step()) return std::nullopt;
  return SessionRecord{s.text(0), s.text(1)};
}

void AuthStore::purge(std::int64_t now) {
  std::lock_guard lock(mutex_);
  prepare("DELETE FROM pending_requests WHERE expires_at <= ?").bind(now).run();
  // Used codes are kept an hour past their expiry, to recognize a replay.
  prepare("DELETE FROM codes WHERE expires_at <= ?").bind(now - 3600).run();
  prepare("DELETE FROM refresh_tokens WHERE expires_at <= ?").bind(now).run();
  prepare("DELETE FROM access_tokens WHERE expires_at <= ?").bind(now).run();
  prepare("DELETE FROM sessions WHERE expires_at <= ?").bind(now).run();
  prepare("DELETE FROM grants WHERE expires_at <= ?").bind(now).run();
  std::string sql =
      "DELETE FROM clients WHERE source = 'document' AND fetched_until <= ?1 AND NOT " +
      std::string(kClientInUse);
  prepare(sql.c_str()).bind(now).run();
}

}  // namespace mcpp::auth::authz
