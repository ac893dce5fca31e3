// Golden protocol transcripts (tests/server/transcripts/*.txt) run against a small fixture server
// over serve() and an in-memory connection pair; then the same transcripts with a connection that
// fails at every N-th operation, checking that the session always ends, serve() returns and no
// session or handler is left behind.
//
// Transcript format, one item per line:
//   # a comment               (and blank lines: ignored)
//   > {json}                  a message the client sends (any text: malformed JSON too)
//   < {json}                  the next message the server must send, compared as a JSON value;
//                             the string "*" matches any value (volatile fields: versions, ids)
// After the last line the runner sends a ping and expects its answer next, so a transcript also
// fails when the server sends something it did not list.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../support/faulty_connection.hpp"
#include "mcpp/connection.hpp"
#include "mcpp/server.hpp"
#include "server/server_access.hpp"
#include "server/server_impl.hpp"

namespace mcpp::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Handlers of the fixture server alive right now (a leak shows as a count above zero).
std::atomic<int> g_live_handlers{0};
struct LiveHandler {
  LiveHandler() { ++g_live_handlers; }
  ~LiveHandler() { --g_live_handlers; }
  LiveHandler(const LiveHandler&) = delete;
  LiveHandler& operator=(const LiveHandler&) = delete;
};

Task<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// The fixture: one of each kind of thing a client can ask for.
std::unique_ptr<Server> fixture_server() {
  ServerOptions o;
  o.info.name = "transcript-fixture";
  auto server = std::make_unique<Server>(o);
  Tool echo;
  echo.name = "echo";
  echo.description = "Echoes its text";
  echo.input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},)"
                                  R"("required":["text"]})")
                          .as_object();
  server->add_tool(echo, [](const json::object& args, Context& ctx) -> Task<ToolResult> {
    LiveHandler live;
    ctx.progress(0.5, 1.0, "halfway");
    co_return ToolResult::text(std::string(args.at("text").as_string()));
  });
  Tool fail;
  fail.name = "fail";
  fail.description = "Always fails";
  server->add_tool(fail, [](const json::object&, Context&) -> Task<ToolResult> {
    LiveHandler live;
    co_return ToolResult::error("it failed, as asked");
  });
  Tool wait;
  wait.name = "wait";
  wait.description = "Runs until cancelled";
  server->add_tool(wait, [](const json::object&, Context& ctx) -> Task<ToolResult> {
    LiveHandler live;
    ctx.progress(0, {}, "waiting");  // tells a client with a progress token it has started
    while (!ctx.cancelled()) co_await sleep_for(5ms);
    co_return ToolResult::text("cancelled");
  });
  Resource greeting;
  greeting.uri = "mem://greeting";
  greeting.name = "greeting";
  greeting.mime_type = "text/plain";
  server->add_resource(
      greeting, [](const std::string& uri, Context&) -> Task<std::vector<json::object>> {
        LiveHandler live;
        co_return std::vector<json::object>{text_contents(uri, "text/plain", "hello")};
      });
  ResourceTemplate notes;
  notes.uri_template = "mem://notes/{id}";
  notes.name = "notes";
  notes.completers["id"] = [](std::string_view partial, const Variables&) {
    std::vector<std::string> out;
    for (std::string id : {"alpha", "beta", "alps"}) {
      if (id.starts_with(partial)) out.push_back(id);
    }
    return out;
  };
  server->add_resource_template(
      notes,
      [](const std::string& uri, const Variables& v, Context&) -> Task<std::vector<json::object>> {
        LiveHandler live;
        co_return std::vector<json::object>{text_contents(uri, "text/plain", "note " + v.at("id"))};
      });
  Prompt greet;
  greet.name = "greet";
  greet.description = "Greets someone";
  greet.arguments.push_back({"name", "", "Who to greet", true, nullptr});
  server->add_prompt(greet, [](const Variables& args, Context&) -> Task<PromptResult> {
    LiveHandler live;
    PromptResult r;
    r.add("user", text_content("Hello, " + args.at("name")));
    co_return r;
  });
  return server;
}

// Sessions (and other listeners) the server still has.
std::size_t live_sessions(Server& server) {
  std::size_t n = 0;
  detail::ServerAccess::impl(server)->for_each_listener([&](ChangeListener&) { ++n; });
  return n;
}

