// HostStore on the shared SQLite wrappers: schema (versioned with user_version), connectors,
// tools and their pins, policy rules, conversations and config. Connector validation and the
// resolution of `env:NAME` secrets live here too.
#include "host/host_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <set>
#include <variant>

#include "auth/crypto.hpp"
#include "jsonrpc/message.hpp"
#include "sqlite/database.hpp"

namespace mcpp::host {
namespace {

using sqlite::CachedStatement;
using sqlite::Statement;
using sqlite::Transaction;

constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE IF NOT EXISTS connectors(
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  icon TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  transport TEXT NOT NULL DEFAULT 'auto',
  command TEXT NOT NULL DEFAULT '',
  args TEXT NOT NULL DEFAULT '[]',
  env TEXT NOT NULL DEFAULT '{}',
  cwd TEXT NOT NULL DEFAULT '',
  auth TEXT NOT NULL DEFAULT 'none',
  headers TEXT NOT NULL DEFAULT '[]',
  enabled INTEGER NOT NULL DEFAULT 1,
  trusted INTEGER NOT NULL DEFAULT 1,
  use_instructions INTEGER,
  created_ms INTEGER NOT NULL,
  first_listed_ms INTEGER
);
CREATE TABLE IF NOT EXISTS tools(
  connector TEXT NOT NULL REFERENCES connectors(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  accepted_definition TEXT NOT NULL,
  accepted_hash TEXT NOT NULL,
  latest_definition TEXT NOT NULL,
  latest_hash TEXT NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(connector, name)
);
CREATE TABLE IF NOT EXISTS policy_rules(
  pattern TEXT NOT NULL,
  action TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(pattern, action)
);
CREATE TABLE IF NOT EXISTS conversations(
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  connectors TEXT NOT NULL DEFAULT '[]',
  read_only INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  tool_calls TEXT NOT NULL DEFAULT '',
  tool_call_id TEXT NOT NULL DEFAULT '',
  time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation, id);
CREATE TABLE IF NOT EXISTS tool_calls(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  connector TEXT NOT NULL,
  tool TEXT NOT NULL,
  arguments TEXT NOT NULL DEFAULT '{}',
  result TEXT NOT NULL DEFAULT '',
  is_error INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  decision TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_calls_by_conversation ON tool_calls(conversation, id);
CREATE TABLE IF NOT EXISTS remembered_decisions(
  conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  connector TEXT NOT NULL,
  tool TEXT NOT NULL,
  action TEXT NOT NULL,
  PRIMARY KEY(conversation, connector, tool)
);
CREATE TABLE IF NOT EXISTS config(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
PRAGMA user_version = 1;
)SQL";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::value parse_json(std::string_view text) {
  auto parsed = jsonrpc::parse(text);
  if (auto* v = std::get_if<json::value>(&parsed)) return std::move(*v);
  return nullptr;
}

json::object parse_object(std::string_view text) {
  json::value v = parse_json(text);
  return v.is_object() ? std::move(v.get_object()) : json::object{};
}

// mkdir -p, the folders it creates 0700.
void make_private_dirs(const std::string& dir) {
  if (dir.empty()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return;
  auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) make_private_dirs(dir.substr(0, slash));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw HostStoreError("cannot create the folder " + dir + " for the host store");
  }
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name.find("__") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool valid_icon(std::string_view icon, std::string& why) {
  if (icon.empty()) return true;
  if (icon.size() > 256 * 1024) {
    why = "it is larger than 256 KiB";
    return false;
  }
  if (icon.starts_with("https://")) {
    std::string_view rest = icon.substr(8);
    if (rest.empty() || rest.front() == '/') {
      why = "the URL has no host";
      return false;
    }
    for (char c : icon) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' ||
          c == '\\') {
        why = "the URL holds a space, a control character or one of \"<>\\";
        return false;
      }
    }
    return true;
  }
  if (icon.starts_with("data:")) {
    auto comma = icon.find(',');
    if (comma == std::string_view::npos) {
      why = "the data: URI has no ','";
      return false;
    }
    std::string_view head = icon.substr(5, comma - 5);
    static const std::set<std::string_view> kTypes{"image/png;base64", "image/jpeg;base64",
                                                   "image/gif;base64", "image/webp;base64",
                                                   "image/svg+xml;base64"};
    if (!kTypes.contains(head)) {
      why = "a data: icon must be base64 PNG, JPEG, GIF, WebP or SVG (data:image/png;base64,...)";
      return false;
    }
    std::string_view data = icon.substr(comma + 1);
    bool base64 = !data.empty() && std::all_of(data.begin(), data.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '+' || c == '/' || c == '=';
    });
    if (!base64) {
      why = "the data: URI's payload is not base64";
      return false;
    }
    return true;
  }
  why = "it must be an https:// URL or a data:image/...;base64, URI";
  return false;
}

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

