// Fuzzes JSON-RPC parsing and classification as the stdio transport frames it (one message per
// line) plus the base64 codec. Invariants: parse errors are kParseError with a message; a parsed
// value serializes and parses back equal; classifying a copy and a moved value agree; a message
// rebuilt with make_request/notification/result/error classifies the same again.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "fuzz_check.hpp"
#include "jsonrpc/message.hpp"
#include "mcpp/content.hpp"

namespace {

using namespace mcpp;
using fuzz::check;

// Equality, except that doubles may differ in their last bits: Boost.JSON 1.81 parses some long
// decimal numbers (e.g. 47 digits) one ulp away from the nearest double, so a double does not
// always survive parse -> serialize -> parse exactly (Boost 1.83 adds precise parsing).
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(x);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      auto it = y.find(key);
      if (it == y.end() || !same_json(value, it->value())) return false;
    }
    return true;
  }
  return a == b;
}

json::value rebuild(const jsonrpc::Message& m) {
  switch (m.kind) {
    case jsonrpc::Kind::kRequest:
      return jsonrpc::make_request(m.id, m.method, m.params);
    case jsonrpc::Kind::kNotification:
      return jsonrpc::make_notification(m.method, m.params);
    case jsonrpc::Kind::kResult:
      return jsonrpc::make_result(m.id, m.result);
    case jsonrpc::Kind::kError:
      return jsonrpc::make_error(m.id, m.error);
  }
  fuzz::fail("unknown message kind");
}

void same_message(const jsonrpc::Message& a, const jsonrpc::Message& b, std::string_view what) {
  check(a.kind == b.kind, what, "kind");
  check(a.id == b.id, what, "id");
  check(a.method == b.method, what, "method");
  check(a.params == b.params, what, "params");
  check(a.result == b.result, what, "result");
  check(a.error.code == b.error.code && a.error.message == b.error.message &&
            a.error.data == b.error.data,
        what, "error");
}

void one_line(std::string_view line) {
  auto parsed = jsonrpc::parse(line);
  if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
    check(err->code == jsonrpc::kParseError, "a parse failure is kParseError");
    check(!err->message.empty(), "a parse failure says why");
    return;
  }
  const json::value& v = std::get<json::value>(parsed);
  std::string text = json::serialize(v);
  auto again = jsonrpc::parse(text);
  check(std::holds_alternative<json::value>(again), "a serialized value parses", text);
  check(same_json(std::get<json::value>(again), v), "parse/serialize/parse is stable", text);

  auto by_copy = jsonrpc::classify(v);
  auto by_move = jsonrpc::classify(json::value(v));
  check(by_copy.index() == by_move.index(), "classify(copy) and classify(move) agree", text);
  if (auto* bad = std::get_if<jsonrpc::Invalid>(&by_copy)) {
    check(bad->error.code == jsonrpc::kInvalidRequest, "an invalid message is kInvalidRequest",
          text);
    check(!bad->error.message.empty(), "an invalid message says why", text);
    check(bad->id.is_null() || jsonrpc::valid_id(bad->id), "the id of an invalid message is valid",
          text);
    return;
  }
  const auto& m = std::get<jsonrpc::Message>(by_copy);
  same_message(m, std::get<jsonrpc::Message>(by_move), "classify(copy) == classify(move)");
  if (m.kind != jsonrpc::Kind::kNotification) check(jsonrpc::valid_id(m.id), "ids are valid", text);
  auto round = jsonrpc::classify(rebuild(m));
  check(std::holds_alternative<jsonrpc::Message>(round), "a rebuilt message is valid", text);
  same_message(m, std::get<jsonrpc::Message>(round), "a rebuilt message classifies the same");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  // Newline-delimited framing, as the stdio transport reads it.
  for (std::size_t start = 0;;) {
    auto nl = input.find('\n', start);
    one_line(input.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  // The whole input with a tight depth limit.
  auto shallow = jsonrpc::parse(input, jsonrpc::ParseLimits{.max_depth = 4});
  if (std::holds_alternative<json::value>(shallow)) {
    check(std::holds_alternative<json::value>(jsonrpc::parse(input)),
          "what parses under a small depth limit parses under the default one");
  }
  // base64 (binary resource contents): decode, then encode and decode again.
  if (auto bytes = base64_decode(input)) {
    auto back = base64_decode(base64_encode(*bytes));
    check(back && *back == *bytes, "base64 decode/encode/decode is stable");
  }
  return 0;
}
