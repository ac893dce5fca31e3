// Text extraction: format detection by extension, binary sniffing, UTF-8 repair, HTML to text
// and Markdown titles. PDF lives in pdf_extract.cpp.
#include "knowledge/text_extract.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace mcpp::knowledge {

// pdf_extract.cpp
Extraction extract_pdf(std::string_view bytes);

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct NamedEntity {
  std::string_view name;
  std::uint32_t cp;
};
constexpr std::array<NamedEntity, 24> kEntities{{
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"laquo", 0xAB},   {"raquo", 0xBB},   {"middot", 0xB7},  {"bull", 0x2022},
    {"euro", 0x20AC},  {"eacute", 0xE9},  {"egrave", 0xE8},  {"times", 0xD7},
}};

// Decodes the entity at html[i] == '&' into out; returns the characters consumed (0: none).
std::size_t decode_entity(std::string_view html, std::size_t i, std::string& out) {
  std::size_t semi = html.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view body = html.substr(i + 1, semi - i - 1);
  if (body.size() >= 2 && body[0] == '#') {
    std::uint32_t cp = 0;
    bool hex = body[1] == 'x' || body[1] == 'X';
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      if (cp > 0x10FFFF) cp = 0x110000;
    }
    append_utf8(out, cp);
    return semi - i + 1;
  }
  for (const auto& e : kEntities) {
    if (e.name == body) {
      append_utf8(out, e.cp == 0xA0 ? ' ' : e.cp);
      return semi - i + 1;
    }
  }
  return 0;
}

constexpr std::array<std::string_view, 32> kBlockTags{
    "p",      "div",    "br",     "li",    "ul",         "ol",    "h1",      "h2",
    "h3",     "h4",     "h5",     "h6",    "tr",         "table", "section", "article",
    "header", "footer", "nav",    "aside", "blockquote", "pre",   "hr",      "dt",
    "dd",     "dl",     "figure", "main",  "form",       "td",    "th",      "title",
};

bool is_block(std::string_view tag) {
  return std::find(kBlockTags.begin(), kBlockTags.end(), tag) != kBlockTags.end();
}

