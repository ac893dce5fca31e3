// `mcpp serve --auth ...`: the embedded authorization server (builtin), or tokens of another
// issuer checked as JWTs (jwt) or by introspection (introspect); and `mcpp hash-password`.
#include "serve_auth_options.hpp"

#include <termios.h>
#include <unistd.h>

#include <boost/url/parse.hpp>
#include <iostream>

#include "auth/authz_http.hpp"
#include "auth/password_hash.hpp"
#include "transport/http_security.hpp"

namespace {

bool is_loopback(const std::string& host) {
  return mcpp::is_loopback_host(host);  // the transport's strict definition (DNS rebinding too)
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

void add_serve_auth_options(CLI::App& serve, ServeAuthOptions& o) {
  serve
      .add_option("--auth", o.mode,
                  "Authorization: none, builtin (embedded OAuth server), jwt (tokens of "
                  "--auth-issuer checked with its JWKS) or introspect (RFC 7662)")
      ->check(CLI::IsMember({"none", "builtin", "jwt", "introspect"}))
      ->capture_default_str();
  serve.add_option("--public-url", o.public_url,
                   "Origin clients reach this server at, e.g. https://mcp.example.com (default: "
                   "http(s)://HOST:PORT)");
  serve.add_option("--auth-scope", o.scopes, "A scope clients may ask for (repeatable)");
  serve.add_option("--auth-require-scope", o.required_scopes,
                   "A scope every request's token must carry (repeatable)");
  serve.add_flag("--auth-anonymous", o.anonymous,
                 "Let clients without a token connect, list tools and call public tools");
  serve.add_flag("--insecure-no-auth", o.insecure_no_auth,
                 "Serve a non-loopback address without authorization");
  serve.add_option("--auth-db", o.db, "builtin: the SQLite file of clients and tokens")
      ->capture_default_str();
  serve.add_option("--auth-users", o.users,
                   "builtin: users file (user:hash lines, see `mcpp hash-password`); without it "
                   "a one-time admin sign-in link is printed");
  serve.add_option("--auth-client", o.clients,
                   "builtin: pre-register a public client, ID=REDIRECT_URI (repeatable)");
  serve.add_option("--auth-token-ttl", o.token_ttl, "builtin: access token lifetime, seconds")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve
      .add_option("--auth-grant-days", o.grant_days,
                  "builtin: days a sign-in's refresh tokens keep working, counted from the "
                  "sign-in (then the user signs in again)")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  serve.add_option("--auth-issuer", o.issuer, "jwt/introspect: the authorization server's issuer");
  serve.add_option("--auth-jwks", o.jwks, "jwt: JWKS URL (default: from the issuer's metadata)");
  serve.add_option("--auth-introspect", o.introspect, "introspect: the introspection endpoint");
  serve.add_option("--auth-client-id", o.client_id, "introspect: this server's client id");
  serve.add_option("--auth-client-secret", o.client_secret,
                   "introspect: this server's client secret");
}

ServeAuth setup_serve_auth(const ServeAuthOptions& o, const mcpp::Server& server,
                           mcpp::HttpOptions& http) {
  using namespace mcpp::auth;
  ServeAuth out;
  if (!o.public_url.empty()) {
    auto url = boost::urls::parse_absolute_uri(o.public_url);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || !url->has_authority() ||
        !mcpp::auth::authz::authority_is_whole(*url)) {
      throw std::runtime_error(
          "--public-url wants an origin such as https://mcp.example.com, got " + o.public_url);
    }
    // Behind a tunnel or proxy the Host header is the public name: accept it (and loopback, for
    // local checks) unless the hosts were listed explicitly.
    if (http.allowed_hosts.empty()) {
      http.allowed_hosts = {std::string(url->encoded_host_and_port()), "localhost", "127.0.0.1",
                            "[::1]"};
    }
  }
  if (o.mode == "none") {
    if (!is_loopback(http.host) && !o.insecure_no_auth) {
      throw std::runtime_error("refusing to serve " + http.host +
                               " without authorization: use --auth builtin (or jwt/introspect), or "
                               "--insecure-no-auth if something in front of mcpp checks who calls");
    }
    return out;
  }
  const bool tls = !http.tls_certificate_file.empty();
  std::string origin = o.public_url.empty() ? std::string(tls ? "https://" : "http://") +
                                                  http.host + ":" + std::to_string(http.port)
                                            : strip_slash(o.public_url);
  if (o.public_url.empty() && http.port == 0) {
    throw std::runtime_error("--auth needs a fixed port (or --public-url): tokens name the URL");
  }
  // OAuth endpoints and bearer tokens need TLS, except on loopback (OAuth 2.1 §1.5, the MCP
  // authorization spec): TLS here, or an https public URL (a proxy or tunnel terminates it).
  if (!is_loopback(http.host) && !origin.starts_with("https://")) {
    throw std::runtime_error("--auth on " + http.host +
                             " needs HTTPS: --tls-cert/--tls-key, or --public-url https://... "
                             "when a proxy or tunnel terminates TLS");
  }
  out.resource = origin + http.endpoint;
  // Clients of the legacy HTTP+SSE transport (ChatGPT's "SSE" connectors) name /sse.
  std::string legacy = http.sse_endpoint.empty() ? std::string() : origin + http.sse_endpoint;
  ResourceServerOptions rs;
  rs.resource = out.resource;
  rs.legacy_resource = legacy;
  rs.legacy_messages_path = http.messages_endpoint;
  std::vector<std::string> audiences{out.resource};
  if (!legacy.empty()) audiences.push_back(legacy);
  rs.scopes_supported = o.scopes;
  rs.required_scopes = o.required_scopes;
  rs.allow_anonymous = o.anonymous;
  rs.resource_name = "mcpp";
  if (o.mode == "builtin") {
    AuthorizationServerOptions as;
    as.issuer = origin;
    as.database_path = o.db;
    as.resources = audiences;
    if (!o.scopes.empty()) as.scopes_supported = o.scopes;
    rs.scopes_supported = as.scopes_supported;
    as.users_file = o.users;
    as.access_token_ttl = std::chrono::seconds(o.token_ttl);
    as.grant_lifetime = std::chrono::hours(24) * o.grant_days;
    out.authorization_server = std::make_unique<AuthorizationServer>(as);
    for (const auto& c : o.clients) {
      auto eq = c.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw std::runtime_error("--auth-client wants ID=REDIRECT_URI, got " + c);
      }
      ClientRegistration reg;
      reg.client_id = c.substr(0, eq);
      reg.client_name = reg.client_id;
      reg.redirect_uris = {c.substr(eq + 1)};
      out.authorization_server->register_client(reg);
    }
    rs.authorization_servers = {origin};
    rs.verifier = make_local_verifier(*out.authorization_server, audiences);
    http.routes.push_back(out.authorization_server->route());
  } else {
    if (o.issuer.empty()) throw std::runtime_error("--auth " + o.mode + " needs --auth-issuer");
    for (const std::string& u : {o.issuer, o.jwks, o.introspect}) {
      auto url = boost::urls::parse_absolute_uri(u);
      if (u.empty()) continue;
      bool ok = url && mcpp::auth::authz::authority_is_whole(*url) &&
                (url->scheme() == "https" ||
                 (url->scheme() == "http" && is_loopback(std::string(url->host()))));
      if (!ok) {
        throw std::runtime_error(u +
                                 ": the authorization server must be reached over https "
                                 "(http only on loopback)");
      }
    }
    rs.authorization_servers = {o.issuer};
    if (o.mode == "jwt") {
      JwtVerifierOptions v;
      v.issuer = o.issuer;
      v.audiences = audiences;
      v.jwks_uri = o.jwks;
      rs.verifier = make_jwt_verifier(std::move(v));
    } else {
      if (o.introspect.empty()) {
        throw std::runtime_error("--auth introspect needs --auth-introspect URL");
      }
      IntrospectionOptions v;
      v.endpoint = o.introspect;
      v.issuer = o.issuer;
      v.audiences = audiences;
      v.client_id = o.client_id;
      v.client_secret = o.client_secret;
      rs.verifier = make_introspection_verifier(std::move(v));
    }
  }
  out.resource_server = std::make_unique<ResourceServer>(server, std::move(rs));
  out.resource_server->install(http);
  return out;
}

void add_hash_password_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("hash-password",
                                 "Read a password on stdin and print a users-file line USER:HASH");
  auto user = std::make_shared<std::string>();
  cmd->add_option("user", *user, "The user name")->required();
  cmd->callback([user] {
    std::string password;
    if (isatty(STDIN_FILENO)) {
      // Typed at a terminal: no echo.
      std::cerr << "password: " << std::flush;
      termios saved{};
      tcgetattr(STDIN_FILENO, &saved);
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
      std::getline(std::cin, password);
      tcsetattr(STDIN_FILENO, TCSANOW, &saved);
      std::cerr << "\n";
    } else {
      std::getline(std::cin, password);
    }
    if (password.empty()) throw CLI::ValidationError("hash-password", "empty password");
    std::cout << *user << ":" << mcpp::auth::hash_password(password) << "\n";
    throw CLI::RuntimeError(0);  // done: do not go on to serve
  });
}
