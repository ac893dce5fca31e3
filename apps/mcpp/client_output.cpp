// Terminal output of the client commands: tables measured in UTF-8 code points, ANSI bold headers
// on a terminal, and summaries of binary content.
#include "client_output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "terminal_text.hpp"

namespace mcpp::cli {

namespace {

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // count the first byte of each code point
  }
  return n;
}

// Cuts `s` to at most `width` code points, ending in "…" when it was cut.
std::string fit(std::string_view s, std::size_t width) {
  if (display_width(s) <= width) return std::string(s);
  if (width == 0) return {};
  std::size_t points = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (points == width - 1) break;
      ++points;
    }
  }
  return std::string(s.substr(0, i)) + "\u2026";
}

std::size_t terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

std::string human_size(std::size_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  if (bytes < 1024 * 1024) return std::to_string((bytes + 512) / 1024) + " KiB";
  return std::to_string((bytes + 512 * 1024) / (1024 * 1024)) + " MiB";
}

// The decoded size of base64 text.
std::size_t base64_bytes(std::string_view b64) {
  std::size_t n = b64.size();
  while (n > 0 && b64[n - 1] == '=') --n;
  return n * 3 / 4;
}

void pretty(std::string& out, const json::value& v, int indent) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level) * 2, ' ');
  };
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& [k, item] : o) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      out += json::serialize(json::value(k));
      out += ": ";
      pretty(out, item, indent + 1);
    }
    newline(indent);
    out += '}';
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& item : a) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      pretty(out, item, indent + 1);
    }
    newline(indent);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

bool stdout_has_colour() {
  if (!::isatty(STDOUT_FILENO)) return false;
  if (std::getenv("NO_COLOR")) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::string_view(term) == "dumb");
}

void Table::print(std::ostream& out) const {
  std::size_t cols = header_.size();
  std::vector<std::size_t> widths(cols, 0);
  for (std::size_t c = 0; c < cols; ++c) widths[c] = display_width(header_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < cols && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(terminal_safe(row[c], false)));
    }
  }
  bool colour = stdout_has_colour();
  std::size_t term = colour || ::isatty(STDOUT_FILENO) ? terminal_columns() : 0;
  std::size_t before_last = 0;
  for (std::size_t c = 0; c + 1 < cols; ++c) before_last += widths[c] + 2;
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string text;
    for (std::size_t c = 0; c < cols; ++c) {
      std::string cell = c < row.size() ? terminal_safe(row[c], false) : std::string();
      if (c + 1 == cols) {
        if (term > before_last + 8) cell = fit(cell, term - before_last);
        text += cell;
      } else {
        text += cell;
        text.append(widths[c] + 2 - display_width(cell), ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (header && colour) {
      out << "\x1b[1m" << text << "\x1b[0m\n";
    } else {
      out << text << '\n';
    }
  };
  line(header_, true);
  for (const auto& row : rows_) line(row, false);
}

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(out, v, 0);
  return out;
}

std::string first_line(std::string_view text) {
  auto nl = text.find('\n');
  std::string s(text.substr(0, nl));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s;
}

void print_resource_contents(std::ostream& out, const json::array& contents) {
  for (const auto& c : contents) {
    if (const json::value* text = find(c, "text"); text && text->is_string()) {
      std::string t = terminal_safe(text->get_string());
      out << t;
      if (t.empty() || t.back() != '\n') out << '\n';
      continue;
    }
    std::string_view mime = find_string(c, "mimeType");
    out << "[" << terminal_safe(find_string(c, "uri"), false) << ": "
        << (mime.empty() ? "binary" : terminal_safe(mime, false)) << ", "
        << human_size(base64_bytes(find_string(c, "blob"))) << "]\n";
  }
}

void print_content(std::ostream& out, const json::array& blocks) {
  for (const auto& b : blocks) {
    std::string_view type = find_string(b, "type");
    if (type == "text") {
      std::string t = terminal_safe(find_string(b, "text"));
      out << t;
      if (t.empty() || t.back() != '\n') out << '\n';
    } else if (type == "image" || type == "audio") {
      out << "[" << type << ": " << terminal_safe(find_string(b, "mimeType"), false) << ", "
          << human_size(base64_bytes(find_string(b, "data"))) << "]\n";
    } else if (type == "resource_link") {
      out << "[resource link: " << terminal_safe(find_string(b, "uri"), false);
      if (std::string_view n = find_string(b, "name"); !n.empty()) {
        out << " (" << terminal_safe(n, false) << ")";
      }
      out << "]\n";
    } else if (type == "resource") {
      if (const json::value* r = find(b, "resource"); r && r->is_object()) {
        print_resource_contents(out, json::array{*r});
      }
    } else {
      out << pretty_json(b) << '\n';
    }
  }
}

}  // namespace mcpp::cli
