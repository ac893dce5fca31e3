// ECMA-262 pattern matcher behind "pattern" and "patternProperties": a parser, a compiler to a
// small instruction set, and a Pike VM that runs in O(|text| * |program|) without recursing on
// text.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema::detail {

namespace {

constexpr std::uint32_t kInfinite = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMaxInstructions = 20000;
constexpr int kMaxNesting = 64;
constexpr char32_t kMaxRegexCodePoint = 0x10FFFF;
constexpr std::uint32_t kAllCategories = (1u << 30) - 1;

struct CharRange {
  char32_t lo;
  char32_t hi;
};

// A set of code points: explicit ranges plus whole general categories, optionally negated.
struct CharSet {
  std::vector<CharRange> ranges;
  std::uint32_t categories = 0;
  bool negated = false;

  void add(char32_t lo, char32_t hi) { ranges.push_back({lo, hi}); }

  void add_complement_of(std::vector<CharRange> other) {
    sort_and_merge(other);
    char32_t next = 0;
    for (const CharRange& r : other) {
      if (r.lo > next) add(next, r.lo - 1);
      next = r.hi + 1;
    }
    if (next <= kMaxRegexCodePoint) add(next, kMaxRegexCodePoint);
  }

  static void sort_and_merge(std::vector<CharRange>& rs) {
    std::sort(rs.begin(), rs.end(),
              [](const CharRange& a, const CharRange& b) { return a.lo < b.lo; });
    std::vector<CharRange> merged;
    for (const CharRange& r : rs) {
      if (!merged.empty() && r.lo <= merged.back().hi + 1) {
        merged.back().hi = std::max(merged.back().hi, r.hi);
      } else {
        merged.push_back(r);
      }
    }
    rs = std::move(merged);
  }

  // Membership of the 128 ASCII code points, precomputed by finish() (negation included).
  std::uint64_t ascii[2] = {0, 0};

