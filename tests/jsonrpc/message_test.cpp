// JSON-RPC 2.0 message parsing and classification: every kind of message and every kind of
// malformed one.
#include "jsonrpc/message.hpp"

#include <gtest/gtest.h>

namespace mcpp::jsonrpc {
namespace {

json::value parsed(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(std::holds_alternative<json::value>(r)) << text;
  return std::get<json::value>(r);
}

TEST(JsonRpcParse, ValidJson) {
  EXPECT_EQ(parsed(R"({"a":1})").at("a").as_int64(), 1);
  EXPECT_TRUE(parsed("  [1,2]  \n").is_array());
}

TEST(JsonRpcParse, ErrorsAreParseErrorsWithAPosition) {
  for (std::string_view bad : {"{", "{\"a\":}", "nope", "{} x", "", "[1,2"}) {
    auto r = parse(bad);
    ASSERT_TRUE(std::holds_alternative<Error>(r)) << bad;
    const Error& e = std::get<Error>(r);
    EXPECT_EQ(e.code, kParseError);
    EXPECT_NE(e.message.find("Parse error"), std::string::npos) << e.message;
  }
}

TEST(JsonRpcParse, TooDeepIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  auto r = parse(deep);
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_NE(std::get<Error>(r).message.find("deeper"), std::string::npos);
  std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_TRUE(std::holds_alternative<json::value>(parse(ok)));
}

struct ClassifyCase {
  std::string_view text;
  Kind kind;
};

TEST(JsonRpcClassify, Kinds) {
  const ClassifyCase cases[] = {
      {R"({"jsonrpc":"2.0","id":1,"method":"ping"})", Kind::kRequest},
      {R"({"jsonrpc":"2.0","id":"abc","method":"tools/list","params":{}})", Kind::kRequest},
      {R"({"jsonrpc":"2.0","method":"notifications/initialized"})", Kind::kNotification},
      {R"({"jsonrpc":"2.0","id":7,"result":{}})", Kind::kResult},
      {R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"x"}})", Kind::kError},
  };
  for (const auto& c : cases) {
    auto r = classify(parsed(c.text));
    ASSERT_TRUE(std::holds_alternative<Message>(r)) << c.text;
    EXPECT_EQ(std::get<Message>(r).kind, c.kind) << c.text;
  }
}

TEST(JsonRpcClassify, IdsKeepTheirType) {
  auto m = std::get<Message>(classify(parsed(R"({"jsonrpc":"2.0","id":"7","method":"ping"})")));
  EXPECT_TRUE(m.id.is_string());
  m = std::get<Message>(classify(parsed(R"({"jsonrpc":"2.0","id":7,"method":"ping"})")));
  EXPECT_TRUE(m.id.is_int64());
}

TEST(JsonRpcClassify, InvalidMessagesSayWhy) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"([])", "object"},
      {R"({"id":1,"method":"ping"})", "jsonrpc"},
      {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", "jsonrpc"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", "id"},
      {R"({"jsonrpc":"2.0","id":{},"method":"ping"})", "id"},
      {R"({"jsonrpc":"2.0","id":1,"method":3})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})", "params"},
      {R"({"jsonrpc":"2.0"})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})", "exactly one"},
      {R"({"jsonrpc":"2.0","id":1,"error":{"message":"x"}})", "code"},
  };
  for (const auto& [text, word] : cases) {
    auto r = classify(parsed(text));
    ASSERT_TRUE(std::holds_alternative<Invalid>(r)) << text;
    const Invalid& inv = std::get<Invalid>(r);
    EXPECT_EQ(inv.error.code, kInvalidRequest);
    EXPECT_NE(inv.error.message.find(word), std::string::npos) << inv.error.message;
  }
  // The id is kept when it could be read, so the error can be correlated.
  auto r = classify(parsed(R"({"jsonrpc":"2.0","id":5,"method":3})"));
  EXPECT_EQ(std::get<Invalid>(r).id.as_int64(), 5);
}

TEST(JsonRpcBuild, ResponsesAndErrors) {
  EXPECT_EQ(json::serialize(make_result(1, json::object{})),
            R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(json::serialize(make_error(nullptr, kParseError, "Parse error: x")),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: x"}})");
  EXPECT_EQ(json::serialize(make_notification("notifications/initialized", nullptr)),
            R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
}

}  // namespace
}  // namespace mcpp::jsonrpc
