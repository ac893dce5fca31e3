// terminal_safe: what reaches the operator's terminal from outside cannot drive it.
#include "terminal_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using mcpp::cli::terminal_safe;

struct Case {
  const char* name;
  std::string input;
  std::string expected;
  bool keep_newlines = true;
};

class TerminalSafe : public testing::TestWithParam<Case> {};

TEST_P(TerminalSafe, EscapesWhatATerminalWouldObey) {
  const Case& c = GetParam();
  EXPECT_EQ(terminal_safe(c.input, c.keep_newlines), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TerminalSafe,
    testing::Values(Case{"plain", "hello, world", "hello, world"}, Case{"empty", "", ""},
                    Case{"clear_screen", "id\x1b[2Jx", "id\\x1b[2Jx"},
                    Case{"title_osc", "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"},
                    Case{"backspace_del", "ab\b\x7f", "ab\\x08\\x7f"},
                    Case{"carriage_return", "ok\rFAKE", "ok\\x0dFAKE"},
                    Case{"nul", std::string("a\0b", 3), "a\\x00b"},
                    Case{"newline_tab_kept", "a\n\tb", "a\n\tb"},
                    Case{"newline_tab_escaped", "a\n\tb", "a\\x0a\\x09b", false},
                    Case{"utf8_kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
                    Case{"c1_csi_encoded",
                         "x\xc2\x9b"
                         "2J",
                         "x\\u009b2J"},
                    Case{"c1_raw_byte",
                         "x\x9b"
                         "2J",
                         "x\xef\xbf\xbd"
                         "2J"},
                    Case{"bidi_override",
                         "abc\xe2\x80\xae"
                         "def",
                         "abc\\u202edef"},
                    Case{"bidi_isolate", "\xe2\x81\xa6x", "\\u2066x"},
                    Case{"overlong_slash", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
                    Case{"overlong_esc", "\xc0\x9b", "\xef\xbf\xbd\xef\xbf\xbd"},
                    Case{"surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
                    Case{"beyond_unicode", "\xf4\x90\x80\x80",
                         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
                    Case{"cut_sequence", "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
                    Case{"lead_then_esc", "\xe2\x1b[m", "\xef\xbf\xbd\\x1b[m"},
                    Case{"backslash_kept", "C:\\dir", "C:\\dir"}),
    [](const testing::TestParamInfo<Case>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(TerminalSafe, NoByteBelowSpaceSurvivesWithoutNewlines) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string out = terminal_safe(all, false);
  for (unsigned char c : out) {
    EXPECT_FALSE(c < 0x20 || c == 0x7F) << "byte " << static_cast<int>(c) << " got through";
  }
}

}  // namespace