  void finish() {
    sort_and_merge(ranges);
    for (char32_t c = 0; c < 128; ++c) {
      if (slow_contains(c)) ascii[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
  }

  bool contains(char32_t cp) const {
    if (cp < 128) return ((ascii[cp >> 6] >> (cp & 63)) & 1u) != 0;
    return slow_contains(cp);
  }

  bool slow_contains(char32_t cp) const {
    bool in = false;
    auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                               [](char32_t c, const CharRange& r) { return c < r.lo; });
    if (it != ranges.begin() && std::prev(it)->hi >= cp) in = true;
    if (!in && categories != 0) {
      in = ((categories >> static_cast<unsigned>(general_category(cp))) & 1u) != 0;
    }
    return in != negated;
  }
};

std::uint32_t bit(GeneralCategory c) {
  return 1u << static_cast<unsigned>(c);
}

std::uint32_t bits(std::initializer_list<GeneralCategory> cs) {
  std::uint32_t m = 0;
  for (GeneralCategory c : cs) m |= bit(c);
  return m;
}

// Maps a \p{..} value (short or long general category name) to category bits; 0 when unknown.
std::uint32_t category_mask(std::string_view name) {
  using G = GeneralCategory;
  struct Entry {
    std::string_view short_name;
    std::string_view long_name;
    std::string_view alias;
    std::uint32_t mask;
  };
  const std::uint32_t letters = bits({G::kLu, G::kLl, G::kLt, G::kLm, G::kLo});
  const Entry entries[] = {
      {"L", "Letter", "", letters},
      {"LC", "Cased_Letter", "", bits({G::kLu, G::kLl, G::kLt})},
      {"Lu", "Uppercase_Letter", "", bit(G::kLu)},
      {"Ll", "Lowercase_Letter", "", bit(G::kLl)},
      {"Lt", "Titlecase_Letter", "", bit(G::kLt)},
      {"Lm", "Modifier_Letter", "", bit(G::kLm)},
      {"Lo", "Other_Letter", "", bit(G::kLo)},
      {"M", "Mark", "Combining_Mark", bits({G::kMn, G::kMc, G::kMe})},
      {"Mn", "Nonspacing_Mark", "", bit(G::kMn)},
      {"Mc", "Spacing_Mark", "", bit(G::kMc)},
      {"Me", "Enclosing_Mark", "", bit(G::kMe)},
      {"N", "Number", "", bits({G::kNd, G::kNl, G::kNo})},
      {"Nd", "Decimal_Number", "digit", bit(G::kNd)},
      {"Nl", "Letter_Number", "", bit(G::kNl)},
      {"No", "Other_Number", "", bit(G::kNo)},
      {"P", "Punctuation", "punct", bits({G::kPc, G::kPd, G::kPs, G::kPe, G::kPi, G::kPf, G::kPo})},
      {"Pc", "Connector_Punctuation", "", bit(G::kPc)},
      {"Pd", "Dash_Punctuation", "", bit(G::kPd)},
      {"Ps", "Open_Punctuation", "", bit(G::kPs)},
      {"Pe", "Close_Punctuation", "", bit(G::kPe)},
      {"Pi", "Initial_Punctuation", "", bit(G::kPi)},
      {"Pf", "Final_Punctuation", "", bit(G::kPf)},
      {"Po", "Other_Punctuation", "", bit(G::kPo)},
      {"S", "Symbol", "", bits({G::kSm, G::kSc, G::kSk, G::kSo})},
      {"Sm", "Math_Symbol", "", bit(G::kSm)},
      {"Sc", "Currency_Symbol", "", bit(G::kSc)},
      {"Sk", "Modifier_Symbol", "", bit(G::kSk)},
      {"So", "Other_Symbol", "", bit(G::kSo)},
      {"Z", "Separator", "", bits({G::kZs, G::kZl, G::kZp})},
      {"Zs", "Space_Separator", "", bit(G::kZs)},
      {"Zl", "Line_Separator", "", bit(G::kZl)},
      {"Zp", "Paragraph_Separator", "", bit(G::kZp)},
      {"C", "Other", "", bits({G::kCc, G::kCf, G::kCs, G::kCo, G::kCn})},
      {"Cc", "Control", "cntrl", bit(G::kCc)},
      {"Cf", "Format", "", bit(G::kCf)},
      {"Cs", "Surrogate", "", bit(G::kCs)},
      {"Co", "Private_Use", "", bit(G::kCo)},
      {"Cn", "Unassigned", "", bit(G::kCn)},
  };
  for (const Entry& e : entries) {
    if (name == e.short_name || name == e.long_name || (!e.alias.empty() && name == e.alias)) {
      return e.mask;
    }
  }
  return 0;
}

struct Ast {
  enum class Kind : std::uint8_t {
    kEmpty,
    kChar,
    kAny,
    kSet,
    kConcat,
    kAlternation,
    kRepeat,
    kLineStart,
    kLineEnd,
    kWordBoundary,
    kNotWordBoundary,
    kLookahead,
    kNegativeLookahead,
  };
  Kind kind = Kind::kEmpty;
  char32_t cp = 0;
  std::uint32_t set = 0;
  std::uint32_t min = 0;
  std::uint32_t max = 0;
  std::vector<Ast> children;
};

class Parser {
 public:
  Parser(std::string_view pattern, std::vector<CharSet>& sets) : sets_(sets) {
    for (std::size_t pos = 0; pos < pattern.size();) {
      std::size_t len = 0;
      const char32_t cp = decode_utf8(pattern, pos, &len);
      if (cp == 0xFFFD && len == 1 && static_cast<unsigned char>(pattern[pos]) >= 0x80) {
        throw std::invalid_argument("pattern is not valid UTF-8");
      }
      p_.push_back(cp);
      pos += len;
    }
  }

  Ast parse() {
    Ast a = disjunction(0);
    if (pos_ < p_.size()) fail("unmatched ')'");
    return a;
  }