std::string args_json(const std::vector<std::string>& args) {
  json::array a;
  for (const auto& s : args) a.emplace_back(s);
  return json::serialize(a);
}

std::string env_json(const std::map<std::string, std::string>& env) {
  json::object o;
  for (const auto& [k, v] : env) o[k] = v;
  return json::serialize(o);
}

std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers) {
  json::array a;
  for (const auto& [k, v] : headers) a.push_back(json::array{json::string(k), json::string(v)});
  return json::serialize(a);
}

constexpr const char* kConnectorColumns =
    "name, description, icon, url, transport, command, args, env, cwd, auth, headers, enabled, "
    "trusted, use_instructions";

ConnectorSpec read_connector(const Statement& s) {
  ConnectorSpec c;
  c.name = s.text(0);
  c.description = s.text(1);
  c.icon = s.text(2);
  c.url = s.text(3);
  c.transport = s.text(4);
  c.command = s.text(5);
  json::value args = parse_json(s.text(6));
  if (args.is_array()) {
    for (const auto& a : args.get_array()) {
      if (a.is_string()) c.args.emplace_back(a.get_string());
    }
  }
  for (const auto& [k, v] : parse_object(s.text(7))) {
    if (v.is_string()) c.env[std::string(k)] = std::string(v.get_string());
  }
  c.cwd = s.text(8);
  c.auth = s.text(9);
  json::value headers = parse_json(s.text(10));
  if (headers.is_array()) {
    for (const auto& h : headers.get_array()) {
      if (h.is_array() && h.get_array().size() == 2 && h.get_array()[0].is_string() &&
          h.get_array()[1].is_string()) {
        c.headers.emplace_back(h.get_array()[0].get_string(), h.get_array()[1].get_string());
      }
    }
  }
  c.enabled = s.integer(11) != 0;
  c.trusted = s.integer(12) != 0;
  if (!s.is_null(13)) c.use_instructions = s.integer(13) != 0;
  return c;
}

ToolRecord read_tool(const Statement& s) {
  ToolRecord t;
  t.connector = s.text(0);
  t.name = s.text(1);
  t.enabled = s.integer(2) != 0;
  t.accepted = parse_object(s.text(3));
  t.accepted_hash = s.text(4);
  t.latest = parse_object(s.text(5));
  t.latest_hash = s.text(6);
  t.removed = s.integer(7) != 0;
  return t;
}

constexpr const char* kToolColumns =
    "connector, name, enabled, accepted_definition, accepted_hash, latest_definition, "
    "latest_hash, removed";

Conversation read_conversation(const Statement& s) {
  Conversation c;
  c.id = s.text(0);
  c.title = s.text(1);
  c.created_ms = s.integer(2);
  json::value names = parse_json(s.text(3));
  if (names.is_array()) {
    for (const auto& n : names.get_array()) {
      if (n.is_string()) c.connectors.emplace_back(n.get_string());
    }
  }
  c.read_only = s.integer(4) != 0;
  return c;
}

}  // namespace

