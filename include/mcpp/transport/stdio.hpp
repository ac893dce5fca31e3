// The stdio transport: newline-delimited JSON-RPC on a pair of file descriptors.
#pragma once

#include "mcpp/server.hpp"

namespace mcpp {

struct StdioOptions {
  int in_fd = 0;
  int out_fd = 1;
  std::size_t max_line_bytes = 16 * 1024 * 1024;
};

// Serves one session on stdin/stdout until the input ends; returns the process exit code (0).
// Nothing but protocol messages is written to out_fd.
int serve_stdio(Server& server, StdioOptions options = {});

}  // namespace mcpp