 private:
  bool at_end() const { return pos_ >= p_.size(); }
  char32_t peek() const { return at_end() ? 0 : p_[pos_]; }
  bool eat(char32_t c) {
    if (at_end() || p_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument(why + " at offset " + std::to_string(pos_));
  }

  static Ast literal(char32_t c) {
    Ast a;
    a.kind = Ast::Kind::kChar;
    a.cp = c;
    return a;
  }
  static Ast simple(Ast::Kind k) {
    Ast a;
    a.kind = k;
    return a;
  }
  Ast set_node(CharSet set) {
    set.finish();
    sets_.push_back(std::move(set));
    Ast a;
    a.kind = Ast::Kind::kSet;
    a.set = static_cast<std::uint32_t>(sets_.size() - 1);
    return a;
  }

  Ast disjunction(int depth) {
    if (depth > kMaxNesting) fail("groups nested too deeply");
    std::vector<Ast> alternatives;
    alternatives.push_back(alternative(depth));
    while (eat('|')) alternatives.push_back(alternative(depth));
    if (alternatives.size() == 1) return std::move(alternatives.front());
    Ast a;
    a.kind = Ast::Kind::kAlternation;
    a.children = std::move(alternatives);
    return a;
  }

  Ast alternative(int depth) {
    Ast seq;
    seq.kind = Ast::Kind::kConcat;
    while (!at_end() && peek() != '|' && peek() != ')') seq.children.push_back(term(depth));
    if (seq.children.empty()) return Ast{};
    if (seq.children.size() == 1) return std::move(seq.children.front());
    return seq;
  }

  Ast term(int depth) {
    Ast atom;
    bool quantifiable = true;
    const char32_t c = peek();
    switch (c) {
      case '^':
        ++pos_;
        atom = simple(Ast::Kind::kLineStart);
        quantifiable = false;
        break;
      case '$':
        ++pos_;
        atom = simple(Ast::Kind::kLineEnd);
        quantifiable = false;
        break;
      case '(':
        atom = group(depth, &quantifiable);
        break;
      case '.':
        ++pos_;
        atom = simple(Ast::Kind::kAny);
        break;
      case '[':
        atom = char_class();
        break;
      case '\\':
        atom = atom_escape(&quantifiable);
        break;
      case '*':
      case '+':
      case '?':
        fail("nothing to repeat");
      default: {
        std::uint32_t min = 0;
        std::uint32_t max = 0;
        if (c == '{' && quantifier(&min, &max, /*consume=*/false)) fail("nothing to repeat");
        ++pos_;
        atom = literal(c);
        break;
      }
    }
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    if (!quantifier(&min, &max, /*consume=*/true)) return atom;
    if (!quantifiable) fail("nothing to repeat");
    eat('?');  // a lazy quantifier accepts the same strings
    Ast rep;
    rep.kind = Ast::Kind::kRepeat;
    rep.min = min;
    rep.max = max;
    rep.children.push_back(std::move(atom));
    return rep;
  }

  // Parses * + ? {n} {n,} {n,m} at the current position. A '{' that does not start a valid
  // quantifier is not one (it is then a literal, as ECMA-262 Annex B allows).
  bool quantifier(std::uint32_t* min, std::uint32_t* max, bool consume) {
    const std::size_t start = pos_;
    switch (peek()) {
      case '*':
        *min = 0, *max = kInfinite;
        break;
      case '+':
        *min = 1, *max = kInfinite;
        break;
      case '?':
        *min = 0, *max = 1;
        break;
      case '{': {
        std::size_t i = pos_ + 1;
        const auto number = [&](std::uint32_t* out) {
          const std::size_t begin = i;
          std::uint64_t n = 0;
          while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
            n = std::min<std::uint64_t>(n * 10 + (p_[i] - '0'), 1000000);
            ++i;
          }
          *out = static_cast<std::uint32_t>(n);
          return i > begin;
        };
        if (!number(min)) return false;
        *max = *min;
        if (i < p_.size() && p_[i] == ',') {
          ++i;
          if (!number(max)) *max = kInfinite;
        }
        if (i >= p_.size() || p_[i] != '}') return false;
        if (*max < *min) {
          pos_ = start;
          fail("numbers out of order in {} quantifier");
        }
        if (consume) pos_ = i + 1;
        return true;
      }
      default:
        return false;
    }
    if (consume) ++pos_;
    return true;
  }

