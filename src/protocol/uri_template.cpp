// RFC 6570 URI templates: parser, expander, and a Pike-VM matcher that extracts variable values.
#include "protocol/uri_template.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace mcpp {
namespace {

constexpr std::size_t kMaxPrefixDigits = 4;  // a prefix length is 1-9999

bool is_alpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}
int hex_value(unsigned char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_reserved(unsigned char c) {
  return std::string_view(":/?#[]@!$&'()*+,;=").find(static_cast<char>(c)) !=
         std::string_view::npos;
}
// RFC 6570 section 2.1: characters a template literal may hold as they are ('%' is handled apart).
bool is_literal_char(unsigned char c) {
  if (c >= 0x80) return true;  // ucschar / iprivate, pct-encoded on expansion
  if (c <= 0x20 || c == 0x7f) return false;
  return std::string_view("\"'%<>\\^`{|}").find(static_cast<char>(c)) == std::string_view::npos;
}
bool is_pct_triplet(std::string_view s, std::size_t i) {
  return i + 2 < s.size() && s[i] == '%' && is_hex(static_cast<unsigned char>(s[i + 1])) &&
         is_hex(static_cast<unsigned char>(s[i + 2]));
}

void append_pct(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

std::string describe(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  if (c > 0x20 && c < 0x7f) return std::string("'") + ch + "'";
  std::string s = "byte 0x";
  static constexpr char kHex[] = "0123456789abcdef";
  s += kHex[c >> 4];
  s += kHex[c & 0xf];
  return s;
}

[[noreturn]] void fail(std::string_view tmpl, std::size_t pos, std::string_view reason) {
  std::string msg = "invalid URI template \"";
  msg.append(tmpl);
  msg += "\": ";
  msg.append(reason);
  msg += " at position ";
  msg += std::to_string(pos);
  throw std::invalid_argument(msg);
}

// Operator table of RFC 6570 appendix A.
struct OpInfo {
  char first;     // prefix before the first defined value, or '\0'
  char sep;       // separator between values
  bool named;     // name=value pairs
  bool ifemp_eq;  // an empty value renders as "name=" (true) or "name" (false)
  bool reserved;  // reserved characters pass through unencoded
};

OpInfo op_info(char op) {
  switch (op) {
    case '+':
      return {'\0', ',', false, false, true};
    case '#':
      return {'#', ',', false, false, true};
    case '.':
      return {'.', '.', false, false, false};
    case '/':
      return {'/', '/', false, false, false};
    case ';':
      return {';', ';', true, false, false};
    case '?':
      return {'?', '&', true, true, false};
    case '&':
      return {'&', '&', true, true, false};
    default:
      return {'\0', ',', false, false, false};
  }
}

void encode(std::string& out, std::string_view s, bool reserved) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_unreserved(c) || (reserved && is_reserved(c))) {
      out += s[i];
    } else if (reserved && is_pct_triplet(s, i)) {
      out.append(s.substr(i, 3));
      i += 2;
    } else {
      append_pct(out, c);
    }
  }
}

// The first `prefix` code points of a UTF-8 string (never splits a multi-byte sequence).
std::string_view truncate(std::string_view s, std::size_t prefix) {
  std::size_t chars = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
      if (chars == prefix) break;
      ++chars;
    }
  }
  return s.substr(0, i);
}

std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_pct_triplet(s, i)) {
      out += static_cast<char>(hex_value(static_cast<unsigned char>(s[i + 1])) * 16 +
                               hex_value(static_cast<unsigned char>(s[i + 2])));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

std::string join_decoded(const std::vector<std::string_view>& pieces, std::size_t from,
                         std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    if (i != from) out += ',';
    out += decode(pieces[i]);
  }
  return out;
}

}  // namespace

// ---- parsing ------------------------------------------------------------------------------------

UriTemplate::UriTemplate(std::string_view tmpl) : tmpl_(tmpl) {
  parse();
  compile();
}

