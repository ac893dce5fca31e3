// An MCP server behind OAuth: tokens from an OpenID Connect provider (ISSUER), checked as JWTs;
// `search` needs no token, `save` needs the scope notes:write. Usage:
//   protected_server https://login.example.com https://mcp.example.com/mcp
#include <iostream>

#include "mcpp/auth/resource_server.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

struct Note {
  std::string text;
};
BOOST_DESCRIBE_STRUCT(Note, (), (text))

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: protected_server ISSUER RESOURCE_URL\n";
    return 2;
  }
  mcpp::Server server({.info = {.name = "notes", .version = "1.0.0"}});
  mcpp::ToolOptions open;  // anyone may search, without signing in
  open.annotations.read_only_hint = true;
  open.access = mcpp::ToolAccess::public_access();
  server.tool(
      "search", "Search the notes",
      [](const Note& n, mcpp::Context&) { return "found: " + n.text; }, open);
  mcpp::ToolOptions scoped;  // saving needs a token with notes:write
  scoped.access = mcpp::ToolAccess::token({"notes:write"});
  server.tool(
      "save", "Save a note",
      [](const Note& n, mcpp::Context& ctx) {
        // The resource server let the call through only with a valid token, so auth() is set.
        return (ctx.auth() ? ctx.auth()->subject : "nobody") + " saved " + n.text;
      },
      scoped);

  mcpp::auth::JwtVerifierOptions jwt{.issuer = argv[1], .audiences = {argv[2]}};
  mcpp::auth::ResourceServer rs(server, {.resource = argv[2],
                                         .authorization_servers = {argv[1]},
                                         .scopes_supported = {"notes:write"},
                                         .allow_anonymous = true,
                                         .verifier = mcpp::auth::make_jwt_verifier(jwt)});
  mcpp::HttpOptions http;
  rs.install(http);
  mcpp::HttpServer(server, http).run();
}