struct Line {
  bool from_client = false;
  std::string text;
  int number = 0;
};

std::vector<Line> load(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<Line> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    if (line.size() < 2 || (line[0] != '>' && line[0] != '<') || line[1] != ' ') {
      ADD_FAILURE() << file << ":" << number << ": a line starts with '> ', '< ' or '#'";
      continue;
    }
    lines.push_back({line[0] == '>', line.substr(2), number});
  }
  return lines;
}

// Whether `actual` matches `expected`, where the string "*" matches anything. On a mismatch,
// `where` says the path to it.
bool matches(const json::value& expected, const json::value& actual, std::string& where) {
  if (expected.is_string() && expected.get_string() == "*") return true;
  if (expected.is_object() && actual.is_object()) {
    const auto& e = expected.get_object();
    const auto& a = actual.get_object();
    for (const auto& [k, v] : e) {
      const json::value* got = a.if_contains(k);
      if (!got) {
        where = "." + std::string(k) + " missing";
        return false;
      }
      if (!matches(v, *got, where)) {
        where = "." + std::string(k) + where;
        return false;
      }
    }
    for (const auto& [k, v] : a) {
      if (!e.contains(k)) {
        where = "." + std::string(k) + " not expected";
        return false;
      }
    }
    return true;
  }
  if (expected.is_array() && actual.is_array()) {
    const auto& e = expected.get_array();
    const auto& a = actual.get_array();
    if (e.size() != a.size()) {
      where = " has " + std::to_string(a.size()) + " items, not " + std::to_string(e.size());
      return false;
    }
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (!matches(e[i], a[i], where)) {
        where = "[" + std::to_string(i) + "]" + where;
        return false;
      }
    }
    return true;
  }
  if (expected.is_number() && actual.is_number()) {
    return expected.to_number<double>() == actual.to_number<double>();
  }
  if (expected != actual) {
    where = ": " + json::serialize(actual);
    return false;
  }
  return true;
}

// Runs `f` on a fresh io_context, at most `limit`; false when it did not finish in time.
template <class F>
bool run_for(F f, std::chrono::milliseconds limit) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, f(io), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.run_for(limit);
  if (error) std::rethrow_exception(error);
  return done;
}

const std::string kEndPing = R"({"jsonrpc":"2.0","id":"transcript-end","method":"ping"})";