void UriTemplate::parse() {
  const std::string_view t = tmpl_;
  const std::size_t n = t.size();
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) parts_.emplace_back(std::move(literal));
    literal.clear();
  };
  auto note_variable = [&](const std::string& name) {
    if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
      variables_.push_back(name);
    }
  };

  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '}') fail(t, i, "unmatched '}'");
    if (c == '%') {
      if (!is_pct_triplet(t, i)) fail(t, i, "'%' not followed by two hex digits");
      literal.append(t.substr(i, 3));
      i += 3;
      continue;
    }
    if (c != '{') {
      if (!is_literal_char(c)) fail(t, i, describe(t[i]) + " is not allowed in a URI template");
      if (c >= 0x80) {
        append_pct(literal, c);
      } else {
        literal += t[i];
      }
      ++i;
      continue;
    }

    // An expression: '{' [operator] varspec *( ',' varspec ) '}'.
    flush();
    const std::size_t open = i;
    auto unclosed = [&]() { fail(t, open, "unclosed expression '{'"); };
    std::size_t j = i + 1;
    if (j >= n) unclosed();
    Expression expr;
    if (std::string_view("+#./;?&").find(t[j]) != std::string_view::npos) {
      expr.op = t[j++];
    } else if (std::string_view("=,!@|").find(t[j]) != std::string_view::npos) {
      fail(t, j, "reserved operator " + describe(t[j]));
    }
    for (;;) {
      const std::size_t start = j;
      while (j < n) {
        const auto v = static_cast<unsigned char>(t[j]);
        if (is_alpha(v) || is_digit(v) || v == '_') {
          ++j;
        } else if (v == '%') {
          if (!is_pct_triplet(t, j))
            fail(t, j, "'%' not followed by two hex digits in variable name");
          j += 3;
        } else if (v == '.') {
          if (j == start || t[j - 1] == '.') fail(t, j, "misplaced '.' in variable name");
          ++j;
        } else {
          break;
        }
      }
      if (j >= n) unclosed();
      if (j == start) {
        if (t[j] == '}' || t[j] == ',') fail(t, j, "empty variable name");
        if (t[j] == '{') fail(t, j, "nested '{' inside an expression");
        if (start == open + 1) fail(t, j, "invalid operator " + describe(t[j]));
        fail(t, j, "invalid character " + describe(t[j]) + " in variable name");
      }
      if (t[j - 1] == '.') fail(t, j - 1, "variable name ends with '.'");
      VarSpec spec;
      spec.name.assign(t.substr(start, j - start));
      if (t[j] == ':') {
        const std::size_t digits = ++j;
        while (j < n && is_digit(static_cast<unsigned char>(t[j]))) ++j;
        if (j >= n) unclosed();
        if (j == digits || t[digits] == '0' || j - digits > kMaxPrefixDigits) {
          fail(t, digits, "invalid prefix length (expected 1-9999)");
        }
        for (std::size_t d = digits; d < j; ++d) {
          spec.prefix = spec.prefix * 10 + static_cast<std::size_t>(t[d] - '0');
        }
        if (t[j] == '*') fail(t, j, "a prefix and explode ('*') cannot be combined");
      } else if (t[j] == '*') {
        spec.explode = true;
        if (++j >= n) unclosed();
      }
      note_variable(spec.name);
      expr.vars.push_back(std::move(spec));
      if (t[j] == ',') {
        ++j;
        continue;
      }
      if (t[j] == '}') break;
      if (t[j] == '{') fail(t, j, "nested '{' inside an expression");
      fail(t, j, "unexpected " + describe(t[j]) + " in expression");
    }
    parts_.emplace_back(std::move(expr));
    ++expressions_;
    i = j + 1;
  }
  flush();
}

// ---- expansion ----------------------------------------------------------------------------------

