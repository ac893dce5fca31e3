// `mcpp serve` authorization options: --auth none|builtin|jwt|introspect and their settings,
// turned into an embedded authorization server and/or a resource server on the HTTP options.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "mcpp/auth/authorization_server.hpp"
#include "mcpp/auth/resource_server.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

struct ServeAuthOptions {
  std::string mode = "none";
  std::string public_url;  // the origin clients use (behind a proxy or tunnel)
  std::vector<std::string> scopes;
  std::vector<std::string> required_scopes;
  bool anonymous = false;
  bool insecure_no_auth = false;
  // builtin
  std::string db = "mcpp-auth.sqlite";
  std::string users;
  std::vector<std::string> clients;  // ID=REDIRECT_URI
  int token_ttl = 600;
  int grant_days = 90;  // a sign-in's grant lives this long at most, refreshes included
  // jwt / introspect
  std::string issuer;
  std::string jwks;
  std::string introspect;
  std::string client_id;
  std::string client_secret;
};

// Registers the options on the `serve` subcommand.
void add_serve_auth_options(CLI::App& serve, ServeAuthOptions& o);

// What the options built; lives as long as the HTTP server.
struct ServeAuth {
  std::unique_ptr<mcpp::auth::AuthorizationServer> authorization_server;
  std::unique_ptr<mcpp::auth::ResourceServer> resource_server;
  std::string resource;  // the protected MCP endpoint's URL
};

// Builds the authorization server and the resource server into `http` (whose host, port, TLS
// and endpoint are already set). Throws std::runtime_error with a message for the user.
ServeAuth setup_serve_auth(const ServeAuthOptions& o, const mcpp::Server& server,
                           mcpp::HttpOptions& http);

// `mcpp hash-password`: reads a password (stdin) and prints a users-file line.
void add_hash_password_command(CLI::App& app);
