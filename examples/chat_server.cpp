// A small team-chat MCP server over stdio for the host's examples and tests: `list_channels` (a
// read) and `post_message` (a write). Each post appends a line to the file named by CHAT_LOG.
#include <cstdlib>
#include <fstream>
#include <set>

#include "mcpp/server.hpp"
#include "mcpp/transport/stdio.hpp"

struct NoArguments {};
BOOST_DESCRIBE_STRUCT(NoArguments, (), ())
struct Channels {
  std::vector<std::string> channels;
};
BOOST_DESCRIBE_STRUCT(Channels, (), (channels))
struct Post {
  std::string channel;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(Post, (), (channel, text))

int main() {
  const std::set<std::string> channels{"general", "support", "billing"};
  mcpp::Server server({.info = {.name = "chat", .version = "1.0.0"}});
  server.tool("list_channels", "Lists the channels one can post to",
              [&](const NoArguments&, mcpp::Context&) {
                return Channels{{channels.begin(), channels.end()}};
              },
              {.annotations = {.read_only_hint = true}});
  server.tool("post_message", "Posts a message to a channel, seen by everyone in it",
              [&](const Post& p, mcpp::Context&) {
                if (!channels.contains(p.channel)) {
                  return mcpp::ToolResult::error("no channel \"" + p.channel +
                                                 "\"; list_channels shows them");
                }
                if (const char* log = std::getenv("CHAT_LOG")) {
                  std::ofstream(log, std::ios::app) << "#" << p.channel << " " << p.text << "\n";
                }
                return mcpp::ToolResult::text("Posted to #" + p.channel);
              },
              {.annotations = {.read_only_hint = false, .destructive_hint = false}});
  return mcpp::serve_stdio(server);
}