  Ast group(int depth, bool* quantifiable) {
    ++pos_;  // '('
    Ast::Kind look = Ast::Kind::kEmpty;
    if (eat('?')) {
      if (eat(':')) {
      } else if (eat('=')) {
        look = Ast::Kind::kLookahead;
      } else if (eat('!')) {
        look = Ast::Kind::kNegativeLookahead;
      } else if (eat('<')) {
        if (peek() == '=' || peek() == '!') fail("lookbehind assertions are not supported");
        const std::size_t name_start = pos_;
        while (!at_end() && peek() != '>' &&
               (peek() == '_' || peek() == '$' || peek() >= 0x80 ||
                (peek() >= '0' && peek() <= '9') ||
                ((peek() | 0x20) >= 'a' && (peek() | 0x20) <= 'z'))) {
          ++pos_;
        }
        if (pos_ == name_start || !eat('>')) fail("invalid capture group name");
      } else {
        fail("invalid group");
      }
    }
    Ast inner = disjunction(depth + 1);
    if (!eat(')')) fail("missing ')'");
    if (look == Ast::Kind::kEmpty) return inner;
    *quantifiable = false;
    Ast a;
    a.kind = look;
    a.children.push_back(std::move(inner));
    return a;
  }

  Ast atom_escape(bool* quantifiable) {
    ++pos_;  // '\'
    if (at_end()) fail("\\ at end of pattern");
    const char32_t c = p_[pos_++];
    switch (c) {
      case 'b':
        *quantifiable = false;
        return simple(Ast::Kind::kWordBoundary);
      case 'B':
        *quantifiable = false;
        return simple(Ast::Kind::kNotWordBoundary);
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
      case 'p':
      case 'P': {
        CharSet set;
        class_escape(c, set);
        return set_node(std::move(set));
      }
      default:
        if (c >= '1' && c <= '9') fail("backreferences are not supported");
        if (c == 'k') fail("named backreferences are not supported");
        return literal(character_escape(c));
    }
  }

