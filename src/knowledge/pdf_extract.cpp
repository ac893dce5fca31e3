// PDF text through poppler-cpp (Debian's libpoppler-cpp-dev), when the build found it
// (MCPP_HAVE_POPPLER); otherwise PDF files are skipped with a note.
#include <cstdint>
#include <mutex>
#include <string_view>

#include "knowledge/text_extract.hpp"

#ifdef MCPP_HAVE_POPPLER
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#endif

namespace mcpp::knowledge {

#ifdef MCPP_HAVE_POPPLER

namespace {

std::string utf8_of(const poppler::ustring& s) {
  poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// poppler prints its complaints about malformed files on stderr; the indexer reports its own.
void quiet(const std::string&, void*) {}

}  // namespace

bool pdf_supported() {
  return true;
}

Extraction extract_pdf(std::string_view bytes) {
  static std::once_flag silence;
  std::call_once(silence, [] { poppler::set_debug_error_function(quiet, nullptr); });
  if (bytes.size() < 5 || bytes.substr(0, 5) != "%PDF-") {
    return {std::nullopt, "not a PDF file (no %PDF- header)"};
  }
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) return {std::nullopt, "PDF too large"};
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) return {std::nullopt, "unreadable PDF"};
  if (doc->is_locked()) return {std::nullopt, "encrypted PDF (needs a password)"};
  ExtractedText out;
  out.mime_type = "application/pdf";
  out.title = valid_utf8(utf8_of(doc->info_key("Title")));
  for (int i = 0; i < doc->pages(); ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    std::string text = valid_utf8(utf8_of(page->text()));
    if (text.empty()) continue;
    if (!out.text.empty()) out.text += "\n\n";
    out.text += text;
  }
  if (out.text.find_first_not_of(" \t\r\n\f") == std::string::npos) {
    return {std::nullopt, "PDF without extractable text (scanned images?)"};
  }
  return {std::move(out), {}};
}

#else

bool pdf_supported() {
  return false;
}

Extraction extract_pdf(std::string_view) {
  return {std::nullopt, "PDF support not built (install libpoppler-cpp-dev and rebuild)"};
}

#endif

}  // namespace mcpp::knowledge
