// The gateway: upstream MCP servers (stdio children, remote URLs) behind front mcpp::Servers — one
// aggregating every upstream (tools and prompts prefixed, resources by URI) and one per upstream
// (unchanged) — forwarding calls, progress, cancellation, logging, elicitation and sampling, with
// a child per client session (or one shared), restarts with backoff, pinned tool definitions and
// per-tool policy (allow | deny | confirm through an elicitation).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_config.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::gateway {

struct GatewayOptions {
  // The store that pins upstream tool definitions (a host store: src/host/host_store.hpp).
  std::string state_path = "mcpp-gateway.sqlite";
  std::chrono::milliseconds connect_timeout{30'000};
  // Children of sessions that made no call for this long are stopped (and started again on the
  // next call).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  // Environment variables every stdio child gets from the gateway's environment (not secrets:
  // what programs need to run), beside its own `env` and `envPassthrough`.
  std::vector<std::string> base_environment{"PATH",   "HOME", "USER",  "LANG",
                                            "LC_ALL", "TZ",   "TMPDIR"};
  // Log lines: warnings, upstream failures and each child's stderr ("[name] line").
  std::function<void(std::string_view)> log;
};

// Counters for /metrics, per upstream and tool.
struct ToolCallStats {
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;  // JSON-RPC errors and isError results
  // Latency histogram: counts of calls at or under each bound of kLatencyBucketsMs, and the sum.
  std::vector<std::uint64_t> buckets;
  double seconds_sum = 0;
};
inline constexpr double kLatencyBucketsMs[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000};

// Use: construct, discover(), serve aggregate() and mounts() with an HttpServer, attach() the
// HTTP server's executor, run the server; destroy the gateway after the server stopped (its
// children are ended then). The gateway's own work runs on a strand of that executor; its front
// handlers must run on that executor too (the HTTP server's threads = 1).
class Gateway {
 public:
  Gateway(GatewayConfig config, GatewayOptions options = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // The front servers: the aggregate (serve it at /mcp) and one per upstream (serve each at
  // /servers/<name>/mcp: see mounts()).
  Server& aggregate();
  Server* server(std::string_view upstream);
  std::vector<HttpMount> mounts();

  // Lists every upstream once (each child started, listed and stopped, on a private
  // io_context), pins the tool definitions in the state store and registers what may be exposed
  // on the front servers. An upstream that cannot be reached is logged and left out until the
  // next discover(). Blocks; call it before serving.
  void discover();

  // Where calls run from now on: the executor of the HttpServer serving the front servers.
  void attach(boost::asio::any_io_executor executor);

  // Prometheus text exposition of the call counters, children alive and restarts.
  std::string metrics_text() const;
  // Children and connections alive now (all sessions).
  std::size_t upstreams_alive() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpp::gateway
