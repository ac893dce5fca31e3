// How the client commands print: aligned tables (colour only on a terminal), indented JSON, and
// MCP content blocks as text.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp::cli {

// Whether stdout is a terminal that takes colour (not with NO_COLOR or TERM=dumb).
bool stdout_has_colour();

// Rows of columns printed aligned; the last column is cut to the terminal's width on a terminal.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON indented by two spaces.
std::string pretty_json(const json::value& v);

// The first line of a text, without trailing spaces.
std::string first_line(std::string_view text);

// Prints content blocks (tool results, prompt messages, resource contents) for a person: text as
// it is, other kinds as a one-line summary.
void print_content(std::ostream& out, const json::array& blocks);
void print_resource_contents(std::ostream& out, const json::array& contents);

}  // namespace mcpp::cli