// ---- ConnectorSpec ----------------------------------------------------------------------------

std::string ConnectorSpec::where() const {
  if (!is_stdio()) return url;
  std::string line = command;
  for (const auto& a : args) line += " " + a;
  return line;
}

json::object ConnectorSpec::to_json() const {
  json::object o;
  o["name"] = name;
  o["description"] = description;
  o["icon"] = icon;
  if (is_stdio()) {
    o["command"] = command;
    o["args"] = parse_json(args_json(args));
    o["env"] = parse_object(env_json(env));  // values as stored: env:NAME, never resolved
    o["cwd"] = cwd;
  } else {
    o["url"] = url;
    o["transport"] = transport;
    o["auth"] = auth;
    json::object h;
    for (const auto& [k, v] : headers) h[k] = v;
    o["headers"] = std::move(h);
  }
  o["enabled"] = enabled;
  o["trusted"] = trusted;
  o["use_instructions"] = uses_instructions();
  return o;
}

ConnectorSpec connector_spec_of(const ServerConfigEntry& entry) {
  ConnectorSpec spec;
  spec.name = entry.name;
  spec.command = entry.command;
  spec.args = entry.args;
  spec.env = entry.env;
  spec.cwd = entry.cwd;
  spec.url = entry.url;
  spec.transport = entry.transport;
  spec.headers = entry.headers;
  spec.auth = spec.headers.empty() ? "none" : "headers";
  return spec;
}

void validate_connector(const ConnectorSpec& spec) {
  const std::string who = "connector '" + spec.name + "'";
  if (!valid_name(spec.name)) {
    throw HostStoreError("bad connector name '" + spec.name +
                         "': use 1 to 32 of a-z A-Z 0-9 _ - (no \"__\", which separates the "
                         "connector from the tool in the names the model sees)");
  }
  std::string why;
  if (!valid_icon(spec.icon, why)) throw HostStoreError("bad icon for " + who + ": " + why);
  if (spec.command.empty() == spec.url.empty()) {
    throw HostStoreError(who + " needs either a URL or a command (not both)");
  }
  if (!spec.url.empty()) {
    auto parsed = boost::urls::parse_absolute_uri(spec.url);
    bool ok = parsed && (parsed->scheme() == "http" || parsed->scheme() == "https") &&
              parsed->has_authority() && !parsed->host().empty() &&
              (!parsed->has_port() || (!parsed->port().empty() && parsed->port_number() != 0));
    if (!ok) {
      throw HostStoreError(who + ": '" + spec.url +
                           "' is not an http:// or https:// URL with a host (and a port, when "
                           "there is a ':')");
    }
  }
  if (spec.transport != "auto" && spec.transport != "streamable-http" && spec.transport != "sse") {
    throw HostStoreError(who + ": unknown transport '" + spec.transport +
                         "' (expected auto, streamable-http or sse)");
  }
  if (spec.auth != "none" && spec.auth != "oauth" && spec.auth != "headers") {
    throw HostStoreError(who + ": unknown auth '" + spec.auth +
                         "' (expected none, oauth or headers)");
  }
  if (spec.is_stdio() && (spec.auth == "oauth" || !spec.headers.empty())) {
    throw HostStoreError(who + ": OAuth and headers are for URL connectors, not commands");
  }
  if (spec.auth == "headers" && spec.headers.empty()) {
    throw HostStoreError(who + ": auth 'headers' needs at least one header");
  }
  for (const auto& [k, v] : spec.headers) {
    if (!valid_header_name(k)) throw HostStoreError(who + ": bad header name '" + k + "'");
    if (v.find_first_of("\r\n") != std::string::npos) {
      throw HostStoreError(who + ": header " + k + " holds a line break");
    }
  }
  for (const auto& [k, v] : spec.env) {
    if (k.empty() || k.find('=') != std::string::npos) {
      throw HostStoreError(who + ": bad environment variable name '" + k + "'");
    }
  }
}

