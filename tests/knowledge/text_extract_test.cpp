// Text extraction: HTML to text, Markdown titles, binary sniffing, UTF-8 repair, format
// detection and PDF (when built with poppler-cpp).
#include "knowledge/text_extract.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kn = mcpp::knowledge;

namespace {

// A one-page PDF showing `text` in Helvetica, with a correct cross-reference table.
std::string tiny_pdf(const std::string& text, const std::string& title) {
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 5 0 R "
      ">> >> /Contents 4 0 R >>",
      "",  // the content stream, below
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Title (" + title + ") >>",
  };
  std::string stream = "BT /F1 12 Tf 20 100 Td (" + text + ") Tj ET";
  objects[3] =
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream";
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    std::string n = std::to_string(off);
    pdf += std::string(10 - n.size(), '0') + n + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R /Info 6 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace

TEST(HtmlToText, DropsScriptsStylesAndCommentsAndDecodesEntities) {
  std::string title;
  std::string text = kn::html_to_text(
      "<!DOCTYPE html><html><head><title>The &amp; Title</title><style>p{color:red}</style>"
      "<script>alert('x < y')</script></head><body><!-- hidden --><h1>Heading</h1>"
      "<p>Fish &amp; chips &lt;3 &#233;t&#xE9; caf&eacute;&nbsp;ok</p><ul><li>one</li>"
      "<li>two</li></ul><SCRIPT type=x>evil()</SCRIPT></body></html>",
      &title);
  EXPECT_EQ(title, "The & Title");
  EXPECT_EQ(text, "Heading\nFish & chips <3 été café ok\none\ntwo");
}

TEST(HtmlToText, TitleFallsBackToFirstH1AndCollapsesWhitespace) {
  std::string title;
  std::string text = kn::html_to_text(
      "<body><div>  lots   of\n\n  space </div><h1 class=\"big\">Main <em>topic</em></h1>"
      "<p>a</p><br><br><br><p>b</p></body>",
      &title);
  EXPECT_EQ(title, "Main topic");
  EXPECT_EQ(text, "lots of space\nMain topic\na\n\nb");
}

TEST(HtmlToText, SurvivesBrokenMarkup) {
  EXPECT_EQ(kn::html_to_text("a < b and c > d"), "a < b and c > d");
  EXPECT_EQ(kn::html_to_text("unterminated <b"), "unterminated <b");
  EXPECT_EQ(kn::html_to_text("<script>never closed"), "");
  EXPECT_EQ(kn::html_to_text("&bogus; &#xZZ; &#99999999; &"), "&bogus; &#xZZ; \xEF\xBF\xBD &");
  EXPECT_EQ(kn::html_to_text("<!-- never closed"), "");
  EXPECT_EQ(kn::html_to_text(""), "");
}

TEST(MarkdownTitle, AtxSetextFrontMatterAndFences) {
  EXPECT_EQ(kn::markdown_title("# Hello world\n\ntext"), "Hello world");
  EXPECT_EQ(kn::markdown_title("intro\n\n## Second\n# First #\n"), "First");
  EXPECT_EQ(kn::markdown_title("## Only a second level\ntext"), "Only a second level");
  EXPECT_EQ(kn::markdown_title("Setext title\n============\n\nbody"), "Setext title");
  EXPECT_EQ(kn::markdown_title("---\ntitle: \"From front matter\"\ntags: [a]\n---\n# Heading"),
            "From front matter");
  EXPECT_EQ(kn::markdown_title("---\nauthor: x\n---\n# After front matter"), "After front matter");
  EXPECT_EQ(kn::markdown_title("```\n# not a title\n```\n# Real title"), "Real title");
  EXPECT_EQ(kn::markdown_title("#hashtag is not a heading\nplain"), "");
  EXPECT_EQ(kn::markdown_title(""), "");
  EXPECT_EQ(kn::markdown_title("# Windows line\r\nx"), "Windows line");
}

TEST(Binary, NulBytesAndGarbageAreBinaryTextIsNot) {
  EXPECT_TRUE(kn::looks_binary(std::string("abc\0def", 7)));
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += static_cast<char>(0x80 + (i % 60));
  EXPECT_TRUE(kn::looks_binary(garbage));
  EXPECT_FALSE(kn::looks_binary("plain text\nwith lines\tand tabs"));
  EXPECT_FALSE(kn::looks_binary("caf\xC3\xA9 na\xC3\xAFve \xE2\x82\xAC"));
  EXPECT_FALSE(kn::looks_binary("mostly text with one bad byte \xFF here and more text after it"));
}

TEST(Utf8, InvalidSequencesBecomeReplacementCharacters) {
  EXPECT_EQ(kn::valid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(kn::valid_utf8("a\xFF"
                           "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(kn::valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(kn::valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(kn::valid_utf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Extract, KindsByExtension) {
  EXPECT_EQ(kn::kind_for_path("a/B.MD"), kn::DocumentKind::kMarkdown);
  EXPECT_EQ(kn::kind_for_path("x.htm"), kn::DocumentKind::kHtml);
  EXPECT_EQ(kn::kind_for_path("x.txt"), kn::DocumentKind::kText);
  EXPECT_EQ(kn::kind_for_path("src/main.cpp"), kn::DocumentKind::kSource);
  EXPECT_EQ(kn::kind_for_path("Makefile"), kn::DocumentKind::kSource);
  EXPECT_EQ(kn::kind_for_path("doc.pdf"), kn::DocumentKind::kPdf);
  EXPECT_EQ(kn::kind_for_path("image.png"), kn::DocumentKind::kUnknown);
}

TEST(Extract, TitlesAndMimeTypes) {
  auto md = kn::extract_text("notes.md", "# Release plan\n\nShip it.");
  ASSERT_TRUE(md.document);
  EXPECT_EQ(md.document->title, "Release plan");
  EXPECT_EQ(md.document->mime_type, "text/markdown");
  EXPECT_EQ(md.document->text, "# Release plan\n\nShip it.");

  auto html = kn::extract_text("p.html", "<title>Page</title><p>Body</p>");
  ASSERT_TRUE(html.document);
  EXPECT_EQ(html.document->title, "Page");
  EXPECT_EQ(html.document->text, "Body");

  auto txt = kn::extract_text("t.txt", "\xEF\xBB\xBFMeeting notes\nline two");
  ASSERT_TRUE(txt.document);
  EXPECT_EQ(txt.document->title, "Meeting notes");  // the byte order mark is gone

  auto code = kn::extract_text("x.py", "def f():\n    return 1\n");
  ASSERT_TRUE(code.document);
  EXPECT_EQ(code.document->title, "");  // the indexer uses the path
  EXPECT_EQ(code.document->mime_type, "text/x-source");

  auto unknown_text = kn::extract_text("CHANGES", "v1: first\n");
  ASSERT_TRUE(unknown_text.document);
  EXPECT_EQ(unknown_text.document->mime_type, "text/plain");
  EXPECT_EQ(unknown_text.document->title, "");  // the indexer uses the path
}

TEST(Extract, BadInputIsSkippedWithAReason) {
  auto bin = kn::extract_text("photo.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  EXPECT_FALSE(bin.document);
  EXPECT_EQ(bin.skipped, "binary file (not text)");
  auto disguised = kn::extract_text("notes.txt", std::string("\0\0\0\0text", 8));
  EXPECT_FALSE(disguised.document);
  EXPECT_EQ(disguised.skipped, "binary content in a text file");
  auto empty = kn::extract_text("empty.md", "");
  EXPECT_FALSE(empty.document);
  EXPECT_EQ(empty.skipped, "empty file");
  auto blank = kn::extract_text("blank.html", "<html><script>x</script></html>");
  EXPECT_FALSE(blank.document);
  EXPECT_EQ(blank.skipped, "no text");
  auto not_pdf = kn::extract_text("fake.pdf", "hello");
  EXPECT_FALSE(not_pdf.document);
  EXPECT_FALSE(not_pdf.skipped.empty());
}

TEST(Extract, Pdf) {
  if (!kn::pdf_supported()) GTEST_SKIP() << "built without poppler-cpp";
  auto pdf = kn::extract_text("report.pdf", tiny_pdf("Quarterly revenue grew", "Q3 Report"));
  ASSERT_TRUE(pdf.document) << pdf.skipped;
  EXPECT_EQ(pdf.document->title, "Q3 Report");
  EXPECT_EQ(pdf.document->mime_type, "application/pdf");
  EXPECT_NE(pdf.document->text.find("Quarterly revenue grew"), std::string::npos)
      << pdf.document->text;

  auto truncated = kn::extract_text("broken.pdf", std::string("%PDF-1.4\n1 0 obj\n<<"));
  EXPECT_FALSE(truncated.document);
  EXPECT_FALSE(truncated.skipped.empty());
}