std::string UriTemplate::expand(const Variables& vars) const {
  using List = std::vector<std::string>;
  using Assoc = std::vector<std::pair<std::string, std::string>>;
  std::string out;
  for (const Part& part : parts_) {
    if (const auto* literal = std::get_if<std::string>(&part)) {
      out += *literal;
      continue;
    }
    const auto& expr = std::get<Expression>(part);
    const OpInfo info = op_info(expr.op);
    bool first = true;
    // A named pair: "name=value", or "name" / "name=" for an empty value. Variable names are
    // copied as written; associative-array keys are encoded.
    auto name_value = [&](std::string_view name, bool encode_name, std::string_view value) {
      if (encode_name) {
        encode(out, name, info.reserved);
      } else {
        out += name;
      }
      if (value.empty()) {
        if (info.ifemp_eq) out += '=';
        return;
      }
      out += '=';
      encode(out, value, info.reserved);
    };
    for (const VarSpec& spec : expr.vars) {
      const auto it = vars.find(spec.name);
      if (it == vars.end()) continue;
      const Value& value = it->second;
      const auto* str = std::get_if<std::string>(&value);
      const auto* list = std::get_if<List>(&value);
      const auto* assoc = std::get_if<Assoc>(&value);
      if ((list != nullptr && list->empty()) || (assoc != nullptr && assoc->empty())) continue;

      if (!first) {
        out += info.sep;
      } else if (info.first != '\0') {
        out += info.first;
      }
      first = false;

      if (str != nullptr) {
        const std::string_view s = spec.prefix != 0 ? truncate(*str, spec.prefix) : *str;
        if (info.named) {
          name_value(spec.name, false, s);
        } else {
          encode(out, s, info.reserved);
        }
      } else if (!spec.explode) {
        // A list or associative array rendered as one comma-separated value.
        if (info.named) {
          out += spec.name;
          out += '=';
        }
        bool comma = false;
        auto item = [&](std::string_view s) {
          if (comma) out += ',';
          comma = true;
          encode(out, s, info.reserved);
        };
        if (list != nullptr) {
          for (const auto& s : *list) item(s);
        } else {
          for (const auto& [k, v] : *assoc) {
            item(k);
            item(v);
          }
        }
      } else if (list != nullptr) {
        for (std::size_t k = 0; k < list->size(); ++k) {
          if (k != 0) out += info.sep;
          if (info.named) {
            name_value(spec.name, false, (*list)[k]);
          } else {
            encode(out, (*list)[k], info.reserved);
          }
        }
      } else {
        for (std::size_t k = 0; k < assoc->size(); ++k) {
          if (k != 0) out += info.sep;
          const auto& [key, v] = (*assoc)[k];
          if (info.named) {
            name_value(key, true, v);
          } else {
            encode(out, key, info.reserved);
            out += '=';
            encode(out, v, info.reserved);
          }
        }
      }
    }
  }
  return out;
}

// ---- matching: compilation ----------------------------------------------------------------------
//
// The template compiles to a small NFA program (Thompson construction). Each expression becomes
// a save of its start, a character-class loop shaped by its operator, and a save of its end; the
// Pike VM below runs all alternatives in lock step, so matching costs O(|uri| * |program|).
// The per-expression region is then split into variable values by extract().