std::string resolve_secret(std::string_view value, std::string_view what) {
  auto lookup = [&](std::string_view name) {
    std::string n(name);
    const char* v = n.empty() ? nullptr : std::getenv(n.c_str());
    if (!v) {
      throw HostStoreError("the environment variable " + n + " is not set (" + std::string(what) +
                           " is env:" + n + "); set it, or change the connector");
    }
    return std::string(v);
  };
  if (value.starts_with("env:")) return lookup(value.substr(4));
  // ${env:NAME} inside a value (VS Code's syntax), e.g. "Bearer ${env:GITHUB_TOKEN}".
  std::string out;
  std::size_t pos = 0;
  while (true) {
    auto start = value.find("${env:", pos);
    if (start == std::string_view::npos) break;
    auto end = value.find('}', start);
    if (end == std::string_view::npos) break;
    out.append(value.substr(pos, start - pos));
    out += lookup(value.substr(start + 6, end - start - 6));
    pos = end + 1;
  }
  out.append(value.substr(pos));
  return out;
}

bool ToolRecord::read_only_hint() const {
  const json::value* annotations = find(accepted, "annotations");
  const json::value* hint = annotations ? find(*annotations, "readOnlyHint") : nullptr;
  return hint && hint->is_bool() && hint->get_bool();
}

// ---- HostStore --------------------------------------------------------------------------------

std::string HostStore::default_path() {
  if (const char* p = std::getenv("MCPP_HOST_DB"); p && *p) return p;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    return std::string(x) + "/mcpp/host.sqlite";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.local/share/mcpp/host.sqlite";
  }
  return "host.sqlite";
}

HostStore::HostStore(const std::string& path) : path_(path) {
  if (path != ":memory:") {
    auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) make_private_dirs(path.substr(0, slash));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw HostStoreError("cannot open the host store " + path);
    ::close(fd);
  }
  db_ = std::make_unique<sqlite::Database>(path);
  db_->exec("PRAGMA foreign_keys = ON");
  std::int64_t version = 0;
  {
    Statement s(*db_, "PRAGMA user_version");
    if (s.step()) version = s.integer(0);
  }
  if (version > kHostStoreSchemaVersion) {
    throw HostStoreError("the host store " + path + " was written by a newer mcpp (schema " +
                         std::to_string(version) + ", this one knows " +
                         std::to_string(kHostStoreSchemaVersion) + ")");
  }
  db_->exec(kSchemaV1);
}

HostStore::~HostStore() = default;

std::string HostStore::token_store_path() const {
  auto slash = path_.rfind('/');
  return (slash == std::string::npos ? std::string() : path_.substr(0, slash + 1)) + "tokens.json";
}

void HostStore::add_connector(const ConnectorSpec& spec) {
  validate_connector(spec);
  Transaction tx(*db_);
  if (find_connector(spec.name)) {
    throw HostStoreError("a connector named '" + spec.name +
                         "' exists already (remove it first, or choose another name)");
  }
  Statement s(*db_,
              "INSERT INTO connectors(name, description, icon, url, transport, command, args, env, "
              "cwd, auth, headers, enabled, trusted, use_instructions, created_ms) "
              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(spec.name)
      .bind(spec.description)
      .bind(spec.icon)
      .bind(spec.url)
      .bind(spec.transport)
      .bind(spec.command)
      .bind(args_json(spec.args))
      .bind(env_json(spec.env))
      .bind(spec.cwd)
      .bind(spec.auth)
      .bind(headers_json(spec.headers))
      .bind(std::int64_t{spec.enabled})
      .bind(std::int64_t{spec.trusted});
  if (spec.use_instructions) {
    s.bind(std::int64_t{*spec.use_instructions});
  } else {
    s.bind_null();
  }
  s.bind(now_ms()).run();
  tx.commit();
}

void HostStore::update_connector(const ConnectorSpec& spec) {
  validate_connector(spec);
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "UPDATE connectors SET description=?, icon=?, url=?, transport=?, command=?, args=?, "
              "env=?, cwd=?, auth=?, headers=?, enabled=?, trusted=?, use_instructions=? "
              "WHERE name=?");
  s.bind(spec.description)
      .bind(spec.icon)
      .bind(spec.url)
      .bind(spec.transport)
      .bind(spec.command)
      .bind(args_json(spec.args))
      .bind(env_json(spec.env))
      .bind(spec.cwd)
      .bind(spec.auth)
      .bind(headers_json(spec.headers))
      .bind(std::int64_t{spec.enabled})
      .bind(std::int64_t{spec.trusted});
  if (spec.use_instructions) {
    s.bind(std::int64_t{*spec.use_instructions});
  } else {
    s.bind_null();
  }
  s.bind(spec.name).run();
  if (db_->changes() == 0) connector(spec.name);  // throws the "no such connector" error
}