  // \d \D \w \W \s \S \p{..} \P{..}: adds the class to set.
  void class_escape(char32_t c, CharSet& set) {
    static const std::vector<CharRange> digits = {{'0', '9'}};
    static const std::vector<CharRange> word = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    static const std::vector<CharRange> space = {
        {0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
        {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
    const auto add_all = [&](const std::vector<CharRange>& rs) {
      set.ranges.insert(set.ranges.end(), rs.begin(), rs.end());
    };
    switch (c) {
      case 'd':
        return add_all(digits);
      case 'D':
        return set.add_complement_of(digits);
      case 'w':
        return add_all(word);
      case 'W':
        return set.add_complement_of(word);
      case 's':
        return add_all(space);
      case 'S':
        return set.add_complement_of(space);
      default:
        break;
    }
    // \p{Name}, \p{General_Category=Name}, \p{gc=Name}; c is 'p' or 'P'.
    if (!eat('{')) fail("\\p must be followed by {property}");
    const std::size_t start = pos_;
    while (!at_end() && peek() != '}') ++pos_;
    if (at_end()) fail("missing '}' after \\p{");
    std::string name;
    for (std::size_t i = start; i < pos_; ++i) {
      if (p_[i] >= 0x80) fail("invalid Unicode property name");
      name.push_back(static_cast<char>(p_[i]));
    }
    ++pos_;  // '}'
    for (std::string_view prefix : {"General_Category=", "gc="}) {
      if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
    }
    const bool negate = c == 'P';
    if (name == "Any" || name == "ASCII") {
      const char32_t hi = name == "Any" ? kMaxRegexCodePoint : 0x7F;
      if (!negate) {
        set.add(0, hi);
      } else if (hi < kMaxRegexCodePoint) {
        set.add(hi + 1, kMaxRegexCodePoint);
      }
      return;
    }
    std::uint32_t mask = category_mask(name);
    if (name == "Assigned") mask = kAllCategories & ~bit(GeneralCategory::kCn);
    if (mask == 0) fail("unsupported Unicode property \\p{" + name + "}");
    set.categories |= negate ? (kAllCategories & ~mask) : mask;
  }

  // The character an escape outside \d..\P stands for (c follows the backslash).
  char32_t character_escape(char32_t c) {
    switch (c) {
      case 't':
        return 0x09;
      case 'n':
        return 0x0A;
      case 'v':
        return 0x0B;
      case 'f':
        return 0x0C;
      case 'r':
        return 0x0D;
      case 'c': {
        const char32_t l = peek();
        if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z')) {
          ++pos_;
          return l % 32;
        }
        fail("invalid \\c escape");
      }
      case '0':
        if (peek() >= '0' && peek() <= '9') fail("octal escapes are not supported");
        return 0;
      case 'x':
        return hex_digits(2);
      case 'u': {
        if (eat('{')) {
          const std::size_t start = pos_;
          char32_t v = 0;
          while (!at_end() && hex_value(peek()) >= 0) {
            v = v * 16 + static_cast<char32_t>(hex_value(p_[pos_++]));
            if (v > kMaxRegexCodePoint) fail("\\u{..} escape out of range");
          }
          if (pos_ == start || !eat('}')) fail("invalid \\u{..} escape");
          return v;
        }
        char32_t v = hex_digits(4);
        // A surrogate pair written as two \u escapes is one code point.
        if (v >= 0xD800 && v <= 0xDBFF && pos_ + 1 < p_.size() && p_[pos_] == '\\' &&
            p_[pos_ + 1] == 'u') {
          const std::size_t save = pos_;
          pos_ += 2;
          bool ok = true;
          char32_t lo = 0;
          for (int i = 0; i < 4 && ok; ++i) {
            const int h = at_end() ? -1 : hex_value(p_[pos_]);
            if (h < 0) ok = false;
            lo = lo * 16 + static_cast<char32_t>(h < 0 ? 0 : h);
            ++pos_;
          }
          if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
            return 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
          }
          pos_ = save;
        }
        return v;
      }
      default:
        break;
    }
    constexpr std::u32string_view kSyntax = U"^$\\.*+?()[]{}|/-";
    if (kSyntax.find(c) != std::u32string_view::npos) return c;
    if (c < 0x80 && ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) {
      fail(std::string("invalid escape \\") + static_cast<char>(c));
    }
    return c;  // other punctuation escapes itself
  }

  static int hex_value(char32_t c) {
    if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
    return -1;
  }

  char32_t hex_digits(int n) {
    char32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const int h = at_end() ? -1 : hex_value(peek());
      if (h < 0) fail("invalid hexadecimal escape");
      v = v * 16 + static_cast<char32_t>(h);
      ++pos_;
    }
    return v;
  }

  Ast char_class() {
    ++pos_;  // '['
    CharSet set;
    if (eat('^')) set.negated = true;
    for (;;) {
      if (at_end()) fail("missing ']'");
      if (eat(']')) break;
      bool lo_is_class = false;
      const char32_t lo = class_atom(set, &lo_is_class);
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;  // '-'
        bool hi_is_class = false;
        const char32_t hi = class_atom(set, &hi_is_class);
        if (lo_is_class || hi_is_class) fail("invalid character class range");
        if (hi < lo) fail("range out of order in character class");
        set.add(lo, hi);
      } else if (!lo_is_class) {
        set.add(lo, lo);
      }
    }
    return set_node(std::move(set));
  }

