// Runs the official JSON-Schema-Test-Suite (draft2020-12, required tests only) against our
// validator; the suite lives outside the project in MCPP_SHARED_DIR/json-schema-test-suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_schema.hpp"

namespace mcpp::schema {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path& suite_root() {
  static const fs::path root = fs::path(MCPP_SHARED_DIR) / "json-schema-test-suite";
  return root;
}

json::value read_json(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  json::parse_options options;
  options.max_depth = 1000;
  return json::parse(text.str(), {}, options);
}

// Serves http://localhost:1234/<path> from the suite's remotes/ folder, as the suite's README
// asks; documents are cached so the pointers handed out stay valid.
class RemoteLoader {
 public:
  const json::value* load(std::string_view uri) {
    constexpr std::string_view kPrefix = "http://localhost:1234/";
    if (uri.rfind(kPrefix, 0) != 0) return nullptr;
    const std::string key(uri);
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    const fs::path file = suite_root() / "remotes" / std::string(uri.substr(kPrefix.size()));
    if (!fs::is_regular_file(file)) return nullptr;
    return &cache_.emplace(key, read_json(file)).first->second;
  }

 private:
  std::map<std::string, json::value> cache_;
};

TEST(JsonSchemaSuite, Draft202012Required) {
  const fs::path dir = suite_root() / "tests" / "draft2020-12";
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "JSON-Schema-Test-Suite not found: looked for " << dir.string()
                 << " (MCPP_SHARED_DIR=" << MCPP_SHARED_DIR << ")";
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no test files in " << dir.string();

  RemoteLoader remotes;
  const SchemaLoader loader = [&remotes](std::string_view uri) { return remotes.load(uri); };
  std::size_t total = 0;
  std::size_t passed = 0;
  std::ostringstream failures_by_file;
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    const json::value cases = read_json(file);
    std::size_t file_total = 0;
    std::size_t file_passed = 0;
    for (const json::value& c : cases.as_array()) {
      const json::object& test_case = c.as_object();
      const std::string case_name(test_case.at("description").as_string());
      std::optional<Validator> validator;
      std::string compile_error;
      try {
        validator = Validator::compile(test_case.at("schema"), loader);
      } catch (const std::exception& e) {
        compile_error = e.what();
      }
      for (const json::value& t : test_case.at("tests").as_array()) {
        const json::object& test = t.as_object();
        const std::string test_name(test.at("description").as_string());
        const bool expected = test.at("valid").as_bool();
        ++file_total;
        if (!validator) {
          ADD_FAILURE() << name << " / " << case_name << " / " << test_name
                        << ": schema did not compile: " << compile_error;
          continue;
        }
        std::vector<ValidationError> errors;
        const bool valid = validator->validate(test.at("data"), &errors);
        if (valid == expected && (valid || !errors.empty())) {
          ++file_passed;
          continue;
        }
        ADD_FAILURE() << name << " / " << case_name << " / " << test_name << ": expected "
                      << (expected ? "valid" : "invalid") << " but got "
                      << (valid ? "valid" : "invalid")
                      << (errors.empty() ? std::string() : " (" + errors.front().message + ")");
      }
    }
    total += file_total;
    passed += file_passed;
    if (file_passed != file_total) {
      failures_by_file << "  " << name << ": " << file_passed << "/" << file_total << "\n";
    }
  }
  std::cout << "draft2020-12: " << passed << "/" << total << " passed\n" << failures_by_file.str();
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace mcpp::schema