// Appends text, collapsing whitespace: runs of spaces become one, line breaks at most two.
class TextSink {
 public:
  void text(std::string_view s) {
    for (char c : s) {
      if (is_space(c)) {
        pending_space_ = true;
      } else {
        flush();
        out_ += c;
      }
    }
  }
  void text_char(const std::string& utf8) {
    if (utf8 == " ") {
      pending_space_ = true;
      return;
    }
    flush();
    out_ += utf8;
  }
  // A block boundary ends the line; <br> (hard) may also leave one blank line.
  void line_break(bool hard = false) {
    pending_space_ = false;
    if (out_.empty()) return;
    if (newlines_ < (hard ? 2 : 1)) {
      out_ += '\n';
      ++newlines_;
    }
  }
  std::string take() {
    while (!out_.empty() && is_space(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  void flush() {
    if (pending_space_ && !out_.empty() && out_.back() != '\n') out_ += ' ';
    pending_space_ = false;
    newlines_ = 0;
  }
  std::string out_;
  bool pending_space_ = false;
  int newlines_ = 0;
};

std::string decode_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      if (std::size_t n = decode_entity(s, i, out)) {
        i += n - 1;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Position of `needle` (lowercase) in s from `from` on, ignoring case; npos when absent.
std::size_t find_ci(std::string_view s, std::string_view needle, std::size_t from) {
  if (needle.empty() || s.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= s.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(s[i + k])) ==
                                    static_cast<unsigned char>(needle[k])) {
      ++k;
    }
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

std::string collapse(std::string_view s) {
  TextSink sink;
  sink.text(s);
  return sink.take();
}

}  // namespace

std::string html_to_text(std::string_view html, std::string* title) {
  TextSink sink;
  std::string first_h1;
  std::string found_title;
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '&') {
      std::string decoded;
      if (std::size_t n = decode_entity(html, i, decoded)) {
        sink.text_char(decoded);
        i += n;
        continue;
      }
      sink.text("&");
      ++i;
      continue;
    }
    if (c != '<') {
      std::size_t next = html.find_first_of("<&", i);
      if (next == std::string_view::npos) next = html.size();
      sink.text(html.substr(i, next - i));
      i = next;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      std::size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    // A tag: <name ...>, </name>, <!doctype>, <?xml?>.
    std::size_t end = html.find('>', i + 1);
    if (end == std::string_view::npos) {  // a stray '<' at the end
      sink.text(html.substr(i));
      break;
    }
    std::string_view inside = html.substr(i + 1, end - i - 1);
    bool closing = !inside.empty() && inside.front() == '/';
    if (closing) inside.remove_prefix(1);
    std::size_t name_end = 0;
    while (
        name_end < inside.size() &&
        (std::isalnum(static_cast<unsigned char>(inside[name_end])) || inside[name_end] == '-')) {
      ++name_end;
    }
    std::string name = lower(inside.substr(0, name_end));
    if (name.empty() && !inside.empty() && inside.front() != '!' && inside.front() != '?') {
      sink.text("<");  // "a < b" in text: not a tag
      ++i;
      continue;
    }
    i = end + 1;
    if (!closing && (name == "script" || name == "style" || name == "noscript" ||
                     name == "template" || name == "title" || name == "svg")) {
      std::size_t stop = find_ci(html, "</" + name, i);
      if (stop == std::string_view::npos) stop = html.size();
      if (name == "title" && found_title.empty()) {
        found_title = collapse(decode_text(html.substr(i, stop - i)));
      }
      std::size_t gt = html.find('>', stop);
      i = gt == std::string_view::npos ? html.size() : gt + 1;
      continue;
    }
    if (name == "h1" && !closing && first_h1.empty()) {
      std::size_t stop = find_ci(html, "</h1", i);
      std::string_view inner = html.substr(i, stop == std::string_view::npos ? 0 : stop - i);
      first_h1 = collapse(html_to_text(inner));
    }
    if (is_block(name)) sink.line_break(name == "br" || name == "hr");
  }
  if (title) *title = !found_title.empty() ? found_title : first_h1;
  return sink.take();
}

std::string markdown_title(std::string_view md) {
  std::string_view rest = md;
  auto next_line = [&rest]() {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  if (rest.starts_with("---\n") || rest.starts_with("---\r\n")) {
    std::string_view save = rest;
    next_line();
    while (!rest.empty()) {
      std::string_view line = next_line();
      if (line == "---" || line == "...") break;
      if (line.starts_with("title:")) {
        std::string_view t = trim(line.substr(6));
        if (t.size() >= 2 && (t.front() == '"' || t.front() == '\'') && t.back() == t.front()) {
          t = t.substr(1, t.size() - 2);
        }
        if (!t.empty()) return std::string(t);
      }
    }
    if (rest.empty()) rest = save;  // no closing fence: not front matter
  }
  std::string any_heading;
  std::string_view previous;
  bool in_fence = false;
  while (!rest.empty()) {
    std::string_view line = next_line();
    std::string_view t = trim(line);
    if (t.starts_with("```") || t.starts_with("~~~")) {
      in_fence = !in_fence;
      previous = {};
      continue;
    }
    if (in_fence) continue;
    if (t.starts_with("#")) {
      std::size_t level = 0;
      while (level < t.size() && t[level] == '#') ++level;
      if (level <= 6 && (level == t.size() || t[level] == ' ' || t[level] == '\t')) {
        std::string_view h = trim(t.substr(level));
        while (!h.empty() && h.back() == '#') h.remove_suffix(1);  // closing hashes
        h = trim(h);
        if (!h.empty()) {
          if (level == 1) return std::string(h);
          if (any_heading.empty()) any_heading = h;
        }
      }
    } else if (!t.empty() && !trim(previous).empty() &&
               std::all_of(t.begin(), t.end(), [](char c) { return c == '='; })) {
      return std::string(trim(previous));
    } else if (!t.empty() && t.size() >= 2 && !trim(previous).empty() && any_heading.empty() &&
               std::all_of(t.begin(), t.end(), [](char c) { return c == '-'; })) {
      any_heading = trim(previous);
    }
    previous = line;
  }
  return any_heading;
}

bool looks_binary(std::string_view bytes) {
  if (bytes.find('\0') != std::string_view::npos) return true;
  std::size_t sample = std::min<std::size_t>(bytes.size(), 64 * 1024);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < sample;) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1B) {
      ++bad;
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      // A sequence cut by the sample's end is not a sign of binary data.
      if (i + 4 >= sample && sample < bytes.size()) break;
      ++bad;
      n = 1;
    }
    i += n;
  }
  return sample > 0 && bad * 10 > sample;  // more than 10% non-text bytes
}

