// The host's store: one SQLite file (default $XDG_DATA_HOME/mcpp/host.sqlite, else
// ~/.local/share/mcpp/host.sqlite; MCPP_HOST_DB or --host-db override it), created 0600 in a 0700
// folder. It holds the connectors, their tools with the pinned definitions, the policy rules, the
// conversations (messages, tool call records with what decided them, remembered per-conversation
// decisions) and the host's config (model URL, model, API-key env name). Secrets are never stored:
// a header or env value may be `env:NAME`, kept as that text and resolved at connect time.
// Thread-safe (one connection under the database's mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/server_config.hpp"
#include "host/policy.hpp"
#include "host/tool_pins.hpp"
#include "mcpp/client.hpp"
#include "mcpp/json.hpp"

namespace mcpp::sqlite {
class Database;
}

namespace mcpp::host {

// The schema version the store writes (PRAGMA user_version); older files are migrated on open.
inline constexpr int kHostStoreSchemaVersion = 1;

// A bad connector, rule or argument (unknown connector, duplicate name, bad icon...): the message
// says what to fix.
class HostStoreError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A server the host connects to. Its name is the namespace of its tools (`name__tool` for the
// model): 1 to 32 of [a-zA-Z0-9_-], not containing "__".
struct ConnectorSpec {
  std::string name;
  std::string description;
  std::string icon;  // "" or an https: URL or a data:image/... URI
  // HTTP
  std::string url;
  std::string transport = "auto";  // "auto", "streamable-http" or "sse"
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // a value may be "env:NAME"
  std::string cwd;
  std::string auth = "none";                                 // "none", "oauth" or "headers"
  std::vector<std::pair<std::string, std::string>> headers;  // a value may be "env:NAME"
  bool enabled = true;
  bool trusted = true;  // untrusted: its readOnlyHint is not believed, its instructions unused
  std::optional<bool> use_instructions;  // unset: on when trusted

  bool is_stdio() const { return !command.empty(); }
  bool uses_instructions() const { return use_instructions.value_or(trusted); }
  // "https://..." or the command line, for listings.
  std::string where() const;
  json::object to_json() const;
};

// Throws HostStoreError when the spec is not usable (name, icon, transport, auth, neither or both
// of url and command, a header without a name...).
void validate_connector(const ConnectorSpec& spec);

// A server of an mcpServers file as a connector (`connectors import`, the gateway): where it is,
// its env and headers (auth "headers" when it has any, else "none"); the rest at its defaults.
ConnectorSpec connector_spec_of(const ServerConfigEntry& entry);

// Resolves an `env:NAME` value from the environment; other values come back as they are. Throws
// HostStoreError naming the variable and `what` (e.g. "header Authorization of connector gh")
// when it is not set.
std::string resolve_secret(std::string_view value, std::string_view what);

// A tool of a connector as the host knows it.
struct ToolRecord {
  std::string connector;
  std::string name;
  bool enabled = true;
  json::object accepted;  // the pinned definition (tool_definition())
  std::string accepted_hash;
  json::object latest;  // the definition last listed
  std::string latest_hash;
  bool removed = false;  // no longer listed by the server (kept for its history)
  // The server changed the definition since it was accepted: it counts as a write until
  // `accept`, and its remembered decisions were dropped.
  bool changed() const { return latest_hash != accepted_hash; }
  // The accepted definition has readOnlyHint: true.
  bool read_only_hint() const;
};

struct Conversation {
  std::string id;
  std::string title;
  std::int64_t created_ms = 0;  // Unix time
  std::vector<std::string> connectors;
  bool read_only = false;  // only read tools are offered
};

struct StoredMessage {
  std::int64_t id = 0;
  std::string conversation;
  std::string role;  // system, user, assistant, tool
  std::string content;
  std::string tool_calls;  // JSON text ("" for none)
  std::string tool_call_id;
  std::int64_t time_ms = 0;
};

// One tool call of a conversation and what decided it.
struct ToolCallRecord {
  std::int64_t id = 0;
  std::string conversation;
  std::string connector;
  std::string tool;
  std::string arguments;  // JSON text
  std::string result;     // JSON text of the CallToolResult ("" when it did not run)
  bool is_error = false;
  std::int64_t duration_ms = 0;
  std::string decision;    // "allow" or "deny"
  std::string decided_by;  // "read", "policy: <rule>", "person once", "remembered", "person"
  std::int64_t time_ms = 0;
};

class HostStore {
 public:
  // The default file: $MCPP_HOST_DB, else $XDG_DATA_HOME/mcpp/host.sqlite, else
  // ~/.local/share/mcpp/host.sqlite.
  static std::string default_path();

  // Opens or creates the store (its folder 0700, the file 0600) and migrates older schemas.
  // Throws sqlite::Error, or HostStoreError for a newer schema than this build knows.
  explicit HostStore(const std::string& path);
  ~HostStore();
  HostStore(const HostStore&) = delete;
  HostStore& operator=(const HostStore&) = delete;
  const std::string& path() const { return path_; }
  // The OAuth token file for connectors: "tokens.json" next to the store.
  std::string token_store_path() const;

  // ---- connectors ----
  // Throws HostStoreError for a bad spec or a name already taken.
  void add_connector(const ConnectorSpec& spec);
  // Replaces a connector's settings (same name). Throws HostStoreError when unknown.
  void update_connector(const ConnectorSpec& spec);
  // Removes it with its tools, pins and remembered decisions. Throws HostStoreError when unknown.
  void remove_connector(std::string_view name);
  std::optional<ConnectorSpec> find_connector(std::string_view name) const;
  // Throws HostStoreError naming the connectors there are.
  ConnectorSpec connector(std::string_view name) const;
  std::vector<ConnectorSpec> connectors() const;  // by name
  void set_connector_enabled(std::string_view name, bool enabled);

  // ---- tools and pins ----
  // Known tools of a connector (listed ones first, then removed ones), by name.
  std::vector<ToolRecord> tools(std::string_view connector) const;
  std::optional<ToolRecord> find_tool(std::string_view connector, std::string_view tool) const;
  // Throws HostStoreError when the connector or tool is unknown.
  void set_tool_enabled(std::string_view connector, std::string_view tool, bool enabled);
  // Records a new listing of the connector's tools and returns what changed. On the connector's
  // first listing every tool is accepted. Later, a new tool is accepted too (and reported as
  // added); a tool whose definition differs from its pin keeps the old pin, is reported as
  // changed and loses its remembered decisions; an unlisted tool is marked removed.
  ToolDiff sync_tools(std::string_view connector, const std::vector<ToolInfo>& listed);
  // Accepts the latest definition of one tool, or of every changed tool when `tool` is empty.
  // Returns the names accepted. Throws HostStoreError for an unknown connector or tool.
  std::vector<std::string> accept(std::string_view connector, std::string_view tool = {});

  // ---- policy rules (the stored ones; a --policy file is merged by the caller) ----
  std::vector<PolicyRule> policy_rules() const;
  // Throws PolicyError for a bad rule; adding one that exists is a no-op (returns false).
  bool add_policy_rule(const PolicyRule& rule);
  // False when there was no such rule.
  bool remove_policy_rule(const PolicyRule& rule);

  // ---- conversations ----
  // A new conversation with a fresh id.
  Conversation create_conversation(std::string title, std::vector<std::string> connectors,
                                   bool read_only = false);
  std::optional<Conversation> find_conversation(std::string_view id) const;
  std::vector<Conversation> conversations() const;  // newest first
  void set_conversation_title(std::string_view id, std::string_view title);
  void remove_conversation(std::string_view id);
  // Appends a message; returns its id. Throws HostStoreError for an unknown conversation.
  std::int64_t add_message(const StoredMessage& message);
  std::vector<StoredMessage> messages(std::string_view conversation) const;  // in order
  std::int64_t record_tool_call(const ToolCallRecord& call);
  std::vector<ToolCallRecord> tool_calls(std::string_view conversation) const;
  // "allow for this conversation" / "deny for this conversation".
  void remember_decision(std::string_view conversation, std::string_view connector,
                         std::string_view tool, PolicyAction action);
  std::optional<PolicyAction> remembered_decision(std::string_view conversation,
                                                  std::string_view connector,
                                                  std::string_view tool) const;

  // ---- config (model_url, model, api_key_env, ...) ----
  std::optional<std::string> config(std::string_view key) const;
  void set_config(std::string_view key, std::string_view value);
  std::map<std::string, std::string> all_config() const;

 private:
  std::string path_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace mcpp::host
