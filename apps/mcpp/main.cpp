// The mcpp command line: `mcpp serve` runs an MCP server over Streamable HTTP (+ legacy SSE) or
// stdio. Argument parsing and printing only; the protocol lives in libmcpp.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <thread>

#include "auth_commands.hpp"
#include "client_commands.hpp"
#include "fixtures/fixtures.hpp"
#include "knowledge/connector.hpp"
#include "knowledge_commands.hpp"
#include "serve_auth_options.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"
#include "mcpp/transport/stdio.hpp"

namespace {

// Splits "HOST:PORT" (HOST may be "[v6]"); throws CLI::ValidationError when malformed.
std::pair<std::string, std::uint16_t> parse_address(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) throw CLI::ValidationError("--http", "expected HOST:PORT, got " + s);
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    port = std::stoul(s.substr(colon + 1));
  } catch (...) {
    port = 70000;
  }
  if (port > 65535) throw CLI::ValidationError("--http", "bad port in " + s);
  if (host.empty()) host = "127.0.0.1";
  return {host, static_cast<std::uint16_t>(port)};
}

mcpp::HttpServer* g_http = nullptr;
extern "C" void on_signal(int) {
  if (g_http) g_http->stop();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mcpp: the Model Context Protocol in C++"};
  app.require_subcommand(1);

  auto* serve = app.add_subcommand("serve", "Run an MCP server");
  std::string http = "127.0.0.1:8080";
  bool use_stdio = false;
  std::string fixture;  // empty: the knowledge store
  int threads = 1;
  std::string tls_cert, tls_key;
  std::vector<std::string> allowed_origins, allowed_hosts;
  bool sse_always = false;
  serve->add_option("--http", http, "Listen on HOST:PORT (endpoint /mcp, legacy SSE at /sse)")
      ->capture_default_str();
  serve->add_flag("--stdio", use_stdio, "Serve one client on stdin/stdout instead of HTTP");
  serve->add_option("--fixture", fixture,
                    "Serve a built-in server instead of the store: conformance or bench")
      ->check(CLI::IsMember({"conformance", "bench"}));
  serve->add_option("--threads", threads, "Server threads")->check(CLI::Range(1, 256))->capture_default_str();
  serve->add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS");
  serve->add_option("--tls-key", tls_key, "PEM private key for --tls-cert");
  serve->add_option("--allow-origin", allowed_origins, "Allowed Origin (repeatable)");
  serve->add_option("--allow-host", allowed_hosts, "Allowed Host header value (repeatable)");
  serve->add_flag("--sse-responses", sse_always, "Answer every request as an SSE stream");
  ServeAuthOptions auth;
  add_serve_auth_options(*serve, auth);
  KnowledgeServeOptions knowledge;
  add_knowledge_serve_options(*serve, knowledge);  // apps/mcpp/knowledge_commands.cpp
  add_knowledge_commands(app);                     // index, audit
  add_hash_password_command(app);
  add_auth_commands(app);  // auth tokens, auth revoke (apps/mcpp/auth_commands.cpp)
  add_client_commands(app);  // tools, resources, prompts, ping (apps/mcpp/client_commands.cpp)

  CLI11_PARSE(app, argc, argv);

  mcpp::ServerOptions options;
  options.info.name = "mcpp";
  options.info.title = "mcpp";
  options.info.version = "0.1.0";
  options.info.website_url = "https://github.com/mcpp/mcpp";
  if (fixture == "conformance") {
    options.info.name = "mcpp-conformance-fixture";
    options.instructions = "A fixture server for the MCP conformance suite.";
  } else if (fixture == "bench") {
    options.info.name = "mcpp-bench";
  } else {
    options.instructions = mcpp::knowledge::knowledge_instructions();
  }
  mcpp::Server server(options);
  KnowledgeServe knowledge_serve;
  if (fixture == "conformance") {
    mcpp::fixtures::add_conformance(server);
  } else if (fixture == "bench") {
    mcpp::fixtures::add_bench(server);
  } else {
    try {
      prepare_knowledge_auth(knowledge, auth);
      knowledge_serve = setup_knowledge_server(server, knowledge, auth, use_stdio);
    } catch (const std::exception& e) {
      std::cerr << "mcpp serve: " << e.what() << "\n";
      return 1;
    }
  }

  if (use_stdio) return mcpp::serve_stdio(server);

  mcpp::HttpOptions h;
  try {
    std::tie(h.host, h.port) = parse_address(http);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  h.threads = threads;
  h.tls_certificate_file = tls_cert;
  h.tls_private_key_file = tls_key;
  h.allowed_origins = allowed_origins;
  h.allowed_hosts = allowed_hosts;
  h.json_response = !sse_always;
  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "mcpp serve: --tls-cert and --tls-key go together\n";
    return 2;
  }
  try {
    ServeAuth protection = setup_serve_auth(auth, server, h);
    install_rate_limit(knowledge_serve, h);
    mcpp::HttpServer server_http(server, h);
    server_http.listen();
    g_http = &server_http;
    ::signal(SIGINT, on_signal);
    ::signal(SIGTERM, on_signal);
    ::signal(SIGPIPE, SIG_IGN);
    std::cerr << "mcpp: serving " << (tls_cert.empty() ? "http://" : "https://") << h.host << ":"
              << server_http.port() << h.endpoint << " (legacy SSE at " << h.sse_endpoint << ")\n";
    if (protection.resource_server) {
      std::cerr << "mcpp: tokens required for " << protection.resource << "; metadata at "
                << protection.resource_server->metadata_url() << "\n";
    }
    if (protection.authorization_server) {
      std::cerr << "mcpp: authorization server " << protection.authorization_server->issuer()
                << "\n";
      if (auto link = protection.authorization_server->admin_link()) {
        std::cerr << "mcpp: one-time admin sign-in (no --auth-users): " << *link << "\n";
      }
    }
    server_http.run();
    g_http = nullptr;
  } catch (const std::exception& e) {
    std::cerr << "mcpp serve: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
