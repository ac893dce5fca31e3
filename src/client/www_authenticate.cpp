// WWW-Authenticate parsing: a small scanner over tokens, quoted strings and separators.
#include "client/www_authenticate.hpp"

#include <cctype>

namespace mcpp {

namespace {

bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_ws() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  // Skips whitespace and commas (empty list elements are allowed).
  void skip_separators() {
    while (!done() &&
           (peek() == ',' || peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) {
      ++i_;
    }
  }
  std::string_view token() {
    std::size_t start = i_;
    while (!done() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string_view bare_value() {
    std::size_t start = i_;
    while (!done() && s_[i_] != ',' && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '\r' &&
           s_[i_] != '\n' && s_[i_] != '"') {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // After the opening quote: the unescaped content up to the closing quote (or the end).
  std::string quoted() {
    std::string out;
    ++i_;  // the opening quote
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\' && !done()) c = s_[i_++];
      out += c;
    }
    return out;  // unterminated: lenient
  }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }
  std::string_view rest_from(std::size_t p) const { return s_.substr(p); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// At the start of an element after a scheme: is it `name = value` (an auth-param)?
bool at_auth_param(Scanner& sc) {
  std::size_t start = sc.pos();
  std::string_view name = sc.token();
  bool yes = false;
  if (!name.empty()) {
    sc.skip_ws();
    if (sc.peek() == '=') {
      sc.seek(sc.pos() + 1);
      sc.skip_ws();
      // A value must follow (token or quoted-string); "name=" followed by ',' or the end is a
      // token68 with padding.
      yes = sc.peek() == '"' || is_tchar(sc.peek());
    }
  }
  sc.seek(start);
  return yes;
}

}  // namespace

std::string HttpChallenge::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

bool HttpChallenge::has(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return true;
  }
  return false;
}

std::vector<HttpChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<HttpChallenge> out;
  Scanner sc(header);
  sc.skip_separators();
  while (!sc.done()) {
    std::string_view scheme = sc.token();
    if (scheme.empty()) break;  // not a challenge: stop here
    HttpChallenge c;
    c.scheme = lower(scheme);
    std::size_t after_scheme = sc.pos();
    sc.skip_ws();
    bool spaced = sc.pos() > after_scheme;
    if (spaced && !sc.done() && sc.peek() != ',' && !at_auth_param(sc)) {
      // token68
      std::size_t start = sc.pos();
      while (!sc.done() && is_token68_char(sc.peek())) sc.seek(sc.pos() + 1);
      while (!sc.done() && sc.peek() == '=') sc.seek(sc.pos() + 1);
      c.token68 = std::string(sc.rest_from(start).substr(0, sc.pos() - start));
      sc.skip_ws();
      out.push_back(std::move(c));
      if (!sc.done() && sc.peek() != ',') return out;  // garbage after token68
      sc.skip_separators();
      continue;
    }
    // auth-params, until the next challenge (a token not followed by '=').
    bool malformed = false;
    for (;;) {
      sc.skip_separators();
      if (sc.done() || !at_auth_param(sc)) break;
      std::string name = lower(sc.token());
      sc.skip_ws();
      sc.seek(sc.pos() + 1);  // '='
      sc.skip_ws();
      std::string value;
      if (sc.peek() == '"') {
        value = sc.quoted();
      } else {
        // A token; leniently, anything up to a comma or whitespace (an unquoted URL).
        value = std::string(sc.bare_value());
      }
      if (!c.has(name)) c.params.emplace_back(std::move(name), std::move(value));
      sc.skip_ws();
      // A missing comma between two auth-params is tolerated; anything else ends the parse.
      if (!sc.done() && sc.peek() != ',' && !at_auth_param(sc)) {
        malformed = true;
        break;
      }
    }
    out.push_back(std::move(c));
    if (malformed) return out;
  }
  return out;
}

const HttpChallenge* find_challenge(const std::vector<HttpChallenge>& challenges,
                                    std::string_view scheme) {
  std::string want = lower(scheme);
  for (const auto& c : challenges) {
    if (c.scheme == want) return &c;
  }
  return nullptr;
}

}  // namespace mcpp