  // One element of a [...] class: returns its character, or adds a class escape to set.
  char32_t class_atom(CharSet& set, bool* is_class) {
    *is_class = false;
    const char32_t c = p_[pos_++];
    if (c != '\\') return c;
    if (at_end()) fail("\\ at end of pattern");
    const char32_t e = p_[pos_++];
    switch (e) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
      case 'p':
      case 'P':
        *is_class = true;
        class_escape(e, set);
        return 0;
      case 'b':
        return 0x08;
      case 'B':
        fail("invalid escape \\B in character class");
      default:
        if (e >= '1' && e <= '9') fail("backreferences are not supported");
        return character_escape(e);
    }
  }

  std::vector<CharSet>& sets_;
  std::u32string p_;
  std::size_t pos_ = 0;
};

enum class Op : std::uint8_t {
  kChar,
  kAny,
  kSet,
  kSplit,
  kJump,
  kLineStart,
  kLineEnd,
  kWordBoundary,
  kNotWordBoundary,
  kLookahead,
  kMatch,
};

struct Inst {
  Op op;
  std::uint32_t x = 0;  // kChar: code point; kSet: set index; kSplit/kJump: target; kLookahead
  std::uint32_t y = 0;  // kSplit: second target; kLookahead: 1 when negative
};

}  // namespace

struct RegexCode {
  std::vector<Inst> insts;
  std::vector<RegexCode> lookaheads;
};

struct Regex::Program {
  RegexCode code;
  std::vector<CharSet> sets;
};

namespace {

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return std::min(a + b, kMaxInstructions + 1);
}
std::size_t saturating_mul(std::size_t a, std::size_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > (kMaxInstructions + 1) / b) return kMaxInstructions + 1;
  return std::min(a * b, kMaxInstructions + 1);
}

// Number of instructions a node compiles to (saturating above the limit).
std::size_t program_size(const Ast& a) {
  switch (a.kind) {
    case Ast::Kind::kEmpty:
      return 0;
    case Ast::Kind::kConcat:
    case Ast::Kind::kAlternation: {
      std::size_t n = a.kind == Ast::Kind::kAlternation ? 2 * (a.children.size() - 1) : 0;
      for (const Ast& c : a.children) n = saturating_add(n, program_size(c));
      return n;
    }
    case Ast::Kind::kRepeat: {
      const std::size_t s = program_size(a.children.front());
      std::size_t n = saturating_mul(a.min, s);
      if (a.max == kInfinite) return saturating_add(n, saturating_add(s, 2));
      return saturating_add(n, saturating_mul(a.max - a.min, s + 1));
    }
    case Ast::Kind::kLookahead:
    case Ast::Kind::kNegativeLookahead:
      return saturating_add(1, program_size(a.children.front()));
    default:
      return 1;
  }
}

class Emitter {
 public:
  explicit Emitter(RegexCode& code) : code_(code) {}

