// JSON Schema 2020-12 evaluation over compiled node trees, and the public Validator API.
// A first pass only answers valid/invalid (no allocation for errors); a second pass collects
// errors.
#include "protocol/json_schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema {
namespace detail {
namespace {

namespace json = boost::json;

constexpr int kMaxDepth = 256;
constexpr std::size_t kMaxErrors = 100;
constexpr std::uint64_t kMaxSteps = 10'000'000;

// One step of a JSON Pointer, linked on the stack while evaluating: nothing is allocated unless
// an error is reported.
struct PathLink {
  const PathLink* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;
};

std::string to_pointer(const PathLink* link) {
  std::vector<const PathLink*> chain;
  for (; link != nullptr; link = link->parent) chain.push_back(link);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    out.push_back('/');
    if ((*it)->is_index) {
      out += std::to_string((*it)->index);
    } else {
      append_pointer_token(out, (*it)->key);
    }
  }
  return out;
}

// The dynamic scope: schema resources entered on the way to the current schema.
struct Scope {
  const Scope* parent;
  const Resource* resource;
};

struct Frame {
  const PathLink* keyword;
  const PathLink* instance;
  const Scope* scope;
};

// Which members of the current object (or items of the current array) some keyword evaluated;
// only collected where an unevaluated* keyword needs it.
class Evaluated {
 public:
  explicit Evaluated(std::size_t n) : marks_(n, false) {}
  std::size_t size() const { return marks_.size(); }
  void mark(std::size_t i) { marks_[i] = true; }
  bool marked(std::size_t i) const { return marks_[i]; }
  void mark_all() { std::fill(marks_.begin(), marks_.end(), true); }
  void merge(const Evaluated& other) {
    for (std::size_t i = 0; i < marks_.size(); ++i) {
      if (other.marks_[i]) marks_[i] = true;
    }
  }

 private:
  std::vector<bool> marks_;
};

std::size_t container_size(const json::value& v) {
  if (v.is_object()) return v.get_object().size();
  if (v.is_array()) return v.get_array().size();
  return 0;
}

std::uint8_t type_bits(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return kTypeNull;
    case json::kind::bool_:
      return kTypeBoolean;
    case json::kind::int64:
    case json::kind::uint64:
      return kTypeInteger | kTypeNumber;
    case json::kind::double_:
      return is_integral(v) ? (kTypeInteger | kTypeNumber) : kTypeNumber;
    case json::kind::string:
      return kTypeString;
    case json::kind::array:
      return kTypeArray;
    case json::kind::object:
      return kTypeObject;
  }
  return 0;
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

std::string type_list(std::uint8_t types) {
  static constexpr std::pair<std::uint8_t, std::string_view> kNames[] = {
      {kTypeNull, "null"},      {kTypeBoolean, "boolean"}, {kTypeObject, "object"},
      {kTypeArray, "array"},    {kTypeNumber, "number"},   {kTypeString, "string"},
      {kTypeInteger, "integer"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((types & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += "\"" + std::string(name) + "\"";
  }
  return out;
}

double to_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

std::uint64_t magnitude(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  const std::int64_t i = v.get_int64();
  return i < 0 ? static_cast<std::uint64_t>(-(i + 1)) + 1 : static_cast<std::uint64_t>(i);
}

bool is_multiple_of(const json::value& v, const json::value& divisor) {
  const bool v_int = v.is_int64() || v.is_uint64();
  const bool d_int = divisor.is_int64() || divisor.is_uint64();
  if (v_int && d_int) return magnitude(v) % magnitude(divisor) == 0;
  const double x = to_double(v);
  const double y = to_double(divisor);
  if (is_integral(v) && is_integral(divisor)) return std::fmod(x, y) == 0;  // exact
  // Decimal divisors such as 0.0001 have no exact binary form: accept a quotient within a
  // relative 1e-9 of an integer (0.0075 / 0.0001 = 75.00000000000001).
  const double q = x / y;
  if (!std::isfinite(q)) return std::fmod(x, y) == 0;  // exact for the divisor's binary value
  return std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q));
}

// Indexes of two equal items, when there are any.
std::optional<std::pair<std::size_t, std::size_t>> find_duplicate(const json::array& a) {
  const std::size_t n = a.size();
  if (n < 2) return std::nullopt;
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if (json_equal(a[i], a[j])) return std::make_pair(i, j);
      }
    }
    return std::nullopt;
  }
  std::vector<std::pair<std::size_t, std::size_t>> hashed;  // (hash, index)
  hashed.reserve(n);
  for (std::size_t i = 0; i < n; ++i) hashed.emplace_back(json_hash(a[i]), i);
  std::sort(hashed.begin(), hashed.end());
  for (std::size_t i = 0; i < n;) {
    std::size_t end = i + 1;
    while (end < n && hashed[end].first == hashed[i].first) ++end;
    for (std::size_t x = i; x < end; ++x) {
      for (std::size_t y = x + 1; y < end; ++y) {
        if (json_equal(a[hashed[x].second], a[hashed[y].second])) {
          return std::make_pair(std::min(hashed[x].second, hashed[y].second),
                                std::max(hashed[x].second, hashed[y].second));
        }
      }
    }
    i = end;
  }
  return std::nullopt;
}

