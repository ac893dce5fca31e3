// The knowledge connector in the CLI: `mcpp index PATH...` (ingest into the store, --watch),
// `mcpp audit verify|head|list`, and `mcpp serve` without --fixture (serves the store, rate
// limited).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "knowledge/audit_log.hpp"
#include "knowledge/rate_limiter.hpp"
#include "knowledge/store.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"
#include "serve_auth_options.hpp"

struct KnowledgeServeOptions {
  std::string store = "mcpp.sqlite";
  double rate_limit = 600;  // tool calls/requests per minute and client; 0: no limit
  double rate_burst = 60;
  std::vector<std::string> write_scopes;  // scopes the write tools need (with --auth)
  std::string audit_key_file;             // empty: "<store>.audit-key"
};

// Registers --store, --rate-limit, --rate-burst, --write-scope and --audit-key-file on `serve`.
void add_knowledge_serve_options(CLI::App& serve, KnowledgeServeOptions& o);

// Registers `mcpp index` and `mcpp audit` (run inside the parse; they end it with
// CLI::RuntimeError carrying the exit code).
void add_knowledge_commands(CLI::App& app);

// What `mcpp serve` (no --fixture) keeps alive while serving.
struct KnowledgeServe {
  std::shared_ptr<mcpp::knowledge::KnowledgeStore> store;
  std::shared_ptr<mcpp::knowledge::AuditLog> audit;
  std::shared_ptr<mcpp::knowledge::RateLimiter> limiter;  // null: no limit
};

// Adds the write scopes to the scopes the authorization server offers (before
// setup_serve_auth).
void prepare_knowledge_auth(const KnowledgeServeOptions& o, ServeAuthOptions& auth);
// Opens the store and registers the connector on `server`. Throws std::exception with a
// message for the user.
KnowledgeServe setup_knowledge_server(mcpp::Server& server, const KnowledgeServeOptions& o,
                                      const ServeAuthOptions& auth, bool stdio);
// Puts the rate limiter in front of the HTTP authorizer (after setup_serve_auth).
void install_rate_limit(const KnowledgeServe& k, mcpp::HttpOptions& http);
