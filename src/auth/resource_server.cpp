// The resource server: Protected Resource Metadata (RFC 9728) and the authorizer that checks
// the bearer token of every request to the MCP endpoints, with per-tool scopes and public tools.
#include "mcpp/auth/resource_server.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <set>

namespace mcpp::auth {

namespace {

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    // Header values cannot carry control characters.
    out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out + "\"";
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::value(s));
  return a;
}

// Methods a client may send without a token when anonymous access is allowed: what it needs to
// connect and see the tools (tools/call is judged per tool).
bool anonymous_method(std::string_view method) {
  return method == "initialize" || method == "ping" || method == "server/discover" ||
         method == "tools/list" || method.starts_with("notifications/");
}

// "Bearer <token>" → token; "" when absent; nullopt when malformed or another scheme.
std::optional<std::string> bearer_token(std::string_view header) {
  if (header.empty()) return std::string();
  if (header.size() < 7) return std::nullopt;
  std::string scheme(header.substr(0, 6));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer" || header[6] != ' ') return std::nullopt;
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return std::string(token);
}

}  // namespace

// One protected resource URL of the server and its metadata document.
struct Protected {
  std::string resource;
  std::string path;           // the resource URL's path ("" for the root)
  std::string metadata_path;  // /.well-known/oauth-protected-resource<path>
  std::string metadata_url;
  std::string metadata_body;
};

struct ResourceServer::State {
  const Server& server;
  ResourceServerOptions options;
  Protected primary;
  std::optional<Protected> legacy;

  State(const Server& s, ResourceServerOptions o) : server(s), options(std::move(o)) {
    if (!options.verifier) throw std::invalid_argument("resource server: a verifier is required");
    primary = describe(options.resource);
    if (!options.legacy_resource.empty()) legacy = describe(options.legacy_resource);
  }

  Protected describe(const std::string& resource) const {
    auto url = boost::urls::parse_absolute_uri(resource);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || !url->has_authority() ||
        url->has_fragment()) {
      throw std::invalid_argument("resource server: \"" + resource +
                                  "\" is not an absolute http(s) URL without a fragment");
    }
    Protected p;
    p.resource = resource;
    std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
    p.path = std::string(url->encoded_path());
    while (!p.path.empty() && p.path.back() == '/') p.path.pop_back();
    p.metadata_path = "/.well-known/oauth-protected-resource" + p.path;
    p.metadata_url = origin + p.metadata_path;
    p.metadata_body = json::serialize(document(resource));
    return p;
  }

  // The resource a request to `path` is for.
  const Protected& for_path(std::string_view path) const {
    if (legacy && !path.empty() && (path == legacy->path || path == options.legacy_messages_path)) {
      return *legacy;
    }
    return primary;
  }

  json::object document(const std::string& resource) const {
    json::object m{{"resource", resource},
                   {"authorization_servers", to_array(options.authorization_servers)},
                   {"bearer_methods_supported", json::array{"header"}}};
    if (!options.scopes_supported.empty()) {
      m["scopes_supported"] = to_array(options.scopes_supported);
    }
    if (!options.resource_name.empty()) m["resource_name"] = options.resource_name;
    if (!options.resource_documentation.empty()) {
      m["resource_documentation"] = options.resource_documentation;
    }
    return m;
  }

  // RFC 6750 §3: the challenge, with where to find the metadata and the scopes to ask for.
  HttpReply challenge(int status, std::string_view error, std::string_view description,
                      const std::set<std::string>& scopes, std::string_view path = {}) const {
    const std::string& metadata_url = for_path(path).metadata_url;
    std::string value = "Bearer resource_metadata=" + quoted(metadata_url);
    if (!scopes.empty()) value += ", scope=" + quoted(join(scopes));
    if (!error.empty()) value += ", error=" + quoted(error);
    if (!description.empty()) value += ", error_description=" + quoted(description);
    std::string message = status == 403 ? "Forbidden: " : "Unauthorized: ";
    message += description.empty() ? std::string("a bearer token is required; see ") + metadata_url
                                   : std::string(description);
    HttpReply r;
    r.status = status;
    r.headers = {{"WWW-Authenticate", value}, {"Content-Type", "application/json"}};
    r.body = json::serialize(
        json::object{{"jsonrpc", "2.0"},
                     {"id", nullptr},
                     {"error", json::object{{"code", -32001}, {"message", std::move(message)}}}});
    return r;
  }

  // The scopes a message needs, and whether it may be sent without a token.
  struct Needs {
    std::set<std::string> scopes;
    bool anonymous_ok = true;
  };
  Needs needs_of(const json::value* message) const {
    Needs n;
    n.scopes.insert(options.required_scopes.begin(), options.required_scopes.end());
    if (!message) {
      // A GET stream or a DELETE: carries nothing but what the session already may see.
      n.anonymous_ok = options.allow_anonymous;
      return n;
    }
    auto one = [&](const json::value& m) {
      if (!m.is_object()) return;
      const json::value* method = find(m.get_object(), "method");
      if (!method || !method->is_string()) return;  // a response to a server request
      std::string_view name = method->get_string();
      if (name != "tools/call") {
        if (!anonymous_method(name)) n.anonymous_ok = false;
        return;
      }
      const json::value* params = find(m.get_object(), "params");
      std::string_view tool = params ? find_string(*params, "name") : std::string_view();
      std::shared_ptr<const ToolAccess> access = server.tool_access(tool);
      if (!access) return;  // unknown tools are answered by the server itself
      using Mode = ToolAccess::Mode;
      if (access->mode == Mode::kToken || access->mode == Mode::kServerDefault) {
        n.anonymous_ok = false;
      }
      n.scopes.insert(access->scopes.begin(), access->scopes.end());
    };
    if (message->is_array()) {
      for (const auto& m : message->get_array()) one(m);
    } else {
      one(*message);
    }
    n.anonymous_ok = n.anonymous_ok && options.allow_anonymous;
    return n;
  }

  Task<HttpAuthDecision> authorize(std::string authorization, const json::value* message,
                                   std::string path) const {
    HttpAuthDecision d;
    Needs needs = needs_of(message);
    std::optional<std::string> token = bearer_token(authorization);
    if (!token) {
      HttpReply r =
          challenge(401, "invalid_request", "the Authorization header must be \"Bearer <token>\"",
                    needs.scopes, path);
      r.status = 400;
      d.refusal = std::move(r);
      co_return d;
    }
    if (token->empty()) {
      if (!needs.anonymous_ok) d.refusal = challenge(401, "", "", needs.scopes, path);
      co_return d;
    }
    TokenCheck check = co_await options.verifier->verify(std::move(*token));
    if (!check.info) {
      d.refusal = challenge(401, "invalid_token", check.error, needs.scopes, path);
      co_return d;
    }
    std::set<std::string> missing;
    for (const auto& s : needs.scopes) {
      if (!check.info->has_scope(s)) missing.insert(s);
    }
    if (!missing.empty()) {
      // Step-up: name every scope the operation needs, so one new grant covers it.
      d.refusal = challenge(403, "insufficient_scope",
                            "this request needs the scope(s) " + join(missing), needs.scopes, path);
      co_return d;
    }
    d.auth = std::move(check.info);
    co_return d;
  }
};