void HostStore::remove_connector(std::string_view name) {
  Transaction tx(*db_);
  connector(name);
  Statement(*db_, "DELETE FROM remembered_decisions WHERE connector=?").bind(name).run();
  Statement(*db_, "DELETE FROM tools WHERE connector=?").bind(name).run();
  Statement(*db_, "DELETE FROM connectors WHERE name=?").bind(name).run();
  tx.commit();
}

std::optional<ConnectorSpec> HostStore::find_connector(std::string_view name) const {
  std::lock_guard lock(db_->mutex());
  Statement s(
      *db_, (std::string("SELECT ") + kConnectorColumns + " FROM connectors WHERE name=?").c_str());
  s.bind(name);
  if (!s.step()) return std::nullopt;
  return read_connector(s);
}

ConnectorSpec HostStore::connector(std::string_view name) const {
  if (auto c = find_connector(name)) return *c;
  std::string names;
  for (const auto& c : connectors()) names += (names.empty() ? "" : ", ") + c.name;
  throw HostStoreError("no connector named '" + std::string(name) + "' (" +
                       (names.empty() ? std::string("there are none; add one with `mcpp "
                                                    "connectors add`")
                                      : "there are: " + names) +
                       ")");
}

std::vector<ConnectorSpec> HostStore::connectors() const {
  std::lock_guard lock(db_->mutex());
  Statement s(
      *db_,
      (std::string("SELECT ") + kConnectorColumns + " FROM connectors ORDER BY name").c_str());
  std::vector<ConnectorSpec> out;
  while (s.step()) out.push_back(read_connector(s));
  return out;
}

void HostStore::set_connector_enabled(std::string_view name, bool enabled) {
  std::lock_guard lock(db_->mutex());
  Statement(*db_, "UPDATE connectors SET enabled=? WHERE name=?")
      .bind(std::int64_t{enabled})
      .bind(name)
      .run();
  if (db_->changes() == 0) connector(name);
}

std::vector<ToolRecord> HostStore::tools(std::string_view connector) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, (std::string("SELECT ") + kToolColumns +
                     " FROM tools WHERE connector=? ORDER BY removed, name")
                        .c_str());
  s.bind(connector);
  std::vector<ToolRecord> out;
  while (s.step()) out.push_back(read_tool(s));
  return out;
}

std::optional<ToolRecord> HostStore::find_tool(std::string_view connector,
                                               std::string_view tool) const {
  std::lock_guard lock(db_->mutex());
  Statement s(
      *db_,
      (std::string("SELECT ") + kToolColumns + " FROM tools WHERE connector=? AND name=?").c_str());
  s.bind(connector).bind(tool);
  if (!s.step()) return std::nullopt;
  return read_tool(s);
}