const Node* find_property(const Node& n, std::string_view name) {
  auto it = std::lower_bound(n.properties.begin(), n.properties.end(), name,
                             [](const NamedNode& p, std::string_view k) { return p.name < k; });
  return it != n.properties.end() && it->name == name ? it->node : nullptr;
}

std::string quoted(std::string_view s) {
  return describe(json::value(json::string_view(s)));
}

class Evaluator {
 public:
  explicit Evaluator(std::vector<ValidationError>* errors) : errors_(errors) {}

  bool eval(const Node& n, const json::value& v, const Frame& f, Evaluated* ev) {
    if (n.kind == Node::Kind::kTrue) return true;
    if (n.kind == Node::Kind::kFalse) {
      if (collecting()) report(f, f.keyword, "no value is allowed here (the schema is false)");
      return false;
    }
    if (++steps_ > kMaxSteps) {
      if (collecting() && steps_ == kMaxSteps + 1) {
        report(f, f.keyword,
               "validation aborted: more than " + std::to_string(kMaxSteps) +
                   " schema evaluations were needed");
      }
      return false;
    }
    if (depth_ >= kMaxDepth) {
      if (collecting()) {
        report(f, f.keyword,
               "schema nesting too deep (more than " + std::to_string(kMaxDepth) +
                   " nested schema evaluations; is there a $ref loop?)");
      }
      return false;
    }
    ++depth_;
    const Scope scope{f.scope, n.resource};
    const Frame here{f.keyword, f.instance,
                     f.scope != nullptr && f.scope->resource == n.resource ? f.scope : &scope};
    std::optional<Evaluated> local;
    Evaluated* track = ev;
    if ((n.tracks_properties && v.is_object()) || (n.tracks_items && v.is_array())) {
      track = &local.emplace(container_size(v));
    }
    const bool ok = keywords(n, v, here, track);
    if (ok && local && ev != nullptr) ev->merge(*local);
    --depth_;
    return ok;
  }

 private:
  bool collecting() const { return errors_ != nullptr; }

  void report(const Frame& f, const PathLink* keyword, std::string message) {
    if (errors_ == nullptr || errors_->size() >= kMaxErrors) return;
    errors_->push_back({to_pointer(f.instance), to_pointer(keyword), std::move(message)});
  }

  // Evaluates with errors sent to `sink` (nullptr discards them).
  bool eval_into(std::vector<ValidationError>* sink, const Node& n, const json::value& v,
                 const Frame& f, Evaluated* ev) {
    std::vector<ValidationError>* saved = errors_;
    errors_ = sink;
    const bool ok = eval(n, v, f, ev);
    errors_ = saved;
    return ok;
  }

  void append(std::vector<ValidationError>&& more) {
    if (errors_ == nullptr) return;
    for (ValidationError& e : more) {
      if (errors_->size() >= kMaxErrors) return;
      errors_->push_back(std::move(e));
    }
  }

