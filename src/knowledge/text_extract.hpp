// Turns a file's bytes into a document's title and searchable text: Markdown, plain text, HTML
// (as text), source code, and PDF (poppler-cpp, when built with it). Binary files are refused
// with a reason instead of being indexed as garbage.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp::knowledge {

enum class DocumentKind { kMarkdown, kText, kHtml, kSource, kPdf, kUnknown };

// The kind of a file from its extension (case-insensitive); kUnknown when it says nothing.
DocumentKind kind_for_path(const std::filesystem::path& path);
std::string_view mime_type_of(DocumentKind kind);

struct ExtractedText {
  std::string title;  // empty when the content names none (the caller falls back to the path)
  std::string text;
  std::string mime_type;
};

// Either a document or the reason it was skipped ("binary file", "empty file", ...).
struct Extraction {
  std::optional<ExtractedText> document;
  std::string skipped;
};

// Extracts a file; `name` (a path) selects the format and is never opened.
Extraction extract_text(const std::filesystem::path& name, std::string_view bytes);

// True for bytes that are not text: NUL bytes, or mostly control characters and invalid UTF-8.
bool looks_binary(std::string_view bytes);
// The bytes with every invalid UTF-8 sequence replaced by U+FFFD (JSON needs valid UTF-8).
std::string valid_utf8(std::string_view bytes);

// HTML as readable text: scripts, styles and comments dropped, block elements as line breaks,
// entities decoded, whitespace collapsed. Sets *title from <title> (else the first <h1>).
std::string html_to_text(std::string_view html, std::string* title = nullptr);
// A Markdown document's title: `title:` in YAML front matter, else the first level-1 heading
// (ATX "# x" or setext "x\n==="), else the first heading; empty when there is none.
std::string markdown_title(std::string_view markdown);

// Whether this build reads PDF files (poppler-cpp).
bool pdf_supported();

}  // namespace mcpp::knowledge