void HostStore::set_tool_enabled(std::string_view connector_name, std::string_view tool,
                                 bool enabled) {
  std::lock_guard lock(db_->mutex());
  connector(connector_name);
  Statement(*db_, "UPDATE tools SET enabled=? WHERE connector=? AND name=?")
      .bind(std::int64_t{enabled})
      .bind(connector_name)
      .bind(tool)
      .run();
  if (db_->changes() == 0) {
    std::string names;
    for (const auto& t : tools(connector_name)) names += (names.empty() ? "" : ", ") + t.name;
    throw HostStoreError("connector '" + std::string(connector_name) + "' has no tool '" +
                         std::string(tool) + "' (" +
                         (names.empty() ? std::string("no tools known yet: run `mcpp connectors "
                                                      "refresh " +
                                                      std::string(connector_name) + "`")
                                        : "it has: " + names) +
                         ")");
  }
}

ToolDiff HostStore::sync_tools(std::string_view connector_name,
                               const std::vector<ToolInfo>& listed) {
  Transaction tx(*db_);
  connector(connector_name);
  ToolDiff diff;
  diff.connector = std::string(connector_name);
  std::map<std::string, ToolRecord> known;
  for (auto& t : tools(connector_name)) known.emplace(t.name, std::move(t));
  std::set<std::string> seen;
  for (const auto& tool : listed) {
    if (!seen.insert(tool.name).second) continue;  // a duplicate name: the first one counts
    json::object def = tool_definition(tool);
    std::string text = canonical_json(def);
    std::string hash = definition_hash(def);
    auto it = known.find(tool.name);
    if (it == known.end()) {
      Statement(*db_,
                "INSERT INTO tools(connector, name, accepted_definition, accepted_hash, "
                "latest_definition, latest_hash) VALUES(?,?,?,?,?,?)")
          .bind(connector_name)
          .bind(tool.name)
          .bind(text)
          .bind(hash)
          .bind(text)
          .bind(hash)
          .run();
      diff.added.push_back(tool.name);
      continue;
    }
    const ToolRecord& old = it->second;
    if (old.latest_hash != hash) {
      // A new definition: the person's remembered decisions were about the old one.
      Statement(*db_, "DELETE FROM remembered_decisions WHERE connector=? AND tool=?")
          .bind(connector_name)
          .bind(tool.name)
          .run();
    }
    Statement(*db_,
              "UPDATE tools SET latest_definition=?, latest_hash=?, removed=0 "
              "WHERE connector=? AND name=?")
        .bind(text)
        .bind(hash)
        .bind(connector_name)
        .bind(tool.name)
        .run();
    if (hash != old.accepted_hash) {
      diff.changed.push_back({tool.name, describe_tool_change(old.accepted, def)});
    } else if (old.removed) {
      diff.added.push_back(tool.name);
    }
  }
  for (const auto& [name, record] : known) {
    if (record.removed || seen.contains(name)) continue;
    Statement(*db_, "UPDATE tools SET removed=1 WHERE connector=? AND name=?")
        .bind(connector_name)
        .bind(name)
        .run();
    diff.removed.push_back(name);
  }
  Statement(*db_, "UPDATE connectors SET first_listed_ms=coalesce(first_listed_ms, ?) WHERE name=?")
      .bind(now_ms())
      .bind(connector_name)
      .run();
  tx.commit();
  std::sort(diff.added.begin(), diff.added.end());
  return diff;
}

std::vector<std::string> HostStore::accept(std::string_view connector_name, std::string_view tool) {
  Transaction tx(*db_);
  connector(connector_name);
  std::vector<std::string> accepted;
  if (!tool.empty() && !find_tool(connector_name, tool)) {
    throw HostStoreError("connector '" + std::string(connector_name) + "' has no tool '" +
                         std::string(tool) + "'");
  }
  for (const auto& t : tools(connector_name)) {
    if (!tool.empty() && t.name != tool) continue;
    if (!t.changed()) continue;
    Statement(*db_,
              "UPDATE tools SET accepted_definition=latest_definition, accepted_hash=latest_hash "
              "WHERE connector=? AND name=?")
        .bind(connector_name)
        .bind(t.name)
        .run();
    accepted.push_back(t.name);
  }
  tx.commit();
  return accepted;
}