  bool keywords(const Node& n, const json::value& v, const Frame& f, Evaluated* ev) {
    bool ok = true;
    // Records a keyword result; false means stop (invalid, and not collecting errors).
    const auto keep = [&](bool result) {
      if (!result) ok = false;
      return ok || collecting();
    };
    if (n.ref != nullptr) {
      const PathLink kw{f.keyword, "$ref"};
      if (!keep(eval(*n.ref, v, Frame{&kw, f.instance, f.scope}, ev))) return false;
    }
    if (n.dynamic_ref != nullptr) {
      const Node* target = n.dynamic_ref;
      if (n.dynamic_ref_is_dynamic) {
        // The outermost resource in the dynamic scope that declares the anchor wins.
        for (const Scope* s = f.scope; s != nullptr; s = s->parent) {
          if (const Node* found = s->resource->find_dynamic_anchor(n.dynamic_anchor))
            target = found;
        }
      }
      const PathLink kw{f.keyword, "$dynamicRef"};
      if (!keep(eval(*target, v, Frame{&kw, f.instance, f.scope}, ev))) return false;
    }
    if (!keep(generic(n, v, f))) return false;
    switch (v.kind()) {
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        if (!keep(numeric(n, v, f))) return false;
        break;
      case json::kind::string:
        if (!keep(string(n, v.get_string(), f))) return false;
        break;
      case json::kind::array:
        if (!keep(array(n, v.get_array(), f, ev))) return false;
        break;
      case json::kind::object:
        if (!keep(object(n, v, f, ev))) return false;
        break;
      default:
        break;
    }
    if (!keep(combinators(n, v, f, ev))) return false;
    if (n.unevaluated_properties != nullptr && v.is_object()) {
      if (!keep(unevaluated_properties(n, v.get_object(), f, ev))) return false;
    }
    if (n.unevaluated_items != nullptr && v.is_array()) {
      if (!keep(unevaluated_items(n, v.get_array(), f, ev))) return false;
    }
    return ok;
  }

  bool generic(const Node& n, const json::value& v, const Frame& f) {
    bool ok = true;
    if (n.types != 0 && (n.types & type_bits(v)) == 0) {
      ok = false;
      if (!collecting()) return false;
      const PathLink kw{f.keyword, "type"};
      const std::string expected = type_list(n.types);
      report(f, &kw,
             (expected.find(',') == std::string::npos ? "expected type " + expected
                                                      : "expected one of the types " + expected) +
                 " but found " + std::string(kind_name(v)));
    }
    if (n.const_value != nullptr && !json_equal(v, *n.const_value)) {
      ok = false;
      if (!collecting()) return false;
      const PathLink kw{f.keyword, "const"};
      report(f, &kw, "value must be " + describe(*n.const_value));
    }
    if (n.enum_values != nullptr) {
      const json::array& values = *n.enum_values;
      if (std::none_of(values.begin(), values.end(),
                       [&](const json::value& e) { return json_equal(v, e); })) {
        ok = false;
        if (!collecting()) return false;
        const PathLink kw{f.keyword, "enum"};
        std::string list;
        for (const json::value& e : values) {
          if (list.size() > 200) {
            list += ", ...";
            break;
          }
          if (!list.empty()) list += ", ";
          list += describe(e, 60);
        }
        report(f, &kw,
               values.empty() ? std::string("no value is allowed (\"enum\" is empty)")
                              : "value must be one of: " + list);
      }
    }
    return ok;
  }

  bool numeric(const Node& n, const json::value& v, const Frame& f) {
    bool ok = true;
    const auto check = [&](const json::value* limit, std::string_view keyword, bool pass,
                           std::string_view relation) {
      if (limit == nullptr || pass) return true;
      ok = false;
      if (!collecting()) return false;
      const PathLink kw{f.keyword, keyword};
      report(f, &kw, describe(v) + " " + std::string(relation) + " " + describe(*limit));
      return true;
    };
    if (!check(n.minimum, "minimum", n.minimum == nullptr || compare_numbers(v, *n.minimum) >= 0,
               "is less than the minimum of")) {
      return false;
    }
    if (!check(n.maximum, "maximum", n.maximum == nullptr || compare_numbers(v, *n.maximum) <= 0,
               "is greater than the maximum of")) {
      return false;
    }
    if (!check(n.exclusive_minimum, "exclusiveMinimum",
               n.exclusive_minimum == nullptr || compare_numbers(v, *n.exclusive_minimum) > 0,
               "must be greater than")) {
      return false;
    }
    if (!check(n.exclusive_maximum, "exclusiveMaximum",
               n.exclusive_maximum == nullptr || compare_numbers(v, *n.exclusive_maximum) < 0,
               "must be less than")) {
      return false;
    }
    if (!check(n.multiple_of, "multipleOf",
               n.multiple_of == nullptr || is_multiple_of(v, *n.multiple_of),
               "is not a multiple of")) {
      return false;
    }
    return ok;
  }

