// mcpp::Client against a real mcpp::Server over Streamable HTTP, legacy HTTP+SSE and HTTPS on a
// loopback socket: every request kind, both directions of requests, notifications, progress,
// timeouts and cancellation.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "client_test_support.hpp"

namespace mcpp {
namespace {

using testing::eventually;
using testing::run;
using testing::ServedOverHttp;
using testing::sleep_for;
namespace asio = boost::asio;
using namespace std::chrono_literals;

json::object object_schema(json::object properties = {}, json::array required = {}) {
  json::object s{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}

json::object string_property() {
  return {{"type", "string"}};
}

// A server with a bit of everything.
class ClientOverHttp : public ::testing::Test {
 protected:
  ClientOverHttp()
      : server_({.info = {.name = "test-server", .version = "9.9.9"}, .page_size = 2}) {
    server_.add_tool(
        {.name = "echo",
         .description = "Echoes its text",
         .input_schema = object_schema({{"text", string_property()}}, json::array{"text"})},
        [](const json::object& args, Context&) -> Task<ToolResult> {
          ToolResult r = ToolResult::text(std::string(find_string(args, "text")));
          r.structured_content = json::object{{"echo", args}};
          co_return r;
        });
    server_.add_tool({.name = "fail", .description = "Always fails"},
                     [](const json::object&, Context&) -> Task<ToolResult> {
                       co_return ToolResult::error("it failed");
                     });
    server_.add_tool({.name = "progress", .description = "Reports progress"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       ctx.progress(1, 3, "one");
                       ctx.progress(2, 3, "two");
                       ctx.progress(3, 3, "three");
                       co_return ToolResult::text("done");
                     });
    server_.add_tool({.name = "wait_for_cancel", .description = "Runs until cancelled"},
                     [this](const json::object&, Context& ctx) -> Task<ToolResult> {
                       for (int i = 0; i < 500 && !ctx.cancelled(); ++i) co_await sleep_for(10ms);
                       if (ctx.cancelled()) saw_cancel_ = true;
                       co_return ToolResult::text("stopped");
                     });
    server_.add_tool({.name = "ask", .description = "Elicits a form with defaults"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       json::object schema = object_schema(
                           {{"name", string_property()},
                            {"age", json::object{{"type", "integer"}, {"default", 30}}}});
                       ElicitResult r = co_await ctx.elicit("Who are you?", schema);
                       co_return ToolResult::text(r.action + " " + json::serialize(r.content));
                     });
    server_.add_tool({.name = "sample", .description = "Samples the client's model"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       json::object params{{"messages", json::array{}}, {"maxTokens", 10}};
                       json::object r = co_await ctx.sample(std::move(params));
                       co_return ToolResult::text(json::serialize(r));
                     });
    server_.add_tool({.name = "roots", .description = "Lists the client's roots"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       json::array roots = co_await ctx.list_roots();
                       co_return ToolResult::text(json::serialize(roots));
                     });
    server_.add_tool({.name = "log", .description = "Logs twice"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       ctx.log(LogLevel::kDebug, "a debug line", "tests");
                       ctx.log(LogLevel::kError, json::object{{"code", 7}}, "tests");
                       co_return ToolResult::text("logged");
                     });
    server_.add_resource(
        {.uri = "test://hello", .name = "hello", .mime_type = "text/plain"},
        [](const std::string& uri, Context&) -> Task<std::vector<json::object>> {
          co_return std::vector<json::object>{text_contents(uri, "text/plain", "Hello!")};
        });
    server_.add_resource_template(
        {.uri_template = "test://items/{id}",
         .name = "item",
         .completers = {{"id",
                         [](std::string_view partial, const Variables&) {
                           std::vector<std::string> out;
                           for (std::string v : {"apple", "apricot", "banana"}) {
                             if (v.starts_with(partial)) out.push_back(v);
                           }
                           return out;
                         }}}},
        [](const std::string& uri, const Variables& vars,
           Context&) -> Task<std::vector<json::object>> {
          co_return std::vector<json::object>{
              text_contents(uri, "text/plain", "item " + vars.at("id"))};
        });
    server_.add_prompt({.name = "greet",
                        .description = "Greets someone",
                        .arguments = {{.name = "who", .required = true}}},
                       [](const Variables& args, Context&) -> Task<PromptResult> {
                         PromptResult r;
                         r.description = "a greeting";
                         r.add("user", text_content("Hello, " + args.at("who") + "!"));
                         co_return r;
                       });
  }

  HttpTarget target(std::string_view path = "/mcp") {
    HttpTarget t;
    t.url = http_->url(path);
    return t;
  }

  Server server_;
  std::atomic<bool> saw_cancel_{false};
  std::unique_ptr<ServedOverHttp> http_ = std::make_unique<ServedOverHttp>(server_);
};

TEST_F(ClientOverHttp, ConnectsAndListsEveryPageOfTools) {
  auto tools = run([&](auto ex) -> Task<std::vector<ToolInfo>> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target());
    EXPECT_EQ(client.transport_name(), "streamable-http");
    EXPECT_EQ(client.server().protocol_version, "2025-11-25");
    EXPECT_EQ(find_string(client.server().server_info, "name"), "test-server");
    EXPECT_TRUE(client.server().capabilities.contains("tools"));
    auto t = co_await client.list_tools();
    co_await client.close();
    co_return t;
  });
  ASSERT_EQ(tools.size(), 8u);  // four pages of two
  EXPECT_EQ(tools[0].name, "echo");
  EXPECT_EQ(tools[0].description, "Echoes its text");
  EXPECT_EQ(find_string(tools[0].input_schema, "type"), "object");
  EXPECT_TRUE(tools[0].raw.contains("inputSchema"));
}

TEST_F(ClientOverHttp, CallsToolsAndReportsToolErrors) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target());
    json::object args{{"text", "hi there"}};
    CallToolResult r = co_await client.call_tool("echo", std::move(args));
    EXPECT_FALSE(r.is_error);
    EXPECT_EQ(r.text(), "hi there");
    EXPECT_TRUE(r.structured_content.has_value());
    if (r.structured_content) {
      EXPECT_EQ(json::serialize(*r.structured_content), R"({"echo":{"text":"hi there"}})");
    }
    CallToolResult f = co_await client.call_tool("fail");
    EXPECT_TRUE(f.is_error);
    EXPECT_EQ(f.text(), "it failed");
    try {
      co_await client.call_tool("no_such_tool");
      ADD_FAILURE() << "expected an RpcError";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.error().code, jsonrpc::kInvalidParams);
    }
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, DeliversProgressToTheCallback) {
  std::vector<Progress> seen;
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target());
    RequestOptions o;
    o.on_progress = [&](const Progress& p) { seen.push_back(p); };
    CallToolResult r = co_await client.call_tool("progress", {}, o);
    EXPECT_EQ(r.text(), "done");
    co_await client.close();
  });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].progress, 2);
  EXPECT_EQ(seen[1].total, 3);
  EXPECT_EQ(seen[2].message, "three");
}

