// Typed tool arguments: JSON numbers become C++ integers only when the target type holds them
// (no silent wrap of -1 into an unsigned, no undefined cast of 1e300), end to end and table-driven.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "session_harness.hpp"

namespace mcpp {
namespace {
using testing::SessionHarness;

// One conversion: JSON text in, the converted value or the start of the error out.
struct IntegerCase {
  const char* name;
  const char* json;
  bool converts;
  long long expected = 0;
};

template <class T>
void check_integer_cases(const std::vector<IntegerCase>& cases) {
  for (const IntegerCase& c : cases) {
    SCOPED_TRACE(c.name);
    json::value v = json::parse(c.json);
    if (c.converts) {
      EXPECT_EQ(static_cast<long long>(from_json<T>(v, "/n")), c.expected);
    } else {
      EXPECT_THROW(from_json<T>(v, "/n"), std::invalid_argument);
    }
  }
}

TEST(TypedArgumentsTest, IntConversionsRefuseWhatAnIntCannotHold) {
  check_integer_cases<int>({
      {"small", "42", true, 42},
      {"negative", "-7", true, -7},
      {"integral double", "3.0", true, 3},
      {"largest", "2147483647", true, 2147483647},
      {"smallest", "-2147483648", true, -2147483648LL},
      {"one past the largest", "2147483648", false},
      {"one below the smallest", "-2147483649", false},
      {"huge double", "1e300", false},
      {"huge negative double", "-1e300", false},
      {"double past int64", "9.3e18", false},
      {"uint64", "18446744073709551615", false},
      {"fraction", "1.5", false},
      {"string", "\"1\"", false},
  });
}

TEST(TypedArgumentsTest, UnsignedConversionsRefuseNegativesAndOverflow) {
  check_integer_cases<unsigned>({
      {"zero", "0", true, 0},
      {"largest", "4294967295", true, 4294967295LL},
      {"minus one", "-1", false},
      {"minus one as double", "-1.0", false},
      {"one past the largest", "4294967296", false},
      {"huge double", "1e300", false},
  });
  check_integer_cases<std::uint8_t>({{"255", "255", true, 255}, {"256", "256", false}});
  check_integer_cases<std::int16_t>(
      {{"-32768", "-32768", true, -32768}, {"40000", "40000", false}});
}

TEST(TypedArgumentsTest, Int64ConversionsStayInsideTheExactDoubleRange) {
  check_integer_cases<std::int64_t>({
      {"largest int", "9223372036854775807", true, 9223372036854775807LL},
      {"2^62 as double", "4.611686018427387904e18", true, 4611686018427387904LL},
      {"2^63 as double", "9.223372036854775808e18", false},
      {"-2^63 as double", "-9.223372036854775808e18", true, INT64_MIN},
      {"1e300", "1e300", false},
      {"uint64 max", "18446744073709551615", false},
  });
  check_integer_cases<std::uint64_t>(
      {{"uint64 max", "18446744073709551615", true, static_cast<long long>(UINT64_MAX)},
       {"minus one", "-1", false},
       {"2^64 as double", "1.8446744073709551616e19", false}});
}

TEST(TypedArgumentsTest, NarrowAndUnsignedSchemasStateTheirRange) {
  EXPECT_EQ(json::serialize(schema_of<unsigned>()),
            R"({"type":"integer","minimum":0,"maximum":4294967295})");
  EXPECT_EQ(json::serialize(schema_of<int>()),
            R"({"type":"integer","minimum":-2147483648,"maximum":2147483647})");
  EXPECT_EQ(json::serialize(schema_of<std::int64_t>()), R"({"type":"integer"})");
}

struct CountArgs {
  int count;
  unsigned copies;
  std::int64_t offset;
};
BOOST_DESCRIBE_STRUCT(CountArgs, (), (count, copies, offset))

class TypedArgumentsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.tool("count", "Counts", [](const CountArgs& a, Context&) {
      return std::to_string(a.count) + "/" + std::to_string(a.copies) + "/" +
             std::to_string(a.offset);
    });
  }
  // Calls the tool with the given arguments; returns the result object.
  json::value call(SessionHarness& h, const std::string& arguments) {
    json::value r = h.send(
        R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"count","arguments":)" +
        arguments + "}}");
    return r.at("result");
  }
  static std::string text_of(const json::value& result) {
    return std::string(result.at("content").as_array()[0].at("text").as_string());
  }
  Server server;
};

TEST_F(TypedArgumentsSessionTest, InRangeArgumentsArrive) {
  SessionHarness h(server);
  h.initialize();
  json::value r = call(h, R"({"count":-3,"copies":4294967295,"offset":-9000000000})");
  EXPECT_EQ(find(r, "isError"), nullptr) << json::serialize(r);
  EXPECT_EQ(text_of(r), "-3/4294967295/-9000000000");
}

TEST_F(TypedArgumentsSessionTest, OutOfRangeArgumentsAreRefusedNamingTheField) {
  struct Case {
    const char* arguments;
    const char* field;
  };
  for (const Case& c : {Case{R"({"count":1e300,"copies":1,"offset":0})", "/count"},
                        Case{R"({"count":1,"copies":-1,"offset":0})", "/copies"},
                        Case{R"({"count":1,"copies":4294967296,"offset":0})", "/copies"},
                        Case{R"({"count":1,"copies":1,"offset":1e300})", "/offset"},
                        Case{R"({"count":1,"copies":1,"offset":-1e19})", "/offset"}}) {
    SCOPED_TRACE(c.arguments);
    SessionHarness h(server);
    h.initialize();
    json::value r = call(h, c.arguments);
    ASSERT_TRUE(r.at("isError").as_bool()) << json::serialize(r);
    std::string text = text_of(r);
    EXPECT_NE(text.find("Invalid arguments for tool \"count\""), std::string::npos) << text;
    EXPECT_NE(text.find(c.field), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace mcpp
