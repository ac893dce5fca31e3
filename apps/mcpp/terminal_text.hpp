// Text from outside (servers, tool results, file names, audit rows) made safe to print on an
// operator's terminal: control characters are shown escaped instead of being obeyed.
#pragma once

#include <string>
#include <string_view>

namespace mcpp::cli {

// Returns `text` with every control character written visibly in \xHH notation (C0 controls,
// DEL; CR always), C1 controls (U+0080..U+009F) and the bidirectional overrides and isolates
// (U+202A..U+202E, U+2066..U+2069) in \uHHHH notation, and every byte that is not part of valid
// UTF-8 replaced by U+FFFD. Valid UTF-8 text is left alone, and so are \n and \t when
// `keep_newlines` (otherwise they are escaped too). Not for JSON output, which is escaped already.
std::string terminal_safe(std::string_view text, bool keep_newlines = true);

}  // namespace mcpp::cli