  bool string(const Node& n, std::string_view s, const Frame& f) {
    bool ok = true;
    if (n.min_length || n.max_length) {
      const std::size_t length = count_code_points(s);
      if (n.min_length && length < *n.min_length) {
        ok = false;
        if (!collecting()) return false;
        const PathLink kw{f.keyword, "minLength"};
        report(f, &kw,
               "string is too short (" + std::to_string(length) + " characters; the minimum is " +
                   std::to_string(*n.min_length) + ")");
      }
      if (n.max_length && length > *n.max_length) {
        ok = false;
        if (!collecting()) return false;
        const PathLink kw{f.keyword, "maxLength"};
        report(f, &kw,
               "string is too long (" + std::to_string(length) + " characters; the maximum is " +
                   std::to_string(*n.max_length) + ")");
      }
    }
    if (n.pattern && !n.pattern->search(s)) {
      ok = false;
      if (!collecting()) return false;
      const PathLink kw{f.keyword, "pattern"};
      report(f, &kw, "string does not match the pattern " + quoted(n.pattern->source()));
    }
    return ok;
  }

  bool array(const Node& n, const json::array& a, const Frame& f, Evaluated* ev) {
    bool ok = true;
    const auto keep = [&](bool result) {
      if (!result) ok = false;
      return ok || collecting();
    };
    const std::size_t size = a.size();
    if (n.min_items && size < *n.min_items) {
      const PathLink kw{f.keyword, "minItems"};
      if (collecting()) {
        report(f, &kw,
               "array has " + std::to_string(size) + " items but at least " +
                   std::to_string(*n.min_items) + " are required");
      }
      if (!keep(false)) return false;
    }
    if (n.max_items && size > *n.max_items) {
      const PathLink kw{f.keyword, "maxItems"};
      if (collecting()) {
        report(f, &kw,
               "array has " + std::to_string(size) + " items but at most " +
                   std::to_string(*n.max_items) + " are allowed");
      }
      if (!keep(false)) return false;
    }
    if (n.unique_items) {
      if (auto dup = find_duplicate(a)) {
        const PathLink kw{f.keyword, "uniqueItems"};
        if (collecting()) {
          report(f, &kw,
                 "items " + std::to_string(dup->first) + " and " + std::to_string(dup->second) +
                     " are equal; items must be unique");
        }
        if (!keep(false)) return false;
      }
    }
    const std::size_t prefix = std::min(n.prefix_items.size(), size);
    for (std::size_t i = 0; i < prefix; ++i) {
      const PathLink kw{f.keyword, n.prefix_items_keyword};
      const PathLink kw_index{&kw, {}, i, true};
      const PathLink at{f.instance, {}, i, true};
      if (!keep(eval(*n.prefix_items[i], a[i], Frame{&kw_index, &at, f.scope}, nullptr))) {
        return false;
      }
      if (ev != nullptr) ev->mark(i);
    }
    if (n.items != nullptr && size > n.prefix_items.size()) {
      const PathLink kw{f.keyword, n.items_keyword};
      if (n.items->kind == Node::Kind::kFalse) {
        if (collecting()) {
          report(f, &kw,
                 "array has " + std::to_string(size) + " items but at most " +
                     std::to_string(n.prefix_items.size()) + " are allowed");
        }
        if (!keep(false)) return false;
      } else {
        for (std::size_t i = n.prefix_items.size(); i < size; ++i) {
          const PathLink at{f.instance, {}, i, true};
          if (!keep(eval(*n.items, a[i], Frame{&kw, &at, f.scope}, nullptr))) return false;
          if (ev != nullptr) ev->mark(i);
        }
      }
    }
    if (n.contains != nullptr && !keep(contains(n, a, f, ev))) return false;
    return ok;
  }

