// Compiles JSON Schema 2020-12 documents into the node tree of json_schema_internal.hpp: URI
// resolution, the identifier scan ($id/$anchor/$dynamicAnchor), vocabularies and keyword checks.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema::detail {
namespace {

namespace json = boost::json;

constexpr int kMaxSchemaDepth = 256;

constexpr std::uint32_t kVocabCore = 1;
constexpr std::uint32_t kVocabApplicator = 2;
constexpr std::uint32_t kVocabUnevaluated = 4;
constexpr std::uint32_t kVocabValidation = 8;
constexpr std::uint32_t kVocabAnnotations = 16;  // meta-data, format-annotation, content
constexpr std::uint32_t kAllVocabs = 31;
// draft-04..2019-09 extras: "$id": "#name" anchors and boolean exclusiveMinimum/Maximum.
constexpr std::uint32_t kLegacy = 32;

constexpr std::string_view kDraft202012 = "https://json-schema.org/draft/2020-12/schema";

bool is_valid_anchor(std::string_view a) {
  if (a.empty()) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(a[0]) && a[0] != '_') return false;
  return std::all_of(a.begin() + 1, a.end(), [&](char c) {
    return letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

bool is_legacy_metaschema(std::string_view uri) {
  for (std::string_view draft : {"draft-04", "draft-06", "draft-07"}) {
    for (std::string_view scheme : {"http://", "https://"}) {
      if (uri == std::string(scheme) + "json-schema.org/" + std::string(draft) + "/schema") {
        return true;
      }
    }
  }
  return uri == "https://json-schema.org/draft/2019-09/schema";
}

// ---------------------------------------------------------------------------------------------
// The compiler

struct ScanInfo {
  std::string base;  // base URI of the schema at this location
  Resource* resource = nullptr;
  std::uint32_t vocab = kAllVocabs;
};

struct Target {
  std::size_t doc = 0;
  std::string pointer;
  const json::value* value = nullptr;
};

struct AnchorTarget {
  Target target;
  bool dynamic = false;
};

struct Document {
  const json::value* root = nullptr;
  std::string uri;  // retrieval URI ("" for the schema passed to compile())
  std::unordered_map<std::string, ScanInfo> scanned;  // by JSON Pointer
  std::unordered_map<std::string, Node*> nodes;       // by JSON Pointer
};

struct PendingRef {
  Node* node;
  bool dynamic;
  std::string uri;    // absolute reference, with fragment
  std::string where;  // location of the "$ref" for messages
};

struct PendingAnchor {
  Resource* resource;
  std::uint32_t name;
  Target target;
};

class Compiler {
 public:
  explicit Compiler(const SchemaLoader& loader)
      : loader_(loader), impl_(std::make_shared<ValidatorImpl>()) {}

  std::shared_ptr<const ValidatorImpl> run(const json::value& schema) {
    impl_->documents.push_back(schema);
    const std::size_t doc = add_document(&impl_->documents.back(), "");
    impl_->root = node_at(doc, "", *docs_[doc].root, 0);
    drain();
    check_for_ref_cycles();
    return impl_;
  }

 private:
  [[noreturn]] void fail(std::size_t doc, std::string_view pointer, const std::string& why) const {
    throw std::invalid_argument("invalid schema at \"" + location(doc, pointer) + "\": " + why);
  }
  std::string location(std::size_t doc, std::string_view pointer) const {
    return docs_[doc].uri + "#" + std::string(pointer);
  }

  std::size_t add_document(const json::value* root, std::string uri) {
    docs_.push_back(Document{root, std::move(uri), {}, {}});
    const std::size_t doc = docs_.size() - 1;
    ScanInfo top;
    top.base = docs_[doc].uri;
    std::string pointer;
    scan(doc, *root, pointer, top, 0, /*is_document_root=*/true);
    return doc;
  }

  // Fetches a document by URI (built-in meta-schemas first, then the loader); cached.
  const json::value* fetch(const std::string& uri) {
    auto it = fetched_.find(uri);
    if (it != fetched_.end()) return it->second;
    const json::value* found = builtin_metaschema(uri);
    if (found == nullptr && loader_) found = loader_(uri);
    const json::value* stored = nullptr;
    if (found != nullptr) {
      impl_->documents.push_back(*found);
      stored = &impl_->documents.back();
    }
    fetched_.emplace(uri, stored);
    return stored;
  }

  // ---- identifier scan --------------------------------------------------------------------

  void register_resource(const std::string& uri, std::size_t doc, const std::string& pointer,
                         const json::value& value) {
    auto [it, inserted] = resources_.try_emplace(uri, Target{doc, pointer, &value});
    if (!inserted && (it->second.doc != doc || it->second.pointer != pointer)) {
      fail(doc, pointer, "duplicate schema identifier \"" + uri + "\"");
    }
  }

  void register_anchor(const ScanInfo& info, std::size_t doc, const std::string& pointer,
                       const json::value& value, std::string_view keyword, bool dynamic) {
    const json::value& name = value.get_object().at(keyword);
    if (!name.is_string() || !is_valid_anchor(name.get_string())) {
      fail(doc, pointer,
           "\"" + std::string(keyword) +
               "\" must be a string that starts with a letter or '_' and contains "
               "only letters, digits, '-', '.' and '_'");
    }
    const std::string key = info.base + "#" + std::string(name.get_string());
    auto [it, inserted] =
        anchors_.try_emplace(key, AnchorTarget{Target{doc, pointer, &value}, dynamic});
    if (!inserted) {
      if (it->second.target.doc != doc || it->second.target.pointer != pointer) {
        fail(doc, pointer, "duplicate anchor \"" + key + "\"");
      }
      it->second.dynamic = it->second.dynamic || dynamic;
    }
    if (dynamic) {
      pending_anchors_.push_back(
          PendingAnchor{info.resource, intern(name.get_string()), Target{doc, pointer, &value}});
    }
  }

  Resource* new_resource(const std::string& uri) {
    Resource& r = impl_->resources.emplace_back();
    r.uri = uri;
    return &r;
  }

  // Records base URI, resource and vocabularies of every schema location under `value`, and
  // registers its identifiers. Follows the keywords that take subschemas.
  void scan(std::size_t doc, const json::value& value, std::string& pointer, const ScanInfo& parent,
            int depth, bool is_document_root) {
    if (!value.is_object() && !value.is_bool()) return;
    if (depth > kMaxSchemaDepth) fail(doc, pointer, "schema nesting too deep");
    Document& d = docs_[doc];
    if (d.scanned.count(pointer) != 0) return;
    ScanInfo info = parent;
    if (value.is_bool()) {
      if (is_document_root) {
        info.resource = new_resource(info.base);
        register_resource(info.base, doc, pointer, value);
      }
      d.scanned.emplace(pointer, std::move(info));
      return;
    }
    const json::object& o = value.get_object();
    const json::value* id = o.if_contains("$id");
    if (id != nullptr && !id->is_string()) fail(doc, pointer, "\"$id\" must be a string");
    if ((id != nullptr || is_document_root) && o.contains("$schema")) {
      const json::value& s = o.at("$schema");
      if (!s.is_string()) fail(doc, pointer, "\"$schema\" must be a string");
      info.vocab = vocabularies(s.get_string(), doc, pointer);
    }
    bool has_id = false;
    if (id != nullptr) {
      const std::string_view text = id->get_string();
      if (!text.empty() && text.front() == '#' && (info.vocab & kLegacy) != 0) {
        // draft-06/07 plain-name fragment identifiers are anchors; registered below.
      } else {
        auto [uri, fragment] = split_fragment(resolve_uri(parent.base, text));
        if (!fragment.empty()) fail(doc, pointer, "\"$id\" must not contain a non-empty fragment");
        info.base = uri;
        has_id = true;
      }
    }
    if (has_id || is_document_root) {
      info.resource = new_resource(info.base);
      register_resource(info.base, doc, pointer, value);
      if (is_document_root && has_id && d.uri != info.base) {
        register_resource(d.uri, doc, pointer, value);
      }
    }
    if (o.contains("$anchor")) register_anchor(info, doc, pointer, value, "$anchor", false);
    if (o.contains("$dynamicAnchor")) {
      register_anchor(info, doc, pointer, value, "$dynamicAnchor", true);
    }
    if ((info.vocab & kLegacy) != 0 && o.contains("$id") && o.at("$id").is_string()) {
      const std::string_view text = o.at("$id").get_string();
      if (!text.empty() && text.front() == '#' && is_valid_anchor(text.substr(1))) {
        anchors_.try_emplace(info.base + std::string(text),
                             AnchorTarget{Target{doc, pointer, &value}, false});
      }
    }
    const ScanInfo& here = d.scanned.emplace(pointer, std::move(info)).first->second;

    const std::size_t length = pointer.size();
    const auto visit = [&](std::string_view key, const json::value& child) {
      pointer.push_back('/');
      append_pointer_token(pointer, key);
      scan(doc, child, pointer, here, depth + 1, false);
      pointer.resize(length);
    };
    const auto visit_member = [&](std::string_view key, std::string_view member,
                                  const json::value& child) {
      pointer.push_back('/');
      append_pointer_token(pointer, key);
      pointer.push_back('/');
      append_pointer_token(pointer, member);
      scan(doc, child, pointer, here, depth + 1, false);
      pointer.resize(length);
    };
    for (const auto& m : o) {
      const std::string_view key = m.key();
      const json::value& v = m.value();
      if (key == "additionalProperties" || key == "propertyNames" || key == "items" ||
          key == "contains" || key == "not" || key == "if" || key == "then" || key == "else" ||
          key == "unevaluatedItems" || key == "unevaluatedProperties" || key == "contentSchema" ||
          key == "additionalItems") {
        if (v.is_array() && key == "items") {
          const json::array& a = v.get_array();
          for (std::size_t i = 0; i < a.size(); ++i) visit_member(key, std::to_string(i), a[i]);
        } else {
          visit(key, v);
        }
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf" || key == "prefixItems") {
        if (!v.is_array()) continue;
        const json::array& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i) visit_member(key, std::to_string(i), a[i]);
      } else if (key == "properties" || key == "patternProperties" || key == "$defs" ||
                 key == "definitions" || key == "dependentSchemas" || key == "dependencies") {
        if (!v.is_object()) continue;
        for (const auto& sub : v.get_object()) visit_member(key, sub.key(), sub.value());
      }
    }
  }

  // The vocabularies a "$schema" URI enables.
  std::uint32_t vocabularies(std::string_view schema_uri, std::size_t doc,
                             const std::string& pointer) {
    const std::string uri = split_fragment(schema_uri).first;
    if (uri == kDraft202012) return kAllVocabs;
    if (is_legacy_metaschema(uri)) return kAllVocabs | kLegacy;
    auto cached = vocab_cache_.find(uri);
    if (cached != vocab_cache_.end()) return cached->second;
    vocab_cache_[uri] = kAllVocabs;  // guards against meta-schemas that name themselves
    const json::value* meta = fetch(uri);
    std::uint32_t vocab = kAllVocabs;
    const json::value* list = meta != nullptr && meta->is_object()
                                  ? meta->get_object().if_contains("$vocabulary")
                                  : nullptr;
    if (list != nullptr) {
      if (!list->is_object())
        fail(doc, pointer, "meta-schema \"" + uri + "\" has a malformed $vocabulary");
      vocab = kVocabCore;
      const std::string prefix = "https://json-schema.org/draft/2020-12/vocab/";
      for (const auto& entry : list->get_object()) {
        const std::string_view name = entry.key();
        if (!entry.value().is_bool()) {
          fail(doc, pointer, "meta-schema \"" + uri + "\" has a malformed $vocabulary");
        }
        std::uint32_t bit = 0;
        if (name.rfind(prefix, 0) == 0) {
          const std::string_view v = name.substr(prefix.size());
          if (v == "core") bit = kVocabCore;
          if (v == "applicator") bit = kVocabApplicator;
          if (v == "unevaluated") bit = kVocabUnevaluated;
          if (v == "validation") bit = kVocabValidation;
          if (v == "meta-data" || v == "format-annotation" || v == "content") {
            bit = kVocabAnnotations;
          }
        }
        if (bit == 0 && entry.value().get_bool()) {
          fail(doc, pointer,
               "meta-schema \"" + uri + "\" requires the unsupported vocabulary \"" +
                   std::string(name) + "\"");
        }
        vocab |= bit;
      }
    }
    vocab_cache_[uri] = vocab;
    return vocab;
  }

  std::uint32_t intern(std::string_view name) {
    auto [it, inserted] =
        names_.try_emplace(std::string(name), static_cast<std::uint32_t>(names_.size() + 1));
    return it->second;
  }

  // ---- reference resolution ---------------------------------------------------------------

  // The resource with this URI (no fragment), loading its document if needed.
  const Target& find_resource(const std::string& uri, const std::string& where) {
    auto it = resources_.find(uri);
    if (it == resources_.end() && attempted_.insert(uri).second) {
      if (const json::value* doc = fetch(uri)) {
        add_document(doc, uri);
        it = resources_.find(uri);
      }
    }
    if (it == resources_.end()) {
      throw std::invalid_argument("invalid schema at \"" + where + "\": cannot resolve \"" + uri +
                                  "\" (unknown schema; no loader provides it)");
    }
    return it->second;
  }

  void resolve(const PendingRef& p) {
    auto [uri, raw_fragment] = split_fragment(p.uri);
    const std::string fragment = percent_decode(raw_fragment);
    const auto unresolvable = [&]() {
      throw std::invalid_argument("invalid schema at \"" + p.where + "\": cannot resolve \"" +
                                  p.uri + "\"");
    };
    Node* target = nullptr;
    if (fragment.empty() || fragment.front() == '/') {
      const Target root = find_resource(uri, p.where);
      const json::value* v = root.value;
      std::string pointer = root.pointer;
      std::size_t pos = 1;
      while (pos <= fragment.size() && !fragment.empty()) {
        const std::size_t next = std::min(fragment.find('/', pos), fragment.size());
        std::string token;
        for (std::size_t i = pos; i < next; ++i) {
          if (fragment[i] == '~' && i + 1 < next &&
              (fragment[i + 1] == '0' || fragment[i + 1] == '1')) {
            token.push_back(fragment[i + 1] == '0' ? '~' : '/');
            ++i;
          } else {
            token.push_back(fragment[i]);
          }
        }
        if (v->is_object()) {
          v = v->get_object().if_contains(token);
        } else if (v->is_array()) {
          const json::array& a = v->get_array();
          std::size_t index = 0;
          bool ok = !token.empty() && token.size() < 10 && (token == "0" || token[0] != '0');
          for (const char c : token) {
            ok = ok && c >= '0' && c <= '9';
            if (ok) index = index * 10 + static_cast<std::size_t>(c - '0');
          }
          v = ok && index < a.size() ? &a[index] : nullptr;
        } else {
          v = nullptr;
        }
        if (v == nullptr) unresolvable();
        pointer.push_back('/');
        append_pointer_token(pointer, token);
        pos = next + 1;
      }
      if (!v->is_object() && !v->is_bool()) {
        throw std::invalid_argument("invalid schema at \"" + p.where + "\": \"" + p.uri +
                                    "\" does not refer to a schema");
      }
      target = node_at(root.doc, pointer, *v, 0);
    } else {
      find_resource(uri, p.where);
      auto it = anchors_.find(uri + "#" + fragment);
      if (it == anchors_.end()) unresolvable();
      const Target t = it->second.target;
      if (p.dynamic && it->second.dynamic) {
        p.node->dynamic_ref_is_dynamic = true;
        p.node->dynamic_anchor = intern(fragment);
      }
      target = node_at(t.doc, t.pointer, *t.value, 0);
    }
    if (p.dynamic) {
      p.node->dynamic_ref = target;
    } else {
      p.node->ref = target;
    }
  }

  void drain() {
    while (!pending_refs_.empty() || !pending_anchors_.empty()) {
      if (!pending_refs_.empty()) {
        const PendingRef p = std::move(pending_refs_.front());
        pending_refs_.pop_front();
        resolve(p);
      } else {
        const PendingAnchor a = std::move(pending_anchors_.front());
        pending_anchors_.pop_front();
        const Node* node = node_at(a.target.doc, a.target.pointer, *a.target.value, 0);
        a.resource->dynamic_anchors.emplace_back(a.name, node);
      }
    }
  }

  // ---- nodes ------------------------------------------------------------------------------

  const ScanInfo& scan_info(std::size_t doc, const std::string& pointer, const json::value& v) {
    Document& d = docs_[doc];
    auto it = d.scanned.find(pointer);
    if (it != d.scanned.end()) return it->second;
    // A location the scan did not reach (under an unknown keyword): inherit from the nearest
    // scanned ancestor.
    std::string ancestor = pointer;
    do {
      const std::size_t slash = ancestor.rfind('/');
      ancestor.erase(slash == std::string::npos ? 0 : slash);
    } while (!ancestor.empty() && d.scanned.count(ancestor) == 0);
    const ScanInfo parent = d.scanned.at(ancestor);
    std::string p = pointer;
    scan(doc, v, p, parent, 0, false);
    return d.scanned.at(pointer);
  }

  Node* node_at(std::size_t doc, const std::string& pointer, const json::value& v, int depth) {
    {
      auto it = docs_[doc].nodes.find(pointer);
      if (it != docs_[doc].nodes.end()) return it->second;
    }
    if (depth > kMaxSchemaDepth) fail(doc, pointer, "schema nesting too deep");
    if (!v.is_object() && !v.is_bool())
      fail(doc, pointer, "a schema must be an object or a boolean");
    const ScanInfo& info = scan_info(doc, pointer, v);
    Node& n = impl_->nodes.emplace_back();
    n.index = static_cast<std::uint32_t>(impl_->nodes.size() - 1);
    n.resource = info.resource;
    node_locations_.push_back(location(doc, pointer));
    docs_[doc].nodes.emplace(pointer, &n);
    if (v.is_bool()) {
      n.kind = v.get_bool() ? Node::Kind::kTrue : Node::Kind::kFalse;
      return &n;
    }
    NodeBuilder{*this, n, doc, pointer, v.get_object(), info, depth}.build();
    return &n;
  }

  // Reads the keywords of one schema object into its node.
  struct NodeBuilder {
    Compiler& c;
    Node& n;
    std::size_t doc;
    const std::string& pointer;
    const json::object& o;
    const ScanInfo& info;
    int depth;

    [[noreturn]] void fail(std::string_view keyword, const std::string& why) const {
      std::string at = pointer + "/";
      append_pointer_token(at, keyword);
      c.fail(doc, at, why);
    }

    const Node* sub(std::string_view keyword, const json::value& v) const {
      std::string at = pointer + "/";
      append_pointer_token(at, keyword);
      if (!v.is_object() && !v.is_bool()) {
        c.fail(doc, at, "\"" + std::string(keyword) + "\" must be a schema (object or boolean)");
      }
      return c.node_at(doc, at, v, depth + 1);
    }
    const Node* sub(std::string_view keyword, std::string_view member, const json::value& v) const {
      std::string at = pointer + "/";
      append_pointer_token(at, keyword);
      at.push_back('/');
      append_pointer_token(at, member);
      if (!v.is_object() && !v.is_bool()) {
        c.fail(
            doc, at,
            "each entry of \"" + std::string(keyword) + "\" must be a schema (object or boolean)");
      }
      return c.node_at(doc, at, v, depth + 1);
    }

    std::vector<const Node*> schema_array(std::string_view keyword, const json::value& v) const {
      if (!v.is_array())
        fail(keyword, "\"" + std::string(keyword) + "\" must be an array of schemas");
      std::vector<const Node*> out;
      const json::array& a = v.get_array();
      for (std::size_t i = 0; i < a.size(); ++i)
        out.push_back(sub(keyword, std::to_string(i), a[i]));
      return out;
    }

    std::vector<NamedNode> schema_map(std::string_view keyword, const json::value& v) const {
      if (!v.is_object())
        fail(keyword, "\"" + std::string(keyword) + "\" must be an object of schemas");
      std::vector<NamedNode> out;
      for (const auto& m : v.get_object())
        out.push_back({m.key(), sub(keyword, m.key(), m.value())});
      return out;
    }

    std::uint64_t count(std::string_view keyword, const json::value& v) const {
      if (!v.is_number() || !is_integral(v) || (v.is_int64() && v.get_int64() < 0) ||
          (v.is_double() && v.get_double() < 0)) {
        fail(keyword, "\"" + std::string(keyword) + "\" must be a non-negative integer");
      }
      if (v.is_int64()) return static_cast<std::uint64_t>(v.get_int64());
      if (v.is_uint64()) return v.get_uint64();
      const double d = v.get_double();
      return d >= 18446744073709551615.0 ? std::numeric_limits<std::uint64_t>::max()
                                         : static_cast<std::uint64_t>(d);
    }

    const json::value* number(std::string_view keyword, const json::value& v) const {
      if (!v.is_number()) fail(keyword, "\"" + std::string(keyword) + "\" must be a number");
      return &v;
    }

    std::vector<std::string_view> strings(std::string_view keyword, const json::value& v) const {
      if (!v.is_array())
        fail(keyword, "\"" + std::string(keyword) + "\" must be an array of strings");
      std::vector<std::string_view> out;
      for (const json::value& s : v.get_array()) {
        if (!s.is_string())
          fail(keyword, "\"" + std::string(keyword) + "\" must be an array of strings");
        out.push_back(s.get_string());
      }
      return out;
    }

    Regex regex(std::string_view keyword, std::string_view source) const {
      auto it = c.regexes_.find(std::string(source));
      if (it != c.regexes_.end()) return it->second;
      try {
        Regex r = Regex::compile(source);
        c.regexes_.emplace(std::string(source), r);
        return r;
      } catch (const std::invalid_argument& e) {
        fail(keyword, e.what());
      }
    }

    void add_ref(std::string_view keyword, bool dynamic) {
      const json::value& r = o.at(keyword);
      if (!r.is_string()) fail(keyword, "\"" + std::string(keyword) + "\" must be a string");
      std::string where = c.location(doc, pointer) + "/";
      append_pointer_token(where, keyword);
      c.pending_refs_.push_back(
          PendingRef{&n, dynamic, resolve_uri(info.base, r.get_string()), std::move(where)});
    }

    void build() {
      const std::uint32_t vocab = info.vocab;
      if (o.contains("$ref")) add_ref("$ref", false);
      if (o.contains("$dynamicRef")) add_ref("$dynamicRef", true);
      if ((vocab & kVocabApplicator) != 0) applicators();
      if ((vocab & kVocabUnevaluated) != 0) {
        if (const json::value* v = o.if_contains("unevaluatedItems")) {
          n.unevaluated_items = sub("unevaluatedItems", *v);
          n.tracks_items = true;
        }
        if (const json::value* v = o.if_contains("unevaluatedProperties")) {
          n.unevaluated_properties = sub("unevaluatedProperties", *v);
          n.tracks_properties = true;
        }
      }
      if ((vocab & kVocabValidation) != 0) validation((vocab & kLegacy) != 0);
    }

    void applicators() {
      if (const json::value* v = o.if_contains("allOf")) n.all_of = schema_array("allOf", *v);
      if (const json::value* v = o.if_contains("anyOf")) n.any_of = schema_array("anyOf", *v);
      if (const json::value* v = o.if_contains("oneOf")) n.one_of = schema_array("oneOf", *v);
      if (const json::value* v = o.if_contains("not")) n.not_schema = sub("not", *v);
      if (const json::value* v = o.if_contains("if")) n.if_schema = sub("if", *v);
      if (const json::value* v = o.if_contains("then")) n.then_schema = sub("then", *v);
      if (const json::value* v = o.if_contains("else")) n.else_schema = sub("else", *v);
      if (const json::value* v = o.if_contains("properties")) {
        n.properties = schema_map("properties", *v);
        std::sort(n.properties.begin(), n.properties.end(),
                  [](const NamedNode& a, const NamedNode& b) { return a.name < b.name; });
      }
      if (const json::value* v = o.if_contains("patternProperties")) {
        if (!v->is_object())
          fail("patternProperties", "\"patternProperties\" must be an object of schemas");
        for (const auto& m : v->get_object()) {
          n.pattern_properties.push_back({regex("patternProperties", m.key()), m.key(),
                                          sub("patternProperties", m.key(), m.value())});
        }
      }
      if (const json::value* v = o.if_contains("additionalProperties")) {
        n.additional_properties = sub("additionalProperties", *v);
      }
      if (const json::value* v = o.if_contains("propertyNames")) {
        n.property_names = sub("propertyNames", *v);
      }
      if (const json::value* v = o.if_contains("dependentSchemas")) {
        n.dependent_schemas = schema_map("dependentSchemas", *v);
      }
      if (const json::value* v = o.if_contains("prefixItems")) {
        n.prefix_items = schema_array("prefixItems", *v);
      }
      if (const json::value* v = o.if_contains("items")) {
        if (v->is_array()) {
          // The draft-04..2019-09 tuple form; "additionalItems" then covers the rest.
          if (o.contains("prefixItems"))
            fail("items", "\"items\" must be a schema when \"prefixItems\" is present");
          n.prefix_items = schema_array("items", *v);
          n.prefix_items_keyword = "items";
          if (const json::value* rest = o.if_contains("additionalItems")) {
            n.items = sub("additionalItems", *rest);
            n.items_keyword = "additionalItems";
          }
        } else {
          n.items = sub("items", *v);
        }
      }
      if (const json::value* v = o.if_contains("contains")) n.contains = sub("contains", *v);
      // "dependencies" (draft-04..07) is still understood: it has no other meaning in 2020-12.
      if (const json::value* v = o.if_contains("dependencies"); v != nullptr && v->is_object()) {
        {
          for (const auto& m : v->get_object()) {
            if (m.value().is_array()) {
              n.dependent_required.push_back({m.key(), strings("dependencies", m.value()), true});
            } else {
              n.dependent_schemas.push_back(
                  {m.key(), sub("dependencies", m.key(), m.value()), true});
            }
          }
        }
      }
    }

    void validation(bool legacy) {
      if (const json::value* v = o.if_contains("type")) {
        const auto bit_for = [&](const json::value& t) -> std::uint8_t {
          if (t.is_string()) {
            const std::string_view s = t.get_string();
            if (s == "null") return kTypeNull;
            if (s == "boolean") return kTypeBoolean;
            if (s == "object") return kTypeObject;
            if (s == "array") return kTypeArray;
            if (s == "number") return kTypeNumber;
            if (s == "string") return kTypeString;
            if (s == "integer") return kTypeInteger;
          }
          fail("type",
               "\"type\" must be one of \"null\", \"boolean\", \"object\", \"array\", "
               "\"number\", \"string\", \"integer\" or an array of them");
        };
        if (v->is_array()) {
          for (const json::value& t : v->get_array()) n.types |= bit_for(t);
          if (n.types == 0) n.types = 0x80;  // "type": [] allows nothing
        } else {
          n.types = bit_for(*v);
        }
      }
      if (const json::value* v = o.if_contains("const")) n.const_value = v;
      if (const json::value* v = o.if_contains("enum")) {
        if (!v->is_array()) fail("enum", "\"enum\" must be an array");
        n.enum_values = &v->get_array();
      }
      if (const json::value* v = o.if_contains("multipleOf")) {
        n.multiple_of = number("multipleOf", *v);
        if (compare_numbers(*v, json::value(0)) <= 0)
          fail("multipleOf", "\"multipleOf\" must be greater than 0");
      }
      if (const json::value* v = o.if_contains("minimum")) n.minimum = number("minimum", *v);
      if (const json::value* v = o.if_contains("maximum")) n.maximum = number("maximum", *v);
      for (const std::string_view keyword : {"exclusiveMinimum", "exclusiveMaximum"}) {
        const json::value* v = o.if_contains(keyword);
        if (v == nullptr) continue;
        const bool is_min = keyword == "exclusiveMinimum";
        if (v->is_bool() && legacy) {  // draft-04: a flag on minimum/maximum
          if (v->get_bool()) {
            (is_min ? n.exclusive_minimum : n.exclusive_maximum) = is_min ? n.minimum : n.maximum;
            (is_min ? n.minimum : n.maximum) = nullptr;
          }
          continue;
        }
        (is_min ? n.exclusive_minimum : n.exclusive_maximum) = number(keyword, *v);
      }
      if (const json::value* v = o.if_contains("minLength")) n.min_length = count("minLength", *v);
      if (const json::value* v = o.if_contains("maxLength")) n.max_length = count("maxLength", *v);
      if (const json::value* v = o.if_contains("pattern")) {
        if (!v->is_string()) fail("pattern", "\"pattern\" must be a string");
        n.pattern = regex("pattern", v->get_string());
      }
      if (const json::value* v = o.if_contains("minItems")) n.min_items = count("minItems", *v);
      if (const json::value* v = o.if_contains("maxItems")) n.max_items = count("maxItems", *v);
      if (const json::value* v = o.if_contains("minContains"))
        n.min_contains = count("minContains", *v);
      if (const json::value* v = o.if_contains("maxContains"))
        n.max_contains = count("maxContains", *v);
      if (const json::value* v = o.if_contains("uniqueItems")) {
        if (!v->is_bool()) fail("uniqueItems", "\"uniqueItems\" must be a boolean");
        n.unique_items = v->get_bool();
      }
      if (const json::value* v = o.if_contains("minProperties")) {
        n.min_properties = count("minProperties", *v);
      }
      if (const json::value* v = o.if_contains("maxProperties")) {
        n.max_properties = count("maxProperties", *v);
      }
      if (const json::value* v = o.if_contains("required")) n.required = strings("required", *v);
      if (const json::value* v = o.if_contains("dependentRequired")) {
        if (!v->is_object())
          fail("dependentRequired", "\"dependentRequired\" must be an object of string arrays");
        for (const auto& m : v->get_object()) {
          n.dependent_required.push_back({m.key(), strings("dependentRequired", m.value())});
        }
      }
    }
  };

  // A chain of "$ref"s or in-place applicators that leads back to the same schema would recurse
  // forever on any instance that reaches it; reject such schemas up front.
  void check_for_ref_cycles() const {
    const std::size_t count = impl_->nodes.size();
    std::vector<std::uint8_t> state(count, 0);  // 0 = unvisited, 1 = on the path, 2 = done
    const auto edges = [](const Node& n) {
      std::vector<const Node*> out;
      if (n.ref != nullptr) out.push_back(n.ref);
      if (n.dynamic_ref != nullptr && !n.dynamic_ref_is_dynamic) out.push_back(n.dynamic_ref);
      for (const auto* list : {&n.all_of, &n.any_of, &n.one_of}) {
        out.insert(out.end(), list->begin(), list->end());
      }
      if (n.not_schema != nullptr) out.push_back(n.not_schema);
      if (n.if_schema != nullptr) out.push_back(n.if_schema);
      return out;
    };
    struct Step {
      const Node* node;
      std::vector<const Node*> next;
      std::size_t at;
    };
    for (const Node& start : impl_->nodes) {
      if (state[start.index] != 0) continue;
      std::vector<Step> stack;
      stack.push_back({&start, edges(start), 0});
      state[start.index] = 1;
      while (!stack.empty()) {
        Step& top = stack.back();
        if (top.at == top.next.size()) {
          state[top.node->index] = 2;
          stack.pop_back();
          continue;
        }
        const Node* next = top.next[top.at++];
        if (state[next->index] == 1) {
          throw std::invalid_argument("invalid schema at \"" + node_locations_[next->index] +
                                      "\": infinite $ref loop (the schema refers back to itself "
                                      "without descending into the instance)");
        }
        if (state[next->index] == 0) {
          state[next->index] = 1;
          stack.push_back({next, edges(*next), 0});
        }
      }
    }
  }

  const SchemaLoader& loader_;
  std::shared_ptr<ValidatorImpl> impl_;
  std::deque<Document> docs_;
  std::unordered_map<std::string, Target> resources_;
  std::unordered_map<std::string, AnchorTarget> anchors_;
  std::unordered_map<std::string, const json::value*> fetched_;
  std::unordered_set<std::string> attempted_;
  std::unordered_map<std::string, std::uint32_t> vocab_cache_;
  std::unordered_map<std::string, std::uint32_t> names_;
  std::unordered_map<std::string, Regex> regexes_;
  std::deque<PendingRef> pending_refs_;
  std::deque<PendingAnchor> pending_anchors_;
  std::vector<std::string> node_locations_;
};

}  // namespace

std::shared_ptr<const ValidatorImpl> compile_schema(const json::value& schema,
                                                    const SchemaLoader& loader) {
  return Compiler(loader).run(schema);
}

}  // namespace mcpp::schema::detail
