// The knowledge connector through a real mcpp::Server session: tool listing (annotations,
// schemas, access), search/fetch shapes, write tools, errors, the document resource, the prompt,
// the audit rows and the per-call rate limit used over stdio.
#include "knowledge/connector.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "../server/session_harness.hpp"

namespace kn = mcpp::knowledge;
namespace fs = std::filesystem;
namespace json = mcpp::json;

namespace {

class ConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mcpp-connector-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    store_ = std::make_shared<kn::KnowledgeStore>((dir_ / "s.sqlite").string());
    audit_ = std::make_shared<kn::AuditLog>(store_->shared_database(), std::string(64, 'a'));
    kn::Document d;
    d.id = "refunds";
    d.title = "Refund policy";
    d.text = "Bicycles can be returned within 14 days for a full refund.";
    d.url = "https://example.com/refunds";
    d.metadata = {{"source", "file"}, {"path", "refunds.txt"}};
    d.content_hash = "x";
    store_->put(d);
  }
  void TearDown() override {
    harness_.reset();
    server_.reset();
    audit_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void start(kn::ConnectorOptions options = {}) {
    server_ = std::make_unique<mcpp::Server>();
    kn::add_knowledge_connector(*server_, store_, audit_, std::move(options));
    harness_ = std::make_unique<mcpp::testing::SessionHarness>(*server_);
    harness_->initialize();
  }
  json::value request(std::string_view method, json::object params) {
    json::object msg{{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
    return harness_->send_value(msg);
  }
  json::value call(std::string_view tool, json::object args) {
    return request("tools/call", {{"name", tool}, {"arguments", std::move(args)}});
  }
  static std::string text_of(const json::value& reply) {
    return std::string(reply.at("result").at("content").at(0).at("text").as_string());
  }
  static bool is_error(const json::value& reply) {
    const auto* e = reply.at("result").as_object().if_contains("isError");
    return e && e->as_bool();
  }

  fs::path dir_;
  std::shared_ptr<kn::KnowledgeStore> store_;
  std::shared_ptr<kn::AuditLog> audit_;
  std::unique_ptr<mcpp::Server> server_;
  std::unique_ptr<mcpp::testing::SessionHarness> harness_;
  int id_ = 0;
};

const json::object& tool_named(const json::value& list, std::string_view name) {
  for (const auto& t : list.at("result").at("tools").as_array()) {
    if (t.at("name").as_string() == name) return t.as_object();
  }
  throw std::runtime_error("no tool " + std::string(name));
}

}  // namespace

TEST_F(ConnectorTest, ToolsAreAnnotatedForHosts) {
  start();
  auto list = request("tools/list", {});
  const auto& search = tool_named(list, "search");
  EXPECT_EQ(search.at("annotations").at("readOnlyHint"), true);
  EXPECT_EQ(json::serialize(search.at("inputSchema").at("required")), R"(["query"])");
  EXPECT_EQ(json::serialize(search.at("outputSchema").at("required")), R"(["results"])");
  const auto& fetch = tool_named(list, "fetch");
  EXPECT_EQ(fetch.at("annotations").at("readOnlyHint"), true);
  EXPECT_EQ(json::serialize(fetch.at("outputSchema").at("required")),
            R"(["id","title","text","url","metadata"])");
  for (auto name : {"add_document", "update_document", "delete_document"}) {
    EXPECT_EQ(tool_named(list, name).at("annotations").at("readOnlyHint"), false) << name;
  }
  EXPECT_EQ(tool_named(list, "add_document").at("annotations").at("destructiveHint"), false);
  EXPECT_EQ(tool_named(list, "update_document").at("annotations").at("destructiveHint"), true);
  EXPECT_EQ(tool_named(list, "delete_document").at("annotations").at("destructiveHint"), true);
  EXPECT_FALSE(search.contains("securitySchemes"));  // no authorization: nothing to declare
}

TEST_F(ConnectorTest, AccessWithAuthorization) {
  kn::ConnectorOptions o;
  o.auth_enabled = true;
  o.public_reads = true;
  o.write_scopes = {"docs:write"};
  start(o);
  auto list = request("tools/list", {});
  EXPECT_EQ(json::serialize(tool_named(list, "search").at("securitySchemes")),
            R"([{"type":"noauth"}])");
  EXPECT_EQ(json::serialize(tool_named(list, "delete_document").at("securitySchemes")),
            R"([{"type":"oauth2","scopes":["docs:write"]}])");
  EXPECT_EQ(server_->tool_access("add_document")->mode, mcpp::ToolAccess::Mode::kToken);
  EXPECT_EQ(server_->tool_access("fetch")->mode, mcpp::ToolAccess::Mode::kPublic);
}

TEST_F(ConnectorTest, SearchAndFetchShapes) {
  start();
  auto s = call("search", {{"query", "refunds"}});
  ASSERT_FALSE(is_error(s)) << s;
  const auto& result = s.at("result").as_object();
  EXPECT_EQ(result.at("content").as_array().size(), 1u);
  EXPECT_EQ(
      text_of(s),
      R"({"results":[{"id":"refunds","title":"Refund policy","url":"https://example.com/refunds","snippet":"Bicycles can be returned within 14 days for a full **refund**."}]})");
  EXPECT_EQ(json::serialize(result.at("structuredContent")), text_of(s));

  auto f = call("fetch", {{"id", "refunds"}});
  ASSERT_FALSE(is_error(f)) << f;
  EXPECT_EQ(
      text_of(f),
      R"({"id":"refunds","title":"Refund policy","text":"Bicycles can be returned within 14 days for a full refund.","url":"https://example.com/refunds","metadata":{"source":"file","path":"refunds.txt"}})");
  EXPECT_EQ(json::serialize(f.at("result").at("structuredContent")), text_of(f));

  auto none = call("search", {{"query", "unicorns"}});
  EXPECT_EQ(text_of(none), R"({"results":[]})");
}

TEST_F(ConnectorTest, BadInputIsAClearToolError) {
  start();
  auto empty = call("search", {{"query", ""}});
  EXPECT_TRUE(is_error(empty));
  EXPECT_EQ(text_of(empty),
            "search: the query has no words to search for: give one or more keywords");
  auto punct = call("search", {{"query", "?! ..."}});
  EXPECT_TRUE(is_error(punct));
  auto unknown = call("fetch", {{"id", "missing"}});
  EXPECT_TRUE(is_error(unknown));
  EXPECT_EQ(text_of(unknown),
            "fetch: no document with id \"missing\" (it may have been deleted; search again)");
  auto no_id = call("fetch", {{"id", ""}});
  EXPECT_TRUE(is_error(no_id));
  auto wrong_type = call("search", {{"query", 42}});
  EXPECT_TRUE(is_error(wrong_type));
  auto huge = call("search", {{"query", std::string(5000, 'a')}});
  EXPECT_TRUE(is_error(huge));
  EXPECT_NE(text_of(huge).find("too long"), std::string::npos);
  auto bad_id = call("add_document", {{"title", "t"}, {"text", "x"}, {"id", "../etc"}});
  EXPECT_TRUE(is_error(bad_id));
  auto update_missing = call("update_document", {{"id", "nope"}, {"text", "x"}});
  EXPECT_TRUE(is_error(update_missing));
  EXPECT_EQ(text_of(update_missing), "update_document: no document with id \"nope\"");
}

TEST_F(ConnectorTest, WriteToolsAndTheirAuditRows) {
  start({.caller_without_token = "stdio"});
  auto added = call("add_document", {{"title", "Opening hours"},
                                     {"text", "Open on Saturdays."},
                                     {"metadata", {{"team", "front desk"}}}});
  ASSERT_FALSE(is_error(added)) << added;
  auto id = std::string(added.at("result").at("structuredContent").at("id").as_string());
  EXPECT_EQ(added.at("result").at("structuredContent").at("url").as_string(), "mcpp://doc/" + id);
  EXPECT_NE(text_of(call("search", {{"query", "saturdays"}})).find(id), std::string::npos);

  auto dup = call("add_document", {{"title", "x"}, {"text", "y"}, {"id", id}});
  EXPECT_TRUE(is_error(dup));

  auto updated = call("update_document", {{"id", id}, {"text", "Open on Sundays."}});
  ASSERT_FALSE(is_error(updated)) << updated;
  EXPECT_EQ(text_of(call("search", {{"query", "saturdays"}})), R"({"results":[]})");
  auto f = call("fetch", {{"id", id}});
  EXPECT_NE(text_of(f).find("\"team\":\"front desk\""), std::string::npos) << text_of(f);
  EXPECT_NE(text_of(f).find("Open on Sundays."), std::string::npos);

  auto deleted = call("delete_document", {{"id", id}});
  EXPECT_EQ(text_of(deleted), "{\"id\":\"" + id + "\",\"deleted\":true}");
  EXPECT_TRUE(is_error(call("delete_document", {{"id", id}})));

  auto rows = audit_->tail(100);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].tool, "add_document");
  EXPECT_EQ(rows[0].subject, "stdio");
  EXPECT_EQ(rows[0].outcome, "ok");
  EXPECT_EQ(rows[2].outcome, "error");  // the duplicate
  EXPECT_NE(rows[2].detail.find("exists"), std::string::npos);
  EXPECT_EQ(rows.back().tool, "delete_document");
  EXPECT_EQ(rows.back().outcome, "error");
  EXPECT_EQ(rows[0].arguments_sha256,
            kn::sha256_hex(kn::canonical_json(json::object{{"metadata", {{"team", "front desk"}}},
                                                           {"text", "Open on Saturdays."},
                                                           {"title", "Opening hours"}})));
  EXPECT_TRUE(audit_->verify().intact);
}

TEST_F(ConnectorTest, StdioRateLimitIsAJsonRpcErrorWithRetryAfter) {
  start({.caller_without_token = "stdio", .call_limiter = std::make_shared<kn::RateLimiter>(6, 2)});
  EXPECT_FALSE(is_error(call("search", {{"query", "refund"}})));
  EXPECT_FALSE(is_error(call("fetch", {{"id", "refunds"}})));
  auto refused = call("search", {{"query", "refund"}});
  ASSERT_TRUE(refused.as_object().contains("error")) << refused;
  EXPECT_EQ(refused.at("error").at("code"), kn::kRateLimited);
  EXPECT_EQ(refused.at("error").at("data").at("retryAfter"), 10);
  auto rows = audit_->tail(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "rate_limited");
}

TEST_F(ConnectorTest, DocumentResourceCompletionAndPrompt) {
  start();
  auto templates = request("resources/templates/list", {});
  EXPECT_EQ(templates.at("result").at("resourceTemplates").at(0).at("uriTemplate"),
            "mcpp://doc/{id}");
  auto read = request("resources/read", {{"uri", "mcpp://doc/refunds"}});
  EXPECT_EQ(read.at("result").at("contents").at(0).at("text"),
            "Bicycles can be returned within 14 days for a full refund.");
  auto missing = request("resources/read", {{"uri", "mcpp://doc/nope"}});
  EXPECT_EQ(missing.at("error").at("code"), mcpp::kResourceNotFound);
  auto completion = request("completion/complete",
                            {{"ref", {{"type", "ref/resource"}, {"uri", "mcpp://doc/{id}"}}},
                             {"argument", {{"name", "id"}, {"value", "ref"}}}});
  EXPECT_EQ(json::serialize(completion.at("result").at("completion").at("values")),
            R"(["refunds"])");
  auto prompt = request("prompts/get", {{"name", "research"},
                                        {"arguments", {{"question", "How long for refunds?"}}}});
  std::string text(prompt.at("result").at("messages").at(0).at("content").at("text").as_string());
  EXPECT_NE(text.find("Question: How long for refunds?"), std::string::npos);
  EXPECT_NE(text.find("`search`"), std::string::npos);
  EXPECT_NE(text.find("[title](url)"), std::string::npos);
}

TEST_F(ConnectorTest, AFailedAuditAppendFailsTheCallAndUndoesTheWrite) {
  start();
  // The audit log cannot take rows (a full disk, say).
  store_->database().exec(
      "CREATE TRIGGER audit_full BEFORE INSERT ON audit_log BEGIN "
      "SELECT RAISE(ABORT, 'database or disk is full'); END");
  auto added = call("add_document", {{"id", "unlogged"}, {"title", "t"}, {"text", "ghost words"}});
  EXPECT_TRUE(is_error(added)) << added;
  EXPECT_FALSE(store_->exists("unlogged")) << "the write stayed without its audit row";
  auto deleted = call("delete_document", {{"id", "refunds"}});
  EXPECT_TRUE(is_error(deleted)) << deleted;
  EXPECT_TRUE(store_->exists("refunds"));
  // A read whose row cannot be written is not answered either.
  auto found = call("search", {{"query", "refund"}});
  EXPECT_TRUE(is_error(found)) << found;
  EXPECT_EQ(text_of(found).find("Bicycles"), std::string::npos);
  store_->database().exec("DROP TRIGGER audit_full");
  EXPECT_FALSE(is_error(call("search", {{"query", "refund"}})));
  EXPECT_TRUE(audit_->verify().intact);
}

TEST_F(ConnectorTest, StoreFailuresDoNotNameTheStoreFile) {
  start();
  store_->database().exec(
      "CREATE TRIGGER documents_locked BEFORE INSERT ON documents BEGIN "
      "SELECT RAISE(ABORT, 'locked'); END");
  auto added = call("add_document", {{"title", "t"}, {"text", "words"}});
  ASSERT_TRUE(is_error(added)) << added;
  std::string message = text_of(added);
  EXPECT_EQ(message.find(dir_.string()), std::string::npos) << message;
  EXPECT_EQ(message.find("sqlite"), std::string::npos) << message;
  EXPECT_NE(message.find("server's log"), std::string::npos) << message;
  auto rows = audit_->tail(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "failed");
  EXPECT_EQ(rows[0].detail.find(dir_.string()), std::string::npos) << rows[0].detail;
}

TEST_F(ConnectorTest, DocumentUrlsAreWebAddressesOnly) {
  start();
  for (std::string bad : {"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x",
                          "file:///etc/passwd", "http:///no-host", "https://a b", "https://",
                          "//example.com/x", "https://ok.example/\x1b[2J"}) {
    SCOPED_TRACE(bad);
    auto r = call("add_document", {{"title", "t"}, {"text", "x"}, {"url", bad}});
    EXPECT_TRUE(is_error(r));
    EXPECT_NE(text_of(r).find("http:// or https://"), std::string::npos) << text_of(r);
  }
  auto ok =
      call("add_document",
           {{"id", "web"}, {"title", "t"}, {"text", "x"}, {"url", "HTTPS://Example.com/a?b"}});
  ASSERT_FALSE(is_error(ok)) << ok;
  EXPECT_TRUE(is_error(call("update_document", {{"id", "web"}, {"url", "javascript:x"}})));
  EXPECT_EQ(store_->get("web")->url, "HTTPS://Example.com/a?b");
  EXPECT_FALSE(is_error(call("update_document", {{"id", "web"}, {"url", "http://b.example"}})));
}

TEST_F(ConnectorTest, IndexedFilesAreNotWritableThroughTheTools) {
  kn::Document file;
  file.id = "0123456789abcdef";  // the shape of document_id_for_path
  file.title = "Handbook";
  file.text = "The handbook as indexed.";
  file.url = "https://docs.example/handbook";
  file.path = "/srv/docs/handbook.md";
  file.content_hash = "h";
  store_->put(file);
  start();
  auto update = call("update_document", {{"id", file.id}, {"text", "Rewritten by a client."}});
  ASSERT_TRUE(is_error(update)) << update;
  EXPECT_NE(text_of(update).find("indexed file"), std::string::npos) << text_of(update);
  EXPECT_EQ(text_of(update).find("/srv/docs"), std::string::npos) << text_of(update);
  EXPECT_EQ(store_->get(file.id)->text, "The handbook as indexed.");
  // Nor can a client take an id an indexed file has, or will have.
  auto taken = call("add_document", {{"id", "fedcba9876543210"}, {"title", "t"}, {"text", "x"}});
  ASSERT_TRUE(is_error(taken)) << taken;
  EXPECT_NE(text_of(taken).find("16 hexadecimal digits"), std::string::npos) << text_of(taken);
  EXPECT_FALSE(store_->exists("fedcba9876543210"));
}

TEST_F(ConnectorTest, AResourceReadThatFailsDoesNotNameTheStoreFile) {
  start();
  store_->database().exec("DROP TABLE documents");
  auto r = request("resources/read", {{"uri", "mcpp://doc/refunds"}});
  ASSERT_TRUE(r.as_object().contains("error")) << r;
  EXPECT_EQ(r.at("error").at("code"), -32603);
  std::string message(r.at("error").at("message").as_string());
  EXPECT_EQ(message.find(dir_.string()), std::string::npos) << message;
  EXPECT_NE(message.find("server's log"), std::string::npos) << message;
}