  void emit(const Ast& a) {
    auto& insts = code_.insts;
    switch (a.kind) {
      case Ast::Kind::kEmpty:
        return;
      case Ast::Kind::kChar:
        insts.push_back({Op::kChar, static_cast<std::uint32_t>(a.cp), 0});
        return;
      case Ast::Kind::kAny:
        insts.push_back({Op::kAny, 0, 0});
        return;
      case Ast::Kind::kSet:
        insts.push_back({Op::kSet, a.set, 0});
        return;
      case Ast::Kind::kLineStart:
        insts.push_back({Op::kLineStart, 0, 0});
        return;
      case Ast::Kind::kLineEnd:
        insts.push_back({Op::kLineEnd, 0, 0});
        return;
      case Ast::Kind::kWordBoundary:
        insts.push_back({Op::kWordBoundary, 0, 0});
        return;
      case Ast::Kind::kNotWordBoundary:
        insts.push_back({Op::kNotWordBoundary, 0, 0});
        return;
      case Ast::Kind::kConcat:
        for (const Ast& c : a.children) emit(c);
        return;
      case Ast::Kind::kAlternation: {
        std::vector<std::size_t> exits;
        for (std::size_t i = 0; i < a.children.size(); ++i) {
          if (i + 1 == a.children.size()) {
            emit(a.children[i]);
            break;
          }
          const std::size_t split = insts.size();
          insts.push_back({Op::kSplit, here() + 1, 0});
          emit(a.children[i]);
          exits.push_back(insts.size());
          insts.push_back({Op::kJump, 0, 0});
          insts[split].y = here();
        }
        for (std::size_t e : exits) insts[e].x = here();
        return;
      }
      case Ast::Kind::kRepeat: {
        const Ast& child = a.children.front();
        for (std::uint32_t i = 0; i < a.min; ++i) emit(child);
        if (a.max == kInfinite) {
          const std::size_t loop = insts.size();
          insts.push_back({Op::kSplit, here() + 1, 0});
          emit(child);
          insts.push_back({Op::kJump, static_cast<std::uint32_t>(loop), 0});
          insts[loop].y = here();
        } else {
          std::vector<std::size_t> splits;
          for (std::uint32_t i = a.min; i < a.max; ++i) {
            splits.push_back(insts.size());
            insts.push_back({Op::kSplit, here() + 1, 0});
            emit(child);
          }
          for (std::size_t s : splits) insts[s].y = here();
        }
        return;
      }
      case Ast::Kind::kLookahead:
      case Ast::Kind::kNegativeLookahead: {
        RegexCode sub;
        Emitter(sub).emit_program(a.children.front());
        code_.lookaheads.push_back(std::move(sub));
        insts.push_back({Op::kLookahead, static_cast<std::uint32_t>(code_.lookaheads.size() - 1),
                         a.kind == Ast::Kind::kNegativeLookahead ? 1u : 0u});
        return;
      }
    }
  }

  void emit_program(const Ast& a) {
    emit(a);
    code_.insts.push_back({Op::kMatch, 0, 0});
  }

 private:
  std::uint32_t here() const { return static_cast<std::uint32_t>(code_.insts.size()); }
  RegexCode& code_;
};

// A set of instruction indexes with O(1) insert/lookup/clear over caller-provided storage of
// 2 * n words (which needs no initialisation beyond being readable).
class SparseSet {
 public:
  SparseSet(std::uint32_t* storage, std::size_t n) : dense_(storage), sparse_(storage + n) {}
  bool contains(std::uint32_t x) const {
    const std::uint32_t i = sparse_[x];
    return i < size_ && dense_[i] == x;
  }
  void insert(std::uint32_t x) {
    dense_[size_] = x;
    sparse_[x] = static_cast<std::uint32_t>(size_);
    ++size_;
  }
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::uint32_t operator[](std::size_t i) const { return dense_[i]; }

 private:
  std::uint32_t* dense_;
  std::uint32_t* sparse_;
  std::size_t size_ = 0;
};

bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_';
}

bool is_line_terminator(char32_t c) {
  return c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029;
}

// Runs one compiled program as a Pike VM: every thread advances in lock step over the text.
class Vm {
 public:
  Vm(const RegexCode& code, const std::vector<CharSet>& sets, std::string_view text)
      : code_(code), sets_(sets), text_(text) {}