std::vector<PolicyRule> HostStore::policy_rules() const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, "SELECT pattern, action FROM policy_rules ORDER BY created_ms, rowid");
  std::vector<PolicyRule> out;
  while (s.step()) {
    auto action = parse_policy_action(s.text(1));
    if (action) out.push_back(PolicyRule{s.text(0), *action, "store"});
  }
  return out;
}

bool HostStore::add_policy_rule(const PolicyRule& rule) {
  PolicyRule checked = parse_policy_rule(rule.text());  // throws PolicyError for a bad one
  std::lock_guard lock(db_->mutex());
  Statement(*db_, "INSERT OR IGNORE INTO policy_rules(pattern, action, created_ms) VALUES(?,?,?)")
      .bind(checked.pattern)
      .bind(to_string(checked.action))
      .bind(now_ms())
      .run();
  return db_->changes() > 0;
}

bool HostStore::remove_policy_rule(const PolicyRule& rule) {
  std::lock_guard lock(db_->mutex());
  Statement(*db_, "DELETE FROM policy_rules WHERE pattern=? AND action=?")
      .bind(rule.pattern)
      .bind(to_string(rule.action))
      .run();
  return db_->changes() > 0;
}

Conversation HostStore::create_conversation(std::string title, std::vector<std::string> connectors,
                                            bool read_only) {
  Conversation c;
  c.id = auth::random_token(12);
  c.title = std::move(title);
  c.created_ms = now_ms();
  c.connectors = std::move(connectors);
  c.read_only = read_only;
  std::lock_guard lock(db_->mutex());
  Statement(*db_,
            "INSERT INTO conversations(id, title, created_ms, connectors, read_only) "
            "VALUES(?,?,?,?,?)")
      .bind(c.id)
      .bind(c.title)
      .bind(c.created_ms)
      .bind(args_json(c.connectors))
      .bind(std::int64_t{c.read_only})
      .run();
  return c;
}

std::optional<Conversation> HostStore::find_conversation(std::string_view id) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "SELECT id, title, created_ms, connectors, read_only FROM conversations WHERE id=?");
  s.bind(id);
  if (!s.step()) return std::nullopt;
  return read_conversation(s);
}

std::vector<Conversation> HostStore::conversations() const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "SELECT id, title, created_ms, connectors, read_only FROM conversations "
              "ORDER BY created_ms DESC, rowid DESC");
  std::vector<Conversation> out;
  while (s.step()) out.push_back(read_conversation(s));
  return out;
}

void HostStore::set_conversation_title(std::string_view id, std::string_view title) {
  std::lock_guard lock(db_->mutex());
  Statement(*db_, "UPDATE conversations SET title=? WHERE id=?").bind(title).bind(id).run();
  if (db_->changes() == 0) {
    throw HostStoreError("no conversation '" + std::string(id) + "'");
  }
}

void HostStore::remove_conversation(std::string_view id) {
  std::lock_guard lock(db_->mutex());
  Statement(*db_, "DELETE FROM conversations WHERE id=?").bind(id).run();
}

std::int64_t HostStore::add_message(const StoredMessage& m) {
  std::lock_guard lock(db_->mutex());
  if (!find_conversation(m.conversation)) {
    throw HostStoreError("no conversation '" + m.conversation + "'");
  }
  Statement(*db_,
            "INSERT INTO messages(conversation, role, content, tool_calls, tool_call_id, time_ms) "
            "VALUES(?,?,?,?,?,?)")
      .bind(m.conversation)
      .bind(m.role)
      .bind(m.content)
      .bind(m.tool_calls)
      .bind(m.tool_call_id)
      .bind(m.time_ms ? m.time_ms : now_ms())
      .run();
  return sqlite3_last_insert_rowid(db_->handle());
}

