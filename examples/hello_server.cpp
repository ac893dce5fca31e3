// The smallest useful MCP server: one typed tool over stdio (`hello_server`) or HTTP
// (`hello_server --http`, then connect to http://127.0.0.1:8080/mcp).
#include <cstring>

#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"
#include "mcpp/transport/stdio.hpp"

struct Greeting {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Greeting, (), (name))

int main(int argc, char** argv) {
  mcpp::Server server({.info = {.name = "hello", .version = "1.0.0"}});
  server.tool("greet", "Says hello",
              [](const Greeting& g, mcpp::Context&) { return "Hello, " + g.name + "!"; });
  if (argc > 1 && std::strcmp(argv[1], "--http") == 0) {
    mcpp::HttpServer(server, {}).run();
    return 0;
  }
  return mcpp::serve_stdio(server);
}