TEST_F(ClientOverHttp, TimesOutAndCancelsOnTheServer) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target());
    RequestOptions o;
    o.timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    try {
      co_await client.call_tool("wait_for_cancel", {}, o);
      ADD_FAILURE() << "expected a timeout";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.error().code, jsonrpc::kRequestTimeout);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_TRUE(co_await eventually([&] { return saw_cancel_.load(); }));
    // The session still works.
    co_await client.ping();
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, StopTokenCancelsARequest) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target());
    std::stop_source stop;
    asio::co_spawn(
        ex,
        [&]() -> Task<void> {
          co_await sleep_for(100ms);
          stop.request_stop();
        },
        asio::detached);
    RequestOptions o;
    o.stop = stop.get_token();
    try {
      co_await client.call_tool("wait_for_cancel", {}, o);
      ADD_FAILURE() << "expected a cancellation";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.error().code, jsonrpc::kRequestCancelled);
    }
    EXPECT_TRUE(co_await eventually([&] { return saw_cancel_.load(); }));
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, AnswersElicitationWithSchemaDefaults) {
  std::string asked;
  auto text = run([&](auto ex) -> Task<std::string> {
    Client client(ex, testing::stateful_options());
    client.on_elicitation([&](const ElicitationRequest& r) -> Task<ElicitationResponse> {
      asked = r.mode + ": " + r.message;
      co_return ElicitationResponse::accept(json::object{{"name", "Ada"}});
    });
    co_await client.connect(target());
    CallToolResult r = co_await client.call_tool("ask");
    co_await client.close();
    co_return r.text();
  });
  EXPECT_EQ(asked, "form: Who are you?");
  EXPECT_EQ(text, R"(accept {"name":"Ada","age":30})");
}