void UriTemplate::compile() {
  using Kind = Inst::Kind;
  std::bitset<256> any;
  any.set();
  std::bitset<256> segment = any;  // one path segment: no '/', '?' or '#'
  segment.reset('/');
  segment.reset('?');
  segment.reset('#');
  std::bitset<256> query = any;  // a query string: up to the fragment
  query.reset('#');
  classes_ = {any, segment, query};
  constexpr std::uint32_t kAny = 0;
  constexpr std::uint32_t kSegment = 1;
  constexpr std::uint32_t kQuery = 2;

  auto here = [&] { return static_cast<std::uint32_t>(program_.size()); };
  auto emit = [&](Inst inst) {
    program_.push_back(inst);
    return here() - 1;
  };
  auto emit_char = [&](char c) {
    emit({.kind = Kind::kChar, .ch = static_cast<unsigned char>(c)});
  };
  // Greedy `cls*`.
  auto emit_loop = [&](std::uint32_t cls) {
    const std::uint32_t split = emit({.kind = Kind::kSplit});
    emit({.kind = Kind::kClass, .a = cls});
    emit({.kind = Kind::kJmp, .a = split});
    program_[split].a = split + 1;
    program_[split].b = here();
  };
  // Greedy optional `c cls*`; returns the split to patch.
  auto emit_optional_run = [&](char c, std::uint32_t cls) {
    const std::uint32_t split = emit({.kind = Kind::kSplit});
    program_[split].a = here();
    emit_char(c);
    emit_loop(cls);
    program_[split].b = here();
  };

  // {+var} stops before a later query or fragment expression, so those still see their input.
  std::vector<bool> later_query(parts_.size() + 1, false);
  std::vector<bool> later_fragment(parts_.size() + 1, false);
  for (std::size_t k = parts_.size(); k-- > 0;) {
    later_query[k] = later_query[k + 1];
    later_fragment[k] = later_fragment[k + 1];
    if (const auto* expr = std::get_if<Expression>(&parts_[k])) {
      later_query[k] = later_query[k] || expr->op == '?' || expr->op == '&';
      later_fragment[k] = later_fragment[k] || expr->op == '#';
    }
  }

  std::uint32_t slot = 0;
  for (std::size_t k = 0; k < parts_.size(); ++k) {
    if (const auto* literal = std::get_if<std::string>(&parts_[k])) {
      for (const char c : *literal) emit_char(c);
      continue;
    }
    const auto& expr = std::get<Expression>(parts_[k]);
    emit({.kind = Kind::kSave, .a = slot++});
    switch (expr.op) {
      case '+': {
        std::bitset<256> cls = any;
        if (later_query[k + 1]) cls.reset('?');
        if (later_fragment[k + 1]) cls.reset('#');
        classes_.push_back(cls);
        emit_loop(static_cast<std::uint32_t>(classes_.size() - 1));
        break;
      }
      case '#':
        emit_optional_run('#', kAny);
        break;
      case '.':
      case ';':
        emit_optional_run(expr.op, kSegment);
        break;
      case '?':
      case '&':
        emit_optional_run(expr.op, kQuery);
        break;
      case '/': {
        const bool explode = std::any_of(expr.vars.begin(), expr.vars.end(),
                                         [](const VarSpec& v) { return v.explode; });
        if (explode) {
          // ('/' segment*)*
          const std::uint32_t split = emit({.kind = Kind::kSplit});
          program_[split].a = here();
          emit_char('/');
          emit_loop(kSegment);
          emit({.kind = Kind::kJmp, .a = split});
          program_[split].b = here();
        } else {
          // At most one segment per variable: ('/' segment* ('/' segment* ...)?)?
          std::vector<std::uint32_t> splits;
          for (std::size_t v = 0; v < expr.vars.size(); ++v) {
            splits.push_back(emit({.kind = Kind::kSplit}));
            program_[splits.back()].a = here();
            emit_char('/');
            emit_loop(kSegment);
          }
          for (const std::uint32_t s : splits) program_[s].b = here();
        }
        break;
      }
      default:
        emit_loop(kSegment);
        break;
    }
    emit({.kind = Kind::kSave, .a = slot++});
  }
  emit({.kind = Kind::kMatch});
}

// ---- matching: the Pike VM ----------------------------------------------------------------------

class UriTemplate::Matcher {
 public:
  explicit Matcher(const UriTemplate& t)
      : prog_(t.program_),
        classes_(t.classes_),
        slots_(2 * t.expressions_),
        mark_(prog_.size(), kNone),
        scratch_(slots_, 0) {}

