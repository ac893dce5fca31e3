// The authorization server's SQLite store: clients, pending authorization requests, codes,
// refresh token families, issued access tokens (for revocation), signing keys and login
// sessions. Codes, refresh tokens and sessions are stored only as hashes. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/json.hpp"

struct sqlite3;

namespace mcpp::auth::authz {

struct ClientRecord {
  std::string client_id;
  std::string secret_hash;       // SHA-256 hex of the secret; "" for a public client
  std::string auth_method;       // none, client_secret_post or client_secret_basic
  std::string application_type;  // web, native, or "" (a client ID metadata document)
  std::string client_name;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> grant_types;
  std::string scope;      // scopes it registered for; "" means any supported scope
  json::object metadata;  // the registered metadata, echoed by /register
  std::string source;     // "dcr", "static" or "document"
  std::int64_t issued_at = 0;
  std::int64_t fetched_until = 0;  // documents: cached until then (unix seconds)
  std::string registered_by;       // dcr: the network address that registered it
};

// An authorization request waiting for the user on the login and consent page.
struct PendingRequest {
  std::string id;
  std::string browser;  // hash of the browser cookie it was started with
  std::string csrf;
  std::string client_id;
  std::string redirect_uri;
  bool redirect_uri_given = true;  // the token request must then repeat it
  std::string state;
  std::string scope;
  std::string resource;
  std::string code_challenge;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::string peer;  // the network address that opened it
};

// How many registrations or open login pages the store keeps, in all and per network address
// (only when `per_peer_applies`: not for loopback, where a tunnel or proxy puts everyone) and,
// for login pages, per client. At a limit the oldest entry of the same address (or client) makes
// room; at the total, the oldest of the address holding the most.
struct AdmissionLimits {
  std::int64_t total = 0;
  std::int64_t per_peer = 0;
  std::int64_t per_client = 0;  // login pages only
  bool per_peer_applies = true;
};

// What a code or a refresh token stands for.
struct Grant {
  std::string client_id;
  std::string subject;
  std::string scope;
  std::string resource;
  std::string family;  // every token descending from one authorization
  // The user's credential fingerprint when they approved (UsersFile::credential, or
  // kAdminLinkCredential): a removed user or a changed password no longer matches.
  std::string credential;
  std::int64_t auth_time = 0;  // when the user approved: refreshes end a lifetime after it
};

// The credential of the admin signed in with the one-time link (no users file).
inline constexpr std::string_view kAdminLinkCredential = "admin-link";

// One authorization (a refresh token family), as `mcpp auth tokens` lists it.
struct GrantRecord {
  std::string family;
  std::string subject;
  std::string client_id;
  std::int64_t auth_time = 0;     // approved at
  std::int64_t last_refresh = 0;  // 0: never refreshed
  std::int64_t expires_at = 0;    // of its newest token
  bool revoked = false;
};

// Which grants `mcpp auth revoke` revokes.
enum class GrantSelector { kUser, kClient, kAll };

// What a live access token's grant says now, for the verifier's per-token check.
struct GrantStatus {
  bool revoked = false;  // the token or its grant
  std::string subject;
  std::string credential;
};

// A sign-in session of the login page (the browser cookie).
struct SessionRecord {
  std::string subject;
  std::string credential;  // as in Grant
};

struct CodeRecord {
  Grant grant;
  std::string redirect_uri;
  bool redirect_uri_given = true;
  std::string code_challenge;
  std::int64_t expires_at = 0;
};

// kRejected: the request may not redeem this code (another client, redirect URI, PKCE), which
// stays unused.
enum class Redemption { kOk, kUnknown, kExpired, kReused, kRevoked, kRejected };

// The rows a successful redemption creates, written in the transaction that spends the code or
// refresh token: a replay that revokes the family cannot come between and miss them.
struct Issuance {
  std::string client_id;
  std::string access_jti;
  std::int64_t access_expires_at = 0;
  std::string refresh_hash;  // "" when no refresh token is issued
  std::int64_t refresh_expires_at = 0;
};

struct KeyRecord {
  std::string kid;
  std::string private_jwk;  // JSON text
  std::int64_t created_at = 0;
  std::int64_t retired_at = 0;  // 0 while it is the signing key
};

// A revoked access token still within its lifetime.
struct RevokedToken {
  std::string jti;
  std::int64_t expires_at = 0;
};

class AuthStore {
 public:
  // Opens or creates the database (mode 0600). Throws std::runtime_error.
  explicit AuthStore(const std::string& path);
  ~AuthStore();
  AuthStore(const AuthStore&) = delete;
  AuthStore& operator=(const AuthStore&) = delete;

  void put_client(const ClientRecord& client);
  std::optional<ClientRecord> client(std::string_view client_id);
  std::int64_t count_clients(std::string_view source);
  // Stores a client ID metadata document's client, keeping at most `max` documents: to make room
  // for a new one, documents no token, code or open login page refers to are dropped, expired
  // ones first, then the least recently fetched. False (nothing stored) when none can be.
  bool put_document_client(const ClientRecord& client, std::int64_t now, std::int64_t max);