TEST_F(ClientOverHttp, AnswersUrlModeElicitation) {
  server_.add_tool({.name = "authorize", .description = "Sends the user to a URL"},
                   [](const json::object&, Context& ctx) -> Task<ToolResult> {
                     ElicitResult r = co_await ctx.elicit_url(
                         "Connect your account", "https://example.com/connect", "elicit-1");
                     co_return ToolResult::text(r.action);
                   });
  ElicitationRequest seen;
  auto text = run([&](auto ex) -> Task<std::string> {
    Client client(ex, testing::stateful_options());
    client.on_elicitation(
        [&](const ElicitationRequest& r) -> Task<ElicitationResponse> {
          seen = r;
          co_return ElicitationResponse::accept();
        },
        /*url_mode=*/true);
    co_await client.connect(target());
    CallToolResult r = co_await client.call_tool("authorize");
    co_await client.close();
    co_return r.text();
  });
  EXPECT_EQ(text, "accept");
  EXPECT_EQ(seen.mode, "url");
  EXPECT_EQ(seen.url, "https://example.com/connect");
  EXPECT_EQ(seen.elicitation_id, "elicit-1");
  EXPECT_EQ(seen.message, "Connect your account");
}

TEST_F(ClientOverHttp, AnswersSamplingAndRoots) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_sampling([](const json::object& params) -> Task<json::object> {
      EXPECT_TRUE(params.contains("messages"));
      co_return json::object{{"role", "assistant"},
                             {"content", json::object{{"type", "text"}, {"text", "42"}}},
                             {"model", "test-model"}};
    });
    client.set_roots({{.uri = "file:///work", .name = "work"}});
    co_await client.connect(target());
    CallToolResult s = co_await client.call_tool("sample");
    EXPECT_NE(s.text().find("test-model"), std::string::npos) << s.text();
    CallToolResult r = co_await client.call_tool("roots");
    EXPECT_EQ(r.text(), R"([{"uri":"file:///work","name":"work"}])");
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, WithoutHandlersServerRequestsFail) {
  // The client declared no sampling capability: the server's ctx.sample fails, and so the call.
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      co_await client.connect(target());
      co_await client.call_tool("sample");
    });
    FAIL() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_NE(std::string(e.what()).find("sampling"), std::string::npos) << e.what();
  }
}

TEST_F(ClientOverHttp, ReceivesLogMessagesAtTheChosenLevel) {
  std::vector<LogMessage> logs;
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_log_message([&](const LogMessage& m) { logs.push_back(m); });
    co_await client.connect(target());
    co_await client.set_logging_level("error");
    co_await client.call_tool("log");
    co_await client.close();
  });
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].level, "error");
  EXPECT_EQ(logs[0].logger, "tests");
  EXPECT_EQ(json::serialize(logs[0].data), R"({"code":7})");
}

TEST_F(ClientOverHttp, HearsListChangedOnTheEventStream) {
  std::vector<std::string> changed;
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_list_changed([&](std::string_view what) { changed.emplace_back(what); });
    co_await client.connect(target());
    co_await sleep_for(100ms);  // the GET stream opens after the handshake
    server_.add_tool({.name = "late", .description = "Added later"},
                     [](const json::object&, Context&) -> Task<ToolResult> {
                       co_return ToolResult::text("late");
                     });
    EXPECT_TRUE(co_await eventually([&] { return !changed.empty(); }));
    auto tools = co_await client.list_tools();
    EXPECT_EQ(tools.back().name, "late");
    co_await client.close();
  });
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(changed[0], "tools");
}

// ---- the same server, in the stateless era (mcpp's server speaks both) ----