  bool contains(const Node& n, const json::array& a, const Frame& f, Evaluated* ev) {
    const std::uint64_t min = n.min_contains.value_or(1);
    std::uint64_t matches = 0;
    const PathLink kw{f.keyword, "contains"};
    for (std::size_t i = 0; i < a.size(); ++i) {
      const PathLink at{f.instance, {}, i, true};
      if (eval_into(nullptr, *n.contains, a[i], Frame{&kw, &at, f.scope}, nullptr)) {
        ++matches;
        if (ev != nullptr) ev->mark(i);
        if (ev == nullptr && !n.max_contains && matches >= min) break;
      }
    }
    if (matches < min) {
      if (collecting()) {
        if (n.min_contains) {
          const PathLink kw_min{f.keyword, "minContains"};
          report(f, &kw_min,
                 "array has " + std::to_string(matches) +
                     " items matching \"contains\" but at least " + std::to_string(min) +
                     " are required");
        } else {
          report(f, &kw, "array has no item matching the \"contains\" schema");
        }
      }
      return false;
    }
    if (n.max_contains && matches > *n.max_contains) {
      if (collecting()) {
        const PathLink kw_max{f.keyword, "maxContains"};
        report(f, &kw_max,
               "array has " + std::to_string(matches) +
                   " items matching \"contains\" but at most " + std::to_string(*n.max_contains) +
                   " are allowed");
      }
      return false;
    }
    return true;
  }

  bool object(const Node& n, const json::value& v, const Frame& f, Evaluated* ev) {
    const json::object& o = v.get_object();
    bool ok = true;
    const auto keep = [&](bool result) {
      if (!result) ok = false;
      return ok || collecting();
    };
    const std::size_t size = o.size();
    if (n.min_properties && size < *n.min_properties) {
      const PathLink kw{f.keyword, "minProperties"};
      if (collecting()) {
        report(f, &kw,
               "object has " + std::to_string(size) + " properties but at least " +
                   std::to_string(*n.min_properties) + " are required");
      }
      if (!keep(false)) return false;
    }
    if (n.max_properties && size > *n.max_properties) {
      const PathLink kw{f.keyword, "maxProperties"};
      if (collecting()) {
        report(f, &kw,
               "object has " + std::to_string(size) + " properties but at most " +
                   std::to_string(*n.max_properties) + " are allowed");
      }
      if (!keep(false)) return false;
    }
    for (const std::string_view name : n.required) {
      if (o.contains(name)) continue;
      const PathLink kw{f.keyword, "required"};
      if (collecting()) report(f, &kw, "missing required property " + quoted(name));
      if (!keep(false)) return false;
    }
    for (const DependentRequired& dep : n.dependent_required) {
      if (!o.contains(dep.name)) continue;
      for (const std::string_view name : dep.required) {
        if (o.contains(name)) continue;
        const PathLink kw{f.keyword, dep.from_dependencies ? "dependencies" : "dependentRequired"};
        const PathLink kw_name{&kw, dep.name};
        if (collecting()) {
          report(f, &kw_name,
                 "missing property " + quoted(name) + ", which is required when " +
                     quoted(dep.name) + " is present");
        }
        if (!keep(false)) return false;
      }
    }
    if (!n.properties.empty() || !n.pattern_properties.empty() ||
        n.additional_properties != nullptr) {
      std::size_t i = 0;
      for (const auto& member : o) {
        const std::string_view key = member.key();
        const PathLink at{f.instance, key};
        bool matched = false;
        if (const Node* p = find_property(n, key)) {
          matched = true;
          const PathLink kw{f.keyword, "properties"};
          const PathLink kw_name{&kw, key};
          if (!keep(eval(*p, member.value(), Frame{&kw_name, &at, f.scope}, nullptr))) {
            return false;
          }
        }
        for (const PatternNode& pp : n.pattern_properties) {
          if (!pp.regex.search(key)) continue;
          matched = true;
          const PathLink kw{f.keyword, "patternProperties"};
          const PathLink kw_name{&kw, pp.source};
          if (!keep(eval(*pp.node, member.value(), Frame{&kw_name, &at, f.scope}, nullptr))) {
            return false;
          }
        }
        if (!matched && n.additional_properties != nullptr) {
          matched = true;
          const PathLink kw{f.keyword, "additionalProperties"};
          if (n.additional_properties->kind == Node::Kind::kFalse) {
            if (collecting()) report(f, &kw, "property " + quoted(key) + " is not allowed");
            if (!keep(false)) return false;
          } else if (!keep(eval(*n.additional_properties, member.value(), Frame{&kw, &at, f.scope},
                                nullptr))) {
            return false;
          }
        }
        if (matched && ev != nullptr) ev->mark(i);
        ++i;
      }
    }
    if (n.property_names != nullptr) {
      const PathLink kw{f.keyword, "propertyNames"};
      for (const auto& member : o) {
        const json::value name(json::string_view(member.key()));
        std::vector<ValidationError> why;
        if (eval_into(collecting() ? &why : nullptr, *n.property_names, name,
                      Frame{&kw, f.instance, f.scope}, nullptr)) {
          continue;
        }
        if (collecting()) {
          report(f, &kw,
                 "property name " + quoted(member.key()) + " is not allowed" +
                     (why.empty() ? std::string() : ": " + why.front().message));
        }
        if (!keep(false)) return false;
      }
    }
    for (const NamedNode& dep : n.dependent_schemas) {
      if (!o.contains(dep.name)) continue;
      const PathLink kw{f.keyword, dep.from_dependencies ? "dependencies" : "dependentSchemas"};
      const PathLink kw_name{&kw, dep.name};
      if (!keep(eval(*dep.node, v, Frame{&kw_name, f.instance, f.scope}, ev))) return false;
    }
    return ok;
  }