namespace {

class Authorizer final : public HttpAuthorizer {
 public:
  explicit Authorizer(std::shared_ptr<const ResourceServer::State> s) : s_(std::move(s)) {}
  Task<HttpAuthDecision> authorize_request(const HttpAuthRequest& request) override {
    // (Locals, not temporaries, next to co_await: GCC 12 mishandles temporaries there.)
    std::string authorization(request.authorization);
    std::string path(request.path);
    try {
      co_return co_await s_->authorize(std::move(authorization), request.message, path);
    } catch (const std::exception&) {
      HttpAuthDecision d;
      d.refusal = s_->challenge(401, "invalid_token", "the token could not be checked", {}, path);
      co_return d;
    }
  }

 private:
  std::shared_ptr<const ResourceServer::State> s_;
};

}  // namespace

ResourceServer::ResourceServer(const Server& server, ResourceServerOptions options)
    : state_(std::make_shared<State>(server, std::move(options))) {}

ResourceServer::~ResourceServer() = default;

void ResourceServer::install(HttpOptions& http) const {
  http.routes.push_back(metadata_route());
  http.authorizer = authorizer();
}

HttpRoute ResourceServer::metadata_route() const {
  std::shared_ptr<const State> s = state_;
  return [s](const HttpRequestInfo& request) -> Task<std::optional<HttpReply>> {
    const Protected* p = nullptr;
    if (request.path == s->primary.metadata_path ||
        request.path == "/.well-known/oauth-protected-resource") {
      p = &s->primary;
    } else if (s->legacy && request.path == s->legacy->metadata_path) {
      p = &*s->legacy;
    }
    if (!p) co_return std::nullopt;
    HttpReply r;
    // Browser-based clients read the metadata across origins.
    r.headers = {{"Access-Control-Allow-Origin", "*"},
                 {"Access-Control-Allow-Methods", "GET, OPTIONS"},
                 {"Access-Control-Allow-Headers", "MCP-Protocol-Version"}};
    if (request.method == "OPTIONS") {
      r.status = 204;
    } else if (request.method != "GET" && request.method != "HEAD") {
      r.status = 405;
      r.headers.emplace_back("Allow", "GET, OPTIONS");
    } else {
      r.headers.emplace_back("Content-Type", "application/json");
      r.headers.emplace_back("Cache-Control", "max-age=3600");
      r.body = p->metadata_body;
    }
    co_return r;
  };
}

std::shared_ptr<HttpAuthorizer> ResourceServer::authorizer() const {
  return std::make_shared<Authorizer>(state_);
}

std::string ResourceServer::metadata_url() const {
  return state_->primary.metadata_url;
}

json::object ResourceServer::metadata() const {
  return state_->document(state_->options.resource);
}

}  // namespace mcpp::auth
