// The mcpp command line: `mcpp serve` runs an MCP server over Streamable HTTP (+ legacy SSE) or
// stdio. Argument parsing and printing only; the protocol lives in libmcpp.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <thread>

#include "auth_commands.hpp"
#include "chat_command.hpp"
#include "client_commands.hpp"
#include "connectors_commands.hpp"
#include "fixtures/fixtures.hpp"
#include "gateway_command.hpp"
#include "http_address.hpp"
#include "knowledge/connector.hpp"
#include "knowledge_commands.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"
#include "mcpp/transport/stdio.hpp"
#include "serve_auth_options.hpp"

namespace {

// Stops `server` on SIGINT or SIGTERM. Asio's signal_set turns the signal into a handler call
// on its own thread, so stop() (which takes a lock) never runs inside a signal handler.
class StopOnSignal {
 public:
  explicit StopOnSignal(mcpp::HttpServer& server) : signals_(io_, SIGINT, SIGTERM) {
    signals_.async_wait([&server](const boost::system::error_code& ec, int) {
      if (!ec) server.stop();
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~StopOnSignal() {
    io_.stop();
    thread_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  // The application's choice, not the library's: writing to a peer that went away (the client
  // of `serve --stdio` closing our stdout) is an EPIPE error to report, not a reason to die.
  ::signal(SIGPIPE, SIG_IGN);
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
  serve
      ->add_option("--fixture", fixture,
                   "Serve a built-in server instead of the store: conformance or bench")
      ->check(CLI::IsMember({"conformance", "bench"}));
  serve->add_option("--threads", threads, "Server threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
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
  add_auth_commands(app);    // auth tokens, auth revoke (apps/mcpp/auth_commands.cpp)
  add_client_commands(app);  // tools, resources, prompts, ping (apps/mcpp/client_commands.cpp)
  add_connectors_commands(
      app);                  // connectors, host config|policy (apps/mcpp/connectors_commands.cpp)
  add_chat_command(app);     // chat (apps/mcpp/chat_command.cpp)
  add_gateway_command(app);  // gateway (apps/mcpp/gateway_command.cpp)

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
    std::tie(h.host, h.port) = parse_http_address(http);
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
    StopOnSignal stop_on_signal(server_http);
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
  } catch (const std::exception& e) {
    std::cerr << "mcpp serve: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
