// The knowledge connector: what `mcpp serve` offers over the store. `search` and `fetch` in the
// shapes ChatGPT's deep research and company knowledge expect, write tools for documents, a
// resource per document (mcpp://doc/{id}), a prompt on how to search and cite, and an audit row
// for every tool call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "knowledge/audit_log.hpp"
#include "knowledge/rate_limiter.hpp"
#include "knowledge/store.hpp"
#include "mcpp/server.hpp"

namespace mcpp::knowledge {

struct ConnectorOptions {
  // Who the audit log names when a call carries no token: "stdio" or "anonymous".
  std::string caller_without_token = "anonymous";
  // The server checks tokens: write tools then need one (with write_scopes).
  bool auth_enabled = false;
  std::vector<std::string> write_scopes;
  // search/fetch need no token (listed as "noauth"): with --auth-anonymous.
  bool public_reads = false;
  // Checked on every tool call, keyed "stdio" (over HTTP the RateLimitingAuthorizer does it).
  std::shared_ptr<RateLimiter> call_limiter;
  std::size_t max_results = 10;
  std::size_t max_text_bytes = 1024 * 1024;  // add_document/update_document
};

// Registers the tools, the document resource template and the prompt.
void add_knowledge_connector(Server& server, std::shared_ptr<KnowledgeStore> store,
                             std::shared_ptr<AuditLog> audit, ConnectorOptions options);

// The server instructions that go with the connector.
std::string knowledge_instructions();

// The document URI of an id, and the text a fetch returns as JSON (id, title, text, url,
// metadata), for tests and the CLI.
std::string document_uri(const std::string& id);
json::object fetch_result(const Document& doc);

}  // namespace mcpp::knowledge