  // true when the program matches starting at `start` (anchored) or at any later position.
  bool run(std::size_t start, bool anchored) {
    // Two thread lists (2n words each) and the closure stack (each instruction enters a list at
    // most once per step, and pushes at most two successors: 2n + 1 words). Small programs, the
    // usual case, use the stack frame instead of the heap.
    const std::size_t n = code_.insts.size();
    const std::size_t words = 6 * n + 1;
    std::array<std::uint32_t, 384> local;
    std::vector<std::uint32_t> heap;
    std::uint32_t* storage = local.data();
    if (words > local.size()) {
      heap.resize(words);
      storage = heap.data();
    }
    std::fill(storage, storage + words, 0u);
    SparseSet current(storage, n);
    SparseSet next(storage + 2 * n, n);
    stack_ = storage + 4 * n;
    std::size_t pos = start;
    for (;;) {
      if (!anchored || pos == start) {
        if (add(current, 0, pos)) return true;
      }
      if (current.empty() && anchored) return false;
      if (pos >= text_.size()) return false;
      std::size_t len = 0;
      const char32_t cp = decode_utf8(text_, pos, &len);
      next.clear();
      for (std::size_t i = 0; i < current.size(); ++i) {
        const std::uint32_t pc = current[i];
        const Inst& inst = code_.insts[pc];
        bool step = false;
        switch (inst.op) {
          case Op::kChar:
            step = cp == static_cast<char32_t>(inst.x);
            break;
          case Op::kAny:
            step = !is_line_terminator(cp);
            break;
          case Op::kSet:
            step = sets_[inst.x].contains(cp);
            break;
          default:
            break;
        }
        if (step && add(next, pc + 1, pos + len)) return true;
      }
      std::swap(current, next);
      pos += len;
    }
  }

 private:
  // Adds the thread at pc and everything reachable from it without consuming text; true when
  // a match is reached.
  bool add(SparseSet& set, std::uint32_t pc, std::size_t pos) {
    std::size_t depth = 0;
    const auto push = [&](std::uint32_t x) { stack_[depth++] = x; };
    push(pc);
    while (depth > 0) {
      const std::uint32_t at = stack_[--depth];
      if (set.contains(at)) continue;
      set.insert(at);
      const Inst& inst = code_.insts[at];
      switch (inst.op) {
        case Op::kJump:
          push(inst.x);
          break;
        case Op::kSplit:
          push(inst.y);
          push(inst.x);
          break;
        case Op::kLineStart:
          if (pos == 0) push(at + 1);
          break;
        case Op::kLineEnd:
          if (pos == text_.size()) push(at + 1);
          break;
        case Op::kWordBoundary:
        case Op::kNotWordBoundary: {
          const bool before = pos > 0 && is_word_byte(text_[pos - 1]);
          const bool after = pos < text_.size() && is_word_byte(text_[pos]);
          if ((before != after) == (inst.op == Op::kWordBoundary)) push(at + 1);
          break;
        }
        case Op::kLookahead: {
          // A fresh VM (own stack and thread lists); nesting is bounded by the pattern's depth.
          const bool matched = Vm(code_.lookaheads[inst.x], sets_, text_).run(pos, true);
          if (matched != (inst.y == 1)) push(at + 1);
          break;
        }
        case Op::kMatch:
          return true;
        default:
          break;  // consumes a character: stays in the set for the next step
      }
    }
    return false;
  }

  const RegexCode& code_;
  const std::vector<CharSet>& sets_;
  std::string_view text_;
  std::uint32_t* stack_ = nullptr;
};

}  // namespace

Regex Regex::compile(std::string_view pattern) {
  auto program = std::make_shared<Program>();
  Ast ast;
  try {
    ast = Parser(pattern, program->sets).parse();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("invalid regular expression \"" + std::string(pattern) +
                                "\": " + e.what());
  }
  if (program_size(ast) > kMaxInstructions) {
    throw std::invalid_argument("regular expression \"" + std::string(pattern) +
                                "\" is too complex (it expands to more than " +
                                std::to_string(kMaxInstructions) + " instructions)");
  }
  Emitter(program->code).emit_program(ast);
  Regex r;
  r.program_ = std::move(program);
  r.source_ = std::string(pattern);
  return r;
}

bool Regex::search(std::string_view text) const {
  const RegexCode& code = program_->code;
  const bool anchored = code.insts.front().op == Op::kLineStart;
  return Vm(code, program_->sets, text).run(0, anchored);
}

}  // namespace mcpp::schema::detail