  // Stores a registration of `client` (source "dcr", registered_by set) within `limits`, making
  // room among registrations never used for an authorization (no code, token or grant; an open
  // login page does not pin one). False (nothing stored) when every registration is in use.
  bool admit_registration(const ClientRecord& client, const AdmissionLimits& limits);
  // Deletes registrations never used for an authorization (no open login page either) that were
  // made before `before`. Returns how many.
  std::int64_t purge_unused_registrations(std::int64_t before);

  void put_request(const PendingRequest& request);
  // Stores an open login page within `limits` (expired ones and, at a limit, older ones make
  // room: never refused).
  void admit_request(const PendingRequest& request, const AdmissionLimits& limits,
                     std::int64_t now);
  std::optional<PendingRequest> request(std::string_view id, std::int64_t now);
  void delete_request(std::string_view id);
  // Deletes a live pending request; true for the one caller that did (the gate that lets one
  // Approve or Deny click through when several arrive at once).
  bool take_request(std::string_view id, std::int64_t now);
  std::int64_t count_requests();
  // The newest pending request started in `browser`.
  std::optional<std::string> latest_request(std::string_view browser, std::int64_t now);

  void put_code(std::string_view code_hash, const CodeRecord& code);
  // Redeems a code for `issue.client_id`: `accept` (called inside the transaction, with the code)
  // checks the request (redirect URI, PKCE, ...); if it returns false the code stays unused and
  // the answer is kRejected. Otherwise the code is marked used, `issue`'s tokens are stored and
  // the answer is kOk. A code used before (a successful redemption) gets kReused and the tokens
  // issued from it are revoked (returned in `revoked`) when the same client presents it. `out`
  // is the code's record whenever the code is known.
  Redemption redeem_code(std::string_view code_hash, std::int64_t now,
                         const std::function<bool(const CodeRecord&)>& accept,
                         const Issuance& issue, CodeRecord& out,
                         std::vector<RevokedToken>& revoked);

  void put_refresh_token(std::string_view token_hash, const Grant& grant, std::int64_t now,
                         std::int64_t expires_at);
  // Marks the token used, stores `issue`'s tokens (same grant) and returns the grant (kOk), in one
  // transaction. A token used before gets kReused and its whole family is revoked (the access
  // tokens in `revoked`).
  Redemption rotate_refresh_token(std::string_view token_hash, std::int64_t now,
                                  const Issuance& issue, Grant& out,
                                  std::vector<RevokedToken>& revoked);
  // The grant of a refresh token (used or not), for revocation.
  std::optional<Grant> refresh_token_grant(std::string_view token_hash);
  // Revokes every refresh and access token of a family; returns the live access tokens.
  std::vector<RevokedToken> revoke_family(std::string_view family, std::int64_t now);

  void put_access_token(std::string_view jti, std::string_view family, std::string_view client_id,
                        std::int64_t expires_at);
  // The family of an access token ("" when unknown).
  std::string access_token_family(std::string_view jti);
  void revoke_access_token(std::string_view jti, std::int64_t expires_at);
  std::vector<RevokedToken> revoked_access_tokens(std::int64_t now);

  std::vector<KeyRecord> keys();
  void put_key(const KeyRecord& key);
  void retire_keys_except(std::string_view kid, std::int64_t now);
  void delete_keys_retired_before(std::int64_t when);

  // The state of the access token `jti` and its grant; std::nullopt when the store has no record
  // of it (a token of another store, or of a grant made before grants were recorded).
  std::optional<GrantStatus> grant_status(std::string_view jti);
  // Grants that have not expired (revoked ones too), newest first.
  std::vector<GrantRecord> grants(std::int64_t now);
  // Revokes every live grant of a user (`value`), of a client, or all of them: their refresh and
  // access tokens, and (kUser, kAll) the user's sign-in sessions. Returns how many grants.
  std::int64_t revoke_grants(GrantSelector selector, std::string_view value, std::int64_t now);

  void put_session(std::string_view session_hash, const SessionRecord& session,
                   std::int64_t expires_at);
  std::optional<SessionRecord> session(std::string_view session_hash, std::int64_t now);

  // Deletes what has expired, and cached client ID metadata documents that have expired and
  // that nothing refers to.
  void purge(std::int64_t now);

 private:
  class Statement;
  void put_client_locked(const ClientRecord& client);
  void put_request_locked(const PendingRequest& request);
  void exec(const char* sql);
  Statement prepare(const char* sql);
  std::vector<RevokedToken> revoke_family_locked(std::string_view family, std::int64_t now);
  void issue_locked(const Issuance& issue, const Grant& grant, std::int64_t now);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace mcpp::auth::authz