  // Capture positions of the highest-priority (greedy) full match, if any.
  std::optional<std::vector<std::size_t>> run(std::string_view uri) {
    List cur;
    List next;
    cur.reserve(prog_.size(), slots_);
    next.reserve(prog_.size(), slots_);
    add(cur, 0, 0);
    for (std::size_t pos = 0; pos < uri.size(); ++pos) {
      if (cur.pcs.empty()) return std::nullopt;
      next.clear();
      const auto c = static_cast<unsigned char>(uri[pos]);
      for (std::size_t k = 0; k < cur.pcs.size(); ++k) {
        const Inst& inst = prog_[cur.pcs[k]];
        const bool step = (inst.kind == Inst::Kind::kChar && inst.ch == c) ||
                          (inst.kind == Inst::Kind::kClass && classes_[inst.a][c]);
        if (!step) continue;
        std::copy_n(cur.caps.begin() + static_cast<std::ptrdiff_t>(k * slots_), slots_,
                    scratch_.begin());
        add(next, cur.pcs[k] + 1, pos + 1);
      }
      std::swap(cur, next);
    }
    for (std::size_t k = 0; k < cur.pcs.size(); ++k) {
      if (prog_[cur.pcs[k]].kind == Inst::Kind::kMatch) {
        const auto begin = cur.caps.begin() + static_cast<std::ptrdiff_t>(k * slots_);
        return std::vector<std::size_t>(begin, begin + static_cast<std::ptrdiff_t>(slots_));
      }
    }
    return std::nullopt;
  }

 private:
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

  struct List {
    std::vector<std::uint32_t> pcs;
    std::vector<std::size_t> caps;  // slots_ entries per thread
    void reserve(std::size_t threads, std::size_t slots) {
      pcs.reserve(threads);
      caps.reserve(threads * slots);
    }
    void clear() {
      pcs.clear();
      caps.clear();
    }
  };

  // Follows empty transitions from `pc` at input position `pos`, adding each consuming (or
  // matching) state once per step, in priority order, with the captures in scratch_.
  void add(List& list, std::uint32_t pc, std::size_t pos) {
    if (mark_[pc] == pos) return;
    mark_[pc] = pos;
    const Inst& inst = prog_[pc];
    switch (inst.kind) {
      case Inst::Kind::kJmp:
        add(list, inst.a, pos);
        return;
      case Inst::Kind::kSplit:
        add(list, inst.a, pos);
        add(list, inst.b, pos);
        return;
      case Inst::Kind::kSave: {
        const std::size_t saved = scratch_[inst.a];
        scratch_[inst.a] = pos;
        add(list, pc + 1, pos);
        scratch_[inst.a] = saved;
        return;
      }
      case Inst::Kind::kChar:
      case Inst::Kind::kClass:
      case Inst::Kind::kMatch:
        list.pcs.push_back(pc);
        list.caps.insert(list.caps.end(), scratch_.begin(), scratch_.end());
        return;
    }
  }

  const std::vector<Inst>& prog_;
  const std::vector<std::bitset<256>>& classes_;
  std::size_t slots_;
  std::vector<std::size_t> mark_;     // input position at which each state was last added
  std::vector<std::size_t> scratch_;  // captures of the thread being extended
};

std::optional<UriTemplate::Matches> UriTemplate::match(std::string_view uri) const {
  Matcher vm(*this);
  const auto caps = vm.run(uri);
  if (!caps) return std::nullopt;
  return extract(uri, *caps);
}

// ---- matching: from expression regions to variable values -------------------------------------