std::vector<StoredMessage> HostStore::messages(std::string_view conversation) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "SELECT id, conversation, role, content, tool_calls, tool_call_id, time_ms "
              "FROM messages WHERE conversation=? ORDER BY id");
  s.bind(conversation);
  std::vector<StoredMessage> out;
  while (s.step()) {
    out.push_back(StoredMessage{s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                                s.integer(6)});
  }
  return out;
}

std::int64_t HostStore::record_tool_call(const ToolCallRecord& c) {
  std::lock_guard lock(db_->mutex());
  if (!find_conversation(c.conversation)) {
    throw HostStoreError("no conversation '" + c.conversation + "'");
  }
  Statement(*db_,
            "INSERT INTO tool_calls(conversation, connector, tool, arguments, result, is_error, "
            "duration_ms, decision, decided_by, time_ms) VALUES(?,?,?,?,?,?,?,?,?,?)")
      .bind(c.conversation)
      .bind(c.connector)
      .bind(c.tool)
      .bind(c.arguments)
      .bind(c.result)
      .bind(std::int64_t{c.is_error})
      .bind(c.duration_ms)
      .bind(c.decision)
      .bind(c.decided_by)
      .bind(c.time_ms ? c.time_ms : now_ms())
      .run();
  return sqlite3_last_insert_rowid(db_->handle());
}

std::vector<ToolCallRecord> HostStore::tool_calls(std::string_view conversation) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "SELECT id, conversation, connector, tool, arguments, result, is_error, "
              "duration_ms, decision, decided_by, time_ms FROM tool_calls WHERE conversation=? "
              "ORDER BY id");
  s.bind(conversation);
  std::vector<ToolCallRecord> out;
  while (s.step()) {
    out.push_back(ToolCallRecord{s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4),
                                 s.text(5), s.integer(6) != 0, s.integer(7), s.text(8), s.text(9),
                                 s.integer(10)});
  }
  return out;
}

void HostStore::remember_decision(std::string_view conversation, std::string_view connector,
                                  std::string_view tool, PolicyAction action) {
  if (action == PolicyAction::kAsk) {
    throw HostStoreError("a remembered decision is allow or deny, not ask");
  }
  std::lock_guard lock(db_->mutex());
  if (!find_conversation(conversation)) {
    throw HostStoreError("no conversation '" + std::string(conversation) + "'");
  }
  Statement(*db_,
            "INSERT INTO remembered_decisions(conversation, connector, tool, action) "
            "VALUES(?,?,?,?) ON CONFLICT(conversation, connector, tool) "
            "DO UPDATE SET action=excluded.action")
      .bind(conversation)
      .bind(connector)
      .bind(tool)
      .bind(to_string(action))
      .run();
}

std::optional<PolicyAction> HostStore::remembered_decision(std::string_view conversation,
                                                           std::string_view connector,
                                                           std::string_view tool) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_,
              "SELECT action FROM remembered_decisions WHERE conversation=? AND connector=? "
              "AND tool=?");
  s.bind(conversation).bind(connector).bind(tool);
  if (!s.step()) return std::nullopt;
  return parse_policy_action(s.text(0));
}

std::optional<std::string> HostStore::config(std::string_view key) const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, "SELECT value FROM config WHERE key=?");
  s.bind(key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void HostStore::set_config(std::string_view key, std::string_view value) {
  std::lock_guard lock(db_->mutex());
  Statement(*db_,
            "INSERT INTO config(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
            "value=excluded.value")
      .bind(key)
      .bind(value)
      .run();
}

std::map<std::string, std::string> HostStore::all_config() const {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, "SELECT key, value FROM config ORDER BY key");
  std::map<std::string, std::string> out;
  while (s.step()) out[s.text(0)] = s.text(1);
  return out;
}

}  // namespace mcpp::host