TEST_F(ClientOverHttp, StatelessAnswersInputRequestsWithTheSameHandlers) {
  std::vector<std::string> asked;
  auto texts = run([&](auto ex) -> Task<std::vector<std::string>> {
    Client client(ex);  // ProtocolEra::kAuto
    client.on_elicitation([&](const ElicitationRequest& r) -> Task<ElicitationResponse> {
      asked.push_back(r.mode + ": " + r.message);
      co_return ElicitationResponse::accept(json::object{{"name", "Ada"}});
    });
    client.on_sampling([&](const json::object&) -> Task<json::object> {
      asked.emplace_back("sample");
      co_return json::object{{"role", "assistant"},
                             {"model", "m"},
                             {"content", json::object{{"type", "text"}, {"text", "4"}}}};
    });
    client.set_roots({{.uri = "file:///work", .name = "work"}});
    co_await client.connect(target());
    EXPECT_TRUE(client.stateless());
    EXPECT_EQ(client.server().protocol_version, "2026-07-28");
    EXPECT_EQ(find_string(client.server().server_info, "name"), "test-server");
    std::vector<std::string> out;
    for (const char* tool : {"ask", "sample", "roots"}) {
      CallToolResult r = co_await client.call_tool(tool);
      out.push_back(r.text());
    }
    co_await client.close();
    co_return out;
  });
  EXPECT_EQ(asked, (std::vector<std::string>{"form: Who are you?", "sample"}));
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], R"(accept {"name":"Ada","age":30})");
  EXPECT_NE(texts[1].find("\"model\":\"m\""), std::string::npos) << texts[1];
  EXPECT_NE(texts[2].find("file:///work"), std::string::npos) << texts[2];
}

TEST_F(ClientOverHttp, StatelessProgressLogsAndListChanged) {
  std::vector<std::string> changed;
  std::vector<double> progress;
  std::vector<std::string> logs;
  run([&](auto ex) -> Task<void> {
    Client client(ex);
    client.on_list_changed([&](std::string_view what) { changed.emplace_back(what); });
    client.on_log_message([&](const LogMessage& m) { logs.push_back(m.level); });
    co_await client.connect(target());
    EXPECT_TRUE(client.stateless());
    RequestOptions o;
    o.on_progress = [&](const Progress& p) { progress.push_back(p.progress); };
    co_await client.call_tool("progress", {}, o);
    co_await client.set_logging_level("error");
    co_await client.call_tool("log");
    // The subscriptions/listen stream opens right after connect.
    co_await sleep_for(200ms);
    server_.add_tool({.name = "late", .description = "Added later"},
                     [](const json::object&, Context&) -> Task<ToolResult> {
                       co_return ToolResult::text("late");
                     });
    EXPECT_TRUE(co_await eventually([&] { return !changed.empty(); }));
    co_await client.close();
  });
  EXPECT_FALSE(progress.empty());
  EXPECT_EQ(logs, std::vector<std::string>{"error"});  // the level rode in _meta
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(changed[0], "tools");
}