std::optional<UriTemplate::Matches> UriTemplate::extract(
    std::string_view uri, const std::vector<std::size_t>& caps) const {
  Matches out;
  bool ok = true;
  auto assign = [&](const std::string& name, std::string value) {
    const auto [it, inserted] = out.try_emplace(name, std::move(value));
    if (!inserted && it->second != value) ok = false;
  };

  // Named parameters ({;..} and {?..}/{&..}) are pooled per kind so they match in any order.
  struct Param {
    std::string_view name;
    std::string_view value;
    bool has_value;
  };
  struct Pool {
    std::vector<const Expression*> exprs;
    std::vector<Param> params;
  };
  Pool path_params;
  Pool query_params;
  auto collect = [](Pool& pool, const Expression& expr, std::string_view region, char sep) {
    pool.exprs.push_back(&expr);
    if (region.empty()) return;
    region.remove_prefix(1);  // the operator character
    for (const std::string_view piece : split(region, sep)) {
      if (piece.empty()) continue;
      const std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        pool.params.push_back({piece, {}, false});
      } else {
        pool.params.push_back({piece.substr(0, eq), piece.substr(eq + 1), true});
      }
    }
  };

  std::size_t slot = 0;
  for (const Part& part : parts_) {
    const auto* expr = std::get_if<Expression>(&part);
    if (expr == nullptr) continue;
    std::string_view region = uri.substr(caps[slot], caps[slot + 1] - caps[slot]);
    slot += 2;
    const OpInfo info = op_info(expr->op);
    if (expr->op == ';') {
      collect(path_params, *expr, region, ';');
      continue;
    }
    if (expr->op == '?' || expr->op == '&') {
      collect(query_params, *expr, region, '&');
      continue;
    }
    if (info.first != '\0') {
      if (region.empty()) continue;  // every variable undefined
      region.remove_prefix(1);
    }
    const std::vector<VarSpec>& vars = expr->vars;
    if (vars.size() == 1 && !vars[0].explode) {
      assign(vars[0].name, decode(region));  // one variable takes the region, separators included
      continue;
    }
    const auto pieces = split(region, info.sep);
    if (vars.size() == 1) {
      assign(vars[0].name, join_decoded(pieces, 0, pieces.size()));
      continue;
    }
    const std::size_t n = vars.size();
    const std::size_t k = pieces.size();
    if (k <= n) {
      for (std::size_t v = 0; v < k; ++v) assign(vars[v].name, decode(pieces[v]));
      continue;
    }
    // More pieces than variables: the first exploded variable (else the last) takes the surplus.
    std::size_t absorber = n - 1;
    for (std::size_t v = 0; v < n; ++v) {
      if (vars[v].explode) {
        absorber = v;
        break;
      }
    }
    const std::size_t extra = k - n;
    for (std::size_t v = 0; v < n; ++v) {
      if (v < absorber) {
        assign(vars[v].name, decode(pieces[v]));
      } else if (v > absorber) {
        assign(vars[v].name, decode(pieces[v + extra]));
      } else if (vars[v].explode) {
        assign(vars[v].name, join_decoded(pieces, v, v + extra + 1));
      } else {
        const std::string_view last = pieces[v + extra];
        const auto length = static_cast<std::size_t>(last.data() + last.size() - pieces[v].data());
        assign(vars[v].name, decode(std::string_view(pieces[v].data(), length)));
      }
    }
  }

  auto resolve = [&](const Pool& pool) {
    if (pool.exprs.empty()) return;
    const VarSpec* absorber = nullptr;
    for (const Expression* expr : pool.exprs) {
      for (const VarSpec& spec : expr->vars) {
        if (spec.explode && absorber == nullptr) absorber = &spec;
      }
    }
    std::map<std::string_view, std::string, std::less<>> values;
    auto add_value = [&](const std::string& name, const std::string& value) {
      auto [it, inserted] = values.try_emplace(name, value);
      if (!inserted) {
        it->second += ',';
        it->second += value;
      }
    };
    for (const Param& p : pool.params) {
      const VarSpec* target = nullptr;
      for (const Expression* expr : pool.exprs) {
        for (const VarSpec& spec : expr->vars) {
          if (target == nullptr && spec.name == p.name) target = &spec;
        }
      }
      if (target != nullptr) {
        add_value(target->name, decode(p.value));
      } else if (absorber != nullptr) {
        add_value(absorber->name,
                  p.has_value ? decode(p.name) + "=" + decode(p.value) : decode(p.name));
      } else {
        ok = false;  // a parameter the template does not name
        return;
      }
    }
    for (auto& [name, value] : values) assign(std::string(name), std::move(value));
  };
  resolve(path_params);
  resolve(query_params);

  if (!ok) return std::nullopt;
  return out;
}

}  // namespace mcpp