  bool combinators(const Node& n, const json::value& v, const Frame& f, Evaluated* ev) {
    bool ok = true;
    const auto keep = [&](bool result) {
      if (!result) ok = false;
      return ok || collecting();
    };
    const std::size_t size = ev != nullptr ? ev->size() : 0;
    for (std::size_t i = 0; i < n.all_of.size(); ++i) {
      const PathLink kw{f.keyword, "allOf"};
      const PathLink kw_index{&kw, {}, i, true};
      if (!keep(eval(*n.all_of[i], v, Frame{&kw_index, f.instance, f.scope}, ev))) return false;
    }
    if (!n.any_of.empty()) {
      const PathLink kw{f.keyword, "anyOf"};
      std::vector<ValidationError> why;
      bool any = false;
      for (std::size_t i = 0; i < n.any_of.size(); ++i) {
        const PathLink kw_index{&kw, {}, i, true};
        std::optional<Evaluated> branch;
        if (ev != nullptr) branch.emplace(size);
        if (eval_into(collecting() ? &why : nullptr, *n.any_of[i], v,
                      Frame{&kw_index, f.instance, f.scope}, branch ? &*branch : nullptr)) {
          any = true;
          if (ev == nullptr) break;
          ev->merge(*branch);
        }
      }
      if (!any) {
        if (collecting()) {
          report(f, &kw,
                 "value does not match any of the " + std::to_string(n.any_of.size()) +
                     " alternatives in \"anyOf\"");
          append(std::move(why));
        }
        if (!keep(false)) return false;
      }
    }
    if (!n.one_of.empty()) {
      const PathLink kw{f.keyword, "oneOf"};
      std::vector<ValidationError> why;
      std::optional<Evaluated> first_annotations;
      std::size_t passed = 0;
      std::size_t first = 0;
      std::size_t second = 0;
      for (std::size_t i = 0; i < n.one_of.size(); ++i) {
        const PathLink kw_index{&kw, {}, i, true};
        std::optional<Evaluated> branch;
        if (ev != nullptr) branch.emplace(size);
        if (!eval_into(collecting() ? &why : nullptr, *n.one_of[i], v,
                       Frame{&kw_index, f.instance, f.scope}, branch ? &*branch : nullptr)) {
          continue;
        }
        if (++passed == 1) {
          first = i;
          first_annotations = std::move(branch);
        } else {
          second = i;
          break;
        }
      }
      if (passed == 1) {
        if (ev != nullptr) ev->merge(*first_annotations);
      } else {
        if (collecting()) {
          if (passed == 0) {
            report(f, &kw,
                   "value does not match any of the " + std::to_string(n.one_of.size()) +
                       " alternatives in \"oneOf\"");
            append(std::move(why));
          } else {
            report(f, &kw,
                   "value matches more than one alternative in \"oneOf\" (" +
                       std::to_string(first) + " and " + std::to_string(second) +
                       ") but must match exactly one");
          }
        }
        if (!keep(false)) return false;
      }
    }
    if (n.not_schema != nullptr) {
      const PathLink kw{f.keyword, "not"};
      if (eval_into(nullptr, *n.not_schema, v, Frame{&kw, f.instance, f.scope}, nullptr)) {
        if (collecting()) report(f, &kw, "value must not match the \"not\" schema");
        if (!keep(false)) return false;
      }
    }
    if (n.if_schema != nullptr) {
      const PathLink kw_if{f.keyword, "if"};
      std::optional<Evaluated> condition;
      if (ev != nullptr) condition.emplace(size);
      if (eval_into(nullptr, *n.if_schema, v, Frame{&kw_if, f.instance, f.scope},
                    condition ? &*condition : nullptr)) {
        if (ev != nullptr) ev->merge(*condition);
        if (n.then_schema != nullptr) {
          const PathLink kw{f.keyword, "then"};
          if (!keep(eval(*n.then_schema, v, Frame{&kw, f.instance, f.scope}, ev))) return false;
        }
      } else if (n.else_schema != nullptr) {
        const PathLink kw{f.keyword, "else"};
        if (!keep(eval(*n.else_schema, v, Frame{&kw, f.instance, f.scope}, ev))) return false;
      }
    }
    return ok;
  }