TEST_F(ClientOverHttp, ReadsResourcesTemplatesPromptsAndCompletions) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    std::vector<std::string> updated;
    client.on_resource_updated([&](std::string_view uri) { updated.emplace_back(uri); });
    co_await client.connect(target());
    auto resources = co_await client.list_resources();
    EXPECT_EQ(resources.size(), 1u);
    EXPECT_EQ(resources.at(0).uri, "test://hello");
    EXPECT_EQ(resources.at(0).mime_type, "text/plain");
    ReadResourceResult hello = co_await client.read_resource("test://hello");
    EXPECT_EQ(find_string(hello.contents.at(0), "text"), "Hello!");
    auto templates = co_await client.list_resource_templates();
    EXPECT_EQ(templates.at(0).uri_template, "test://items/{id}");
    ReadResourceResult item = co_await client.read_resource("test://items/7");
    EXPECT_EQ(find_string(item.contents.at(0), "text"), "item 7");
    try {
      co_await client.read_resource("test://missing");
      ADD_FAILURE() << "expected an RpcError";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.error().code, kResourceNotFound);
    }
    auto prompts = co_await client.list_prompts();
    EXPECT_EQ(prompts.at(0).name, "greet");
    EXPECT_TRUE(prompts.at(0).arguments.at(0).required);
    std::map<std::string, std::string> who{{"who", "Bob"}};
    GetPromptResult p = co_await client.get_prompt("greet", std::move(who));
    EXPECT_EQ(p.description, "a greeting");
    EXPECT_EQ(find_string(find(p.messages.at(0), "content")->get_object(), "text"), "Hello, Bob!");
    json::object ref{{"type", "ref/resource"}, {"uri", "test://items/{id}"}};
    Completion c = co_await client.complete(std::move(ref), "id", "ap");
    EXPECT_EQ(c.values, (std::vector<std::string>{"apple", "apricot"}));
    co_await client.ping();
    co_await client.subscribe_resource("test://hello");
    co_await sleep_for(100ms);
    server_.notify_resource_updated("test://hello");
    EXPECT_TRUE(co_await eventually([&] { return !updated.empty(); }));
    co_await client.unsubscribe_resource("test://hello");
    json::value raw = co_await client.request("tools/list", {});
    EXPECT_TRUE(find(raw, "tools"));
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, SpeaksLegacySseWhenAsked) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    HttpTarget t = target("/sse");
    t.transport = HttpTransportKind::kLegacySse;
    co_await client.connect(t);
    EXPECT_EQ(client.transport_name(), "sse");
    auto tools = co_await client.list_tools();
    EXPECT_EQ(tools.size(), 8u);
    json::object args{{"text", "over sse"}};
    CallToolResult r = co_await client.call_tool("echo", std::move(args));
    EXPECT_EQ(r.text(), "over sse");
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, FallsBackToLegacySseWhenInitializeGets4xx) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(target("/sse"));  // POST /sse is refused; GET /sse is the stream
    EXPECT_EQ(client.transport_name(), "sse");
    co_await client.ping();
    co_await client.close();
  });
}

TEST_F(ClientOverHttp, ReportsAnUnreachableServer) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = "http://127.0.0.1:" + std::to_string(port) + "/mcp";
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kUnreachable);
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
}

TEST_F(ClientOverHttp, ConnectsAgainAfterAFailedAttempt) {
  auto name = run([&](auto ex) -> Task<std::string> {
    Client client(ex, testing::stateful_options());
    HttpTarget wrong;
    wrong.url = "http://127.0.0.1:1/mcp";
    try {
      co_await client.connect(wrong);
      ADD_FAILURE() << "expected a TransportError";
    } catch (const TransportError&) {
    }
    EXPECT_FALSE(client.connected());
    co_await client.connect(target());
    EXPECT_TRUE(client.connected());
    std::string n(find_string(client.server().server_info, "name"));
    co_await client.close();
    co_return n;
  });
  EXPECT_EQ(name, "test-server");
}

TEST(ClientTargets, RejectsAUrlThatIsNotHttp) {
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = "ftp://example.com/mcp";
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kUnreachable);
  }
}

// ---- HTTPS -------------------------------------------------------------------------------------

// Writes a self-signed certificate for 127.0.0.1 (IP SAN) and its key.
void write_certificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 42);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mcpp test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST(ClientOverHttps, TrustsTheGivenCaAndRefusesAnUnknownOne) {
  auto dir =
      std::filesystem::temp_directory_path() / ("mcpp_client_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string();
  std::string key = (dir / "key.pem").string();
  write_certificate(cert, key);
  Server server({.info = {.name = "tls-server", .version = "1"}});
  HttpOptions options;
  options.tls_certificate_file = cert;
  options.tls_private_key_file = key;
  ServedOverHttp https(server, options);

  auto name = run([&](auto ex) -> Task<std::string> {
    Client client(ex, testing::stateful_options());
    HttpTarget t;
    t.url = https.url("/mcp", "https");
    t.ca_file = cert;
    co_await client.connect(t);
    std::string n(find_string(client.server().server_info, "name"));
    co_await client.close();
    co_return n;
  });
  EXPECT_EQ(name, "tls-server");

  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = https.url("/mcp", "https");  // the system's CAs do not know this certificate
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kUnreachable);
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpp
