// `mcpp gateway --config FILE`: parses options, builds the gateway and serves it with the same
// HTTP, TLS and authorization options as `mcpp serve`; `mcpp gateway accept` accepts changed tool
// definitions.
#include "gateway_command.hpp"

#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <memory>

#include "gateway/gateway.hpp"
#include "host/host_store.hpp"
#include "http_address.hpp"
#include "mcpp/transport/http.hpp"
#include "serve_auth_options.hpp"

namespace {

struct GatewayCommandOptions {
  std::string config;
  std::string http = "127.0.0.1:8080";
  std::string state = "mcpp-gateway.sqlite";
  double idle_timeout = 600;
  std::string tls_cert, tls_key;
  std::vector<std::string> allowed_origins, allowed_hosts;
  ServeAuthOptions auth;
  // accept
  std::string accept_server, accept_tool;
};

int run_gateway(const GatewayCommandOptions& o) {
  mcpp::gateway::GatewayConfig config;
  try {
    config = mcpp::gateway::read_gateway_config(o.config);
  } catch (const std::exception& e) {
    std::cerr << "mcpp gateway: " << e.what() << "\n";
    return 2;
  }
  if (config.upstreams.empty()) {
    std::cerr << "mcpp gateway: " << o.config << " has no servers\n";
    return 2;
  }
  mcpp::gateway::GatewayOptions go;
  go.state_path = o.state;
  go.idle_timeout = std::chrono::milliseconds(static_cast<long long>(o.idle_timeout * 1000));
  go.log = [](std::string_view line) { std::cerr << "mcpp gateway: " << line << "\n"; };
  mcpp::HttpOptions h;
  try {
    std::tie(h.host, h.port) = parse_http_address(o.http);
  } catch (const std::exception& e) {
    std::cerr << "mcpp gateway: " << e.what() << "\n";
    return 2;
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "mcpp gateway: --tls-cert and --tls-key go together\n";
    return 2;
  }
  h.threads = 1;  // the gateway's upstream connections live on the server's one thread
  h.tls_certificate_file = o.tls_cert;
  h.tls_private_key_file = o.tls_key;
  h.allowed_origins = o.allowed_origins;
  h.allowed_hosts = o.allowed_hosts;
  try {
    mcpp::gateway::Gateway gateway(std::move(config), go);
    gateway.discover();
    h.mounts = gateway.mounts();
    h.routes.push_back(
        [&gateway](const mcpp::HttpRequestInfo& r) -> mcpp::Task<std::optional<mcpp::HttpReply>> {
          if (r.path != "/metrics" || r.method != "GET") co_return std::nullopt;
          co_return mcpp::HttpReply{
              200, {{"Content-Type", "text/plain; version=0.0.4"}}, gateway.metrics_text()};
        });
    ServeAuth protection = setup_serve_auth(o.auth, gateway.aggregate(), h);
    mcpp::HttpServer http(gateway.aggregate(), h);
    http.listen();
    gateway.attach(http.executor());
    boost::asio::signal_set signals(http.executor(), SIGINT, SIGTERM);
    signals.async_wait([&http](const boost::system::error_code& ec, int) {
      if (!ec) http.stop();
    });
    std::string scheme = o.tls_cert.empty() ? "http://" : "https://";
    std::cerr << "mcpp gateway: serving " << scheme << h.host << ":" << http.port()
              << "/mcp (legacy SSE at /sse); each server alone at /servers/NAME/mcp; metrics at "
                 "/metrics\n";
    if (protection.authorization_server) {
      std::cerr << "mcpp gateway: authorization server "
                << protection.authorization_server->issuer() << "\n";
      if (auto link = protection.authorization_server->admin_link()) {
        std::cerr << "mcpp gateway: one-time admin sign-in (no --auth-users): " << *link << "\n";
      }
    }
    http.run();
  } catch (const std::exception& e) {
    std::cerr << "mcpp gateway: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int run_accept(const GatewayCommandOptions& o) {
  try {
    mcpp::host::HostStore store(o.state);
    std::vector<std::string> accepted = store.accept(o.accept_server, o.accept_tool);
    if (accepted.empty()) {
      std::cout << "nothing to accept: no tool of " << o.accept_server << " changed\n";
    }
    for (const auto& name : accepted) {
      std::cout << "accepted " << o.accept_server << "/" << name << "\n";
    }
    if (!accepted.empty()) {
      std::cout << "restart the gateway (or send it SIGHUP) to expose the accepted tools\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mcpp gateway accept: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_gateway_command(CLI::App& app) {
  auto o = std::make_shared<GatewayCommandOptions>();
  auto* g = app.add_subcommand("gateway",
                               "Serve the MCP servers of an mcpServers config behind one endpoint");
  g->add_option("--config", o->config,
                "mcpServers JSON (Claude Desktop, Cursor, VS Code shapes, plus gateway keys)");
  g->add_option("--http", o->http, "Listen on HOST:PORT")->capture_default_str();
  g->add_option("--state", o->state, "SQLite file pinning the servers' tool definitions")
      ->capture_default_str();
  g->add_option("--idle-timeout", o->idle_timeout,
                "Seconds after which an idle session's children are stopped")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  g->add_option("--tls-cert", o->tls_cert, "PEM certificate chain: serve HTTPS");
  g->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert");
  g->add_option("--allow-origin", o->allowed_origins, "Allowed Origin (repeatable)");
  g->add_option("--allow-host", o->allowed_hosts, "Allowed Host header value (repeatable)");
  add_serve_auth_options(*g, o->auth);
  auto* accept = g->add_subcommand(
      "accept", "Accept the changed definitions of a server's tools (all, or TOOL)");
  accept->add_option("SERVER", o->accept_server, "The server's name in the config")->required();
  accept->add_option("TOOL", o->accept_tool, "One tool (default: every changed one)");
  accept->add_option("--state", o->state, "The gateway's state file")->capture_default_str();
  g->require_subcommand(0, 1);
  g->callback([o, accept] {
    if (accept->parsed()) throw CLI::RuntimeError(run_accept(*o));
    if (o->config.empty()) {
      throw CLI::ValidationError("--config", "mcpp gateway needs --config FILE");
    }
    throw CLI::RuntimeError(run_gateway(*o));
  });
}