std::string valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

DocumentKind kind_for_path(const std::filesystem::path& path) {
  std::string ext = lower(path.extension().string());
  if (ext == ".md" || ext == ".markdown" || ext == ".mdown" || ext == ".mkd") {
    return DocumentKind::kMarkdown;
  }
  if (ext == ".txt" || ext == ".text" || ext == ".rst" || ext == ".adoc" || ext == ".org" ||
      ext == ".log" || ext == ".csv" || ext == ".tsv") {
    return DocumentKind::kText;
  }
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return DocumentKind::kHtml;
  if (ext == ".pdf") return DocumentKind::kPdf;
  static constexpr std::array<std::string_view, 46> kSource{
      ".c",     ".h",   ".cc",   ".cpp",   ".cxx",   ".hpp",  ".hh",   ".hxx", ".ipp",  ".py",
      ".js",    ".mjs", ".cjs",  ".ts",    ".tsx",   ".jsx",  ".go",   ".rs",  ".java", ".kt",
      ".rb",    ".php", ".cs",   ".swift", ".scala", ".sh",   ".bash", ".zsh", ".sql",  ".lua",
      ".pl",    ".r",   ".json", ".yaml",  ".yml",   ".toml", ".ini",  ".cfg", ".xml",  ".cmake",
      ".proto", ".css", ".scss", ".vue",   ".el",    ".hs"};
  if (std::find(kSource.begin(), kSource.end(), ext) != kSource.end()) return DocumentKind::kSource;
  std::string name = path.filename().string();
  if (name == "Makefile" || name == "Dockerfile" || name == "CMakeLists.txt" || name == "README" ||
      name == "LICENSE" || name == "NOTICE") {
    return name == "README" || name == "LICENSE" || name == "NOTICE" ? DocumentKind::kText
                                                                     : DocumentKind::kSource;
  }
  return DocumentKind::kUnknown;
}

std::string_view mime_type_of(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kMarkdown:
      return "text/markdown";
    case DocumentKind::kHtml:
      return "text/html";
    case DocumentKind::kPdf:
      return "application/pdf";
    case DocumentKind::kSource:
      return "text/x-source";
    case DocumentKind::kText:
    case DocumentKind::kUnknown:
      break;
  }
  return "text/plain";
}

Extraction extract_text(const std::filesystem::path& name, std::string_view bytes) {
  DocumentKind kind = kind_for_path(name);
  if (kind == DocumentKind::kPdf) return extract_pdf(bytes);
  if (bytes.empty()) return {std::nullopt, "empty file"};
  if (looks_binary(bytes)) {
    return {std::nullopt, kind == DocumentKind::kUnknown ? "binary file (not text)"
                                                         : "binary content in a text file"};
  }
  std::string text = valid_utf8(bytes);
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // byte order mark
  ExtractedText doc;
  doc.mime_type = std::string(mime_type_of(kind));
  switch (kind) {
    case DocumentKind::kHtml:
      doc.text = html_to_text(text, &doc.title);
      break;
    case DocumentKind::kMarkdown:
      doc.title = markdown_title(text);
      doc.text = std::move(text);
      break;
    case DocumentKind::kText: {
      // The first line names a text document when it is short, as notes usually begin.
      std::string_view first = trim(std::string_view(text).substr(0, text.find('\n')));
      if (!first.empty() && first.size() <= 100) doc.title = first;
      doc.text = std::move(text);
      break;
    }
    case DocumentKind::kUnknown:  // a file of another kind that holds text: its path says more
    case DocumentKind::kSource:
    case DocumentKind::kPdf:
      doc.text = std::move(text);
      break;
  }
  if (trim(doc.text).empty()) return {std::nullopt, "no text"};
  return {std::move(doc), {}};
}

}  // namespace mcpp::knowledge