  bool unevaluated_properties(const Node& n, const json::object& o, const Frame& f, Evaluated* ev) {
    bool ok = true;
    const PathLink kw{f.keyword, "unevaluatedProperties"};
    std::size_t i = 0;
    for (const auto& member : o) {
      if (!ev->marked(i++)) {
        const std::string_view key = member.key();
        if (n.unevaluated_properties->kind == Node::Kind::kFalse) {
          ok = false;
          if (!collecting()) return false;
          report(f, &kw,
                 "property " + quoted(key) +
                     " is not allowed (no other keyword of the schema covers it)");
        } else {
          const PathLink at{f.instance, key};
          if (!eval(*n.unevaluated_properties, member.value(), Frame{&kw, &at, f.scope}, nullptr)) {
            ok = false;
            if (!collecting()) return false;
          }
        }
      }
    }
    ev->mark_all();
    return ok;
  }

  bool unevaluated_items(const Node& n, const json::array& a, const Frame& f, Evaluated* ev) {
    bool ok = true;
    const PathLink kw{f.keyword, "unevaluatedItems"};
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (ev->marked(i)) continue;
      if (n.unevaluated_items->kind == Node::Kind::kFalse) {
        ok = false;
        if (!collecting()) return false;
        report(f, &kw,
               "item " + std::to_string(i) +
                   " is not allowed (no other keyword of the schema covers it)");
      } else {
        const PathLink at{f.instance, {}, i, true};
        if (!eval(*n.unevaluated_items, a[i], Frame{&kw, &at, f.scope}, nullptr)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
    }
    ev->mark_all();
    return ok;
  }

  std::vector<ValidationError>* errors_;
  int depth_ = 0;
  std::uint64_t steps_ = 0;
};

bool run(const ValidatorImpl& impl, const json::value& instance,
         std::vector<ValidationError>* errors) {
  Evaluator evaluator(errors);
  return evaluator.eval(*impl.root, instance, Frame{nullptr, nullptr, nullptr}, nullptr);
}

}  // namespace
}  // namespace detail

Validator Validator::compile(const boost::json::value& schema, SchemaLoader loader) {
  return Validator(detail::compile_schema(schema, loader));
}

bool Validator::validate(const boost::json::value& instance,
                         std::vector<ValidationError>* errors) const {
  if (detail::run(*impl_, instance, nullptr)) return true;
  if (errors != nullptr) {
    std::vector<ValidationError> found;
    detail::run(*impl_, instance, &found);
    if (found.empty()) found.push_back({"", "", "value does not match the schema"});
    for (ValidationError& e : found) errors->push_back(std::move(e));
  }
  return false;
}

std::string Validator::first_error(const boost::json::value& instance) const {
  std::vector<ValidationError> errors;
  if (validate(instance, &errors)) return {};
  const ValidationError& e = errors.front();
  return (e.instance_path.empty() ? std::string("(root)") : e.instance_path) + ": " + e.message;
}

}  // namespace mcpp::schema