std::vector<std::filesystem::path> transcripts() {
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(MCPP_SOURCE_DIR "/tests/server/transcripts")) {
    if (e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Transcript : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(Transcript, ServerAnswersAsWritten) {
  auto lines = load(GetParam());
  ASSERT_FALSE(lines.empty());
  auto server = fixture_server();
  bool finished = run_for(
      [&](asio::io_context& io) -> Task<void> {
        auto [client, server_end] = make_memory_connection_pair(io.get_executor());
        auto served = std::make_shared<bool>(false);
        asio::co_spawn(
            io,
            [&server, end = server_end, served]() -> Task<void> {
              co_await serve(*server, *end);
              *served = true;
            },
            asio::detached);
        for (const auto& line : lines) {
          if (line.from_client) {
            co_await client->write(line.text);
            continue;
          }
          auto got = co_await client->read();
          if (!got) {
            ADD_FAILURE() << GetParam().filename() << ":" << line.number
                          << ": the server ended the connection instead of sending " << line.text;
            co_return;
          }
          std::string where;
          json::value expected = json::parse(line.text);
          json::value actual = json::parse(*got);
          EXPECT_TRUE(matches(expected, actual, where))
              << GetParam().filename() << ":" << line.number << ": got " << *got
              << "\n  differs at " << where;
        }
        co_await client->write(kEndPing);
        auto last = co_await client->read();
        if (!last) {
          ADD_FAILURE() << GetParam().filename() << ": no answer to the closing ping";
          co_return;
        }
        EXPECT_EQ(json::parse(*last), json::parse(R"({"jsonrpc":"2.0","id":"transcript-end",)"
                                                  R"("result":{}})"))
            << GetParam().filename() << ": the server sent more than the transcript lists";
        client->close();
        while (!*served) co_await sleep_for(1ms);
      },
      10s);
  EXPECT_TRUE(finished) << GetParam().filename() << ": did not finish (a missing answer?)";
  EXPECT_EQ(live_sessions(*server), 0u);
  EXPECT_EQ(g_live_handlers.load(), 0);
}

// Plays the client's side of a transcript without judging the answers: each expected line is
// one read (the end of the stream stops it), write failures are ignored.
Task<void> play_client(const std::vector<Line>& lines, Connection& client) {
  for (const auto& line : lines) {
    try {
      if (line.from_client) {
        co_await client.write(line.text);
      } else if (!co_await client.read()) {
        break;
      }
    } catch (const ConnectionError&) {
      break;
    }
  }
  client.close();
}

// How many operations the server's connection performs in a clean run of the transcript.
std::size_t clean_operations(const std::vector<Line>& lines) {
  auto server = fixture_server();
  std::size_t ops = 0;
  run_for(
      [&](asio::io_context& io) -> Task<void> {
        auto [client, server_end] = make_memory_connection_pair(io.get_executor());
        auto counted = std::make_shared<FaultyConnection>(server_end, SIZE_MAX,
                                                          FaultyConnection::Fault::kError);
        auto served = std::make_shared<bool>(false);
        asio::co_spawn(
            io,
            [&server, counted, served]() -> Task<void> {
              co_await serve(*server, *counted);
              *served = true;
            },
            asio::detached);
        co_await play_client(lines, *client);
        while (!*served) co_await sleep_for(1ms);
        ops = counted->operations();
      },
      10s);
  return ops;
}

TEST_P(Transcript, ServerSurvivesAFaultAtEveryOperation) {
  auto lines = load(GetParam());
  std::size_t ops = clean_operations(lines);
  ASSERT_GT(ops, 1u);
  for (auto fault : {FaultyConnection::Fault::kError, FaultyConnection::Fault::kEndOfStream}) {
    for (std::size_t n = 1; n <= ops; ++n) {
      SCOPED_TRACE(GetParam().filename().string() + ": fault " +
                   (fault == FaultyConnection::Fault::kError ? "error" : "end-of-stream") +
                   " at operation " + std::to_string(n) + " of " + std::to_string(ops));
      auto server = fixture_server();
      bool served = false;
      bool finished = run_for(
          [&](asio::io_context& io) -> Task<void> {
            auto [client, server_end] = make_memory_connection_pair(io.get_executor());
            auto faulty = std::make_shared<FaultyConnection>(server_end, n, fault);
            asio::co_spawn(
                io,
                [&server, faulty, &served]() -> Task<void> {
                  co_await serve(*server, *faulty);
                  served = true;
                },
                asio::detached);
            co_await play_client(lines, *client);
            while (!served) co_await sleep_for(1ms);
            EXPECT_TRUE(faulty->failed());
          },
          10s);
      EXPECT_TRUE(finished && served) << "serve() did not return";
      EXPECT_EQ(live_sessions(*server), 0u);
      EXPECT_EQ(g_live_handlers.load(), 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Transcripts, Transcript, ::testing::ValuesIn(transcripts()),
                         [](const auto& test_info) {
                           std::string name = test_info.param.stem().string();
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// A client that goes away in the middle of a call: the handler sees its stop token, the
// session ends, serve() returns.
TEST(ServeConnection, ClientDisconnectingMidCallCancelsTheHandler) {
  auto server = fixture_server();
  bool served = false;
  bool finished = run_for(
      [&](asio::io_context& io) -> Task<void> {
        auto [client, server_end] = make_memory_connection_pair(io.get_executor());
        asio::co_spawn(
            io,
            [&server, end = server_end, &served]() -> Task<void> {
              co_await serve(*server, *end);
              served = true;
            },
            asio::detached);
        co_await client->write(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
            R"("2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        EXPECT_TRUE(co_await client->read());
        co_await client->write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
        co_await client->write(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait"}})");
        for (int i = 0; i < 200 && g_live_handlers == 0; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(g_live_handlers.load(), 1) << "the handler did not start";
        client->close();
        for (int i = 0; i < 400 && !served; ++i) co_await sleep_for(5ms);
      },
      10s);
  EXPECT_TRUE(finished);
  EXPECT_TRUE(served) << "serve() did not return after the client went away";
  EXPECT_EQ(g_live_handlers.load(), 0) << "the handler did not see its cancellation";
  EXPECT_EQ(live_sessions(*server), 0u);
}

}  // namespace
}  // namespace mcpp::testing
