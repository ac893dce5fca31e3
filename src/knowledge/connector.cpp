// The knowledge connector's tools, resource template and prompt over the store, each tool call
// rate limited (stdio) and audited.
#include "knowledge/connector.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <random>

namespace mcpp::knowledge {

namespace {

json::object parse_object(std::string_view text) {
  return json::parse(text).as_object();
}

const json::object& search_input() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"query": {"type": "string",
      "description": "Keywords to look for (stemmed: 'indexing' also finds 'index'); \"quoted phrases\" and prefix* work"}},
    "required": ["query"]})json");
  return s;
}

const json::object& search_output() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"results": {"type": "array", "items": {
      "type": "object",
      "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                     "url": {"type": "string"}, "snippet": {"type": "string"}},
      "required": ["id", "title", "url"]}}},
    "required": ["results"]})json");
  return s;
}

const json::object& fetch_input() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"id": {"type": "string", "description": "A document id from search"}},
    "required": ["id"]})json");
  return s;
}

const json::object& fetch_output() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                   "text": {"type": "string"}, "url": {"type": "string"},
                   "metadata": {"type": "object"}},
    "required": ["id", "title", "text", "url", "metadata"]})json");
  return s;
}

const json::object& add_input() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {
      "title": {"type": "string", "minLength": 1},
      "text": {"type": "string", "minLength": 1},
      "url": {"type": "string", "description": "Where the document lives (default mcpp://doc/ID)"},
      "id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$",
             "description": "The id to give it (default: a new random one)"},
      "metadata": {
  "type" : "object"
}
}
, "required" : [ "title", "text" ]
})json");
  return s;
}

const json::object& update_input() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "title": {"type": "string", "minLength": 1},
      "text": {"type": "string", "minLength": 1},
      "url": {"type": "string"},
      "metadata": {"type": "object"}},
    "required": ["id"]})json");
  return s;
}

const json::object& written_output() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                   "url": {"type": "string"}},
    "required": ["id", "title", "url"]})json");
  return s;
}

const json::object& delete_output() {
  static const json::object s = parse_object(R"json({
    "type": "object",
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["id", "deleted"]})json");
  return s;
}

// One tool's listing, assigned member by member (GCC 12 at -O3 takes the strings of nested
// designated initialisers in a call's temporary for uninitialised).
Tool tool_spec(std::string name, std::string title, std::string description,
               const json::object& input, const json::object& output, bool read_only,
               bool destructive, std::optional<bool> idempotent, ToolAccess access) {
  Tool t;
  t.name = std::move(name);
  t.title = title;
  t.description = std::move(description);
  t.input_schema = input;
  t.output_schema = output;
  t.annotations.title = std::move(title);
  t.annotations.read_only_hint = read_only;
  t.annotations.destructive_hint = destructive;
  t.annotations.idempotent_hint = idempotent;
  t.annotations.open_world_hint = false;
  t.access = std::move(access);
  return t;
}

ToolResult structured(json::object value) {
  ToolResult r;
  r.content.push_back(text_content(json::serialize(value)));
  r.structured_content = std::move(value);
  return r;
}

std::string string_arg(const json::object& args, std::string_view name) {
  const json::value* v = args.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string new_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id = "n";
  for (int i = 0; i < 15; ++i) id += kAlphabet[rng() % 36];
  return id;
}

std::string first_text(const ToolResult& r) {
  for (const auto& c : r.content) {
    if (c.is_object()) {
      if (const auto* t = c.get_object().if_contains("text"); t && t->is_string()) {
        return std::string(t->get_string());
      }
    }
  }
  return {};
}

// A tool's work, done at once (the store's calls do not suspend).
using ToolWork = std::function<ToolResult(const json::object& args)>;

// What the client is told when the store fails: the details (file paths, SQLite's message) go
// to the server's log, not to the client.
ToolResult store_failure(const std::string& tool) {
  return ToolResult::error(tool +
                           ": the library could not complete the call (a server-side error; "
                           "the server's log has the details)");
}

// Wraps a tool's work: the stdio rate limit, then the work and one audit row. A write tool's
// work and its row are one transaction: when the row cannot be written, the write is rolled
// back and the call fails. A read tool whose row cannot be written fails too (its result is not
// sent): no call goes unrecorded.
ToolHandler audited(std::string tool, bool writes, ToolWork work,
                    std::shared_ptr<KnowledgeStore> store, std::shared_ptr<AuditLog> audit,
                    const ConnectorOptions& options) {
  return [tool = std::move(tool), writes, work = std::move(work), store = std::move(store),
          audit = std::move(audit), limiter = options.call_limiter,
          anonymous = options.caller_without_token](const json::object& args,
                                                    Context& ctx) -> Task<ToolResult> {
    auto started = std::chrono::steady_clock::now();
    AuditEntry e;
    const AuthInfo* who = ctx.auth();
    e.subject = who ? who->subject : anonymous;
    e.client_id = who ? who->client_id : std::string();
    e.tool = tool;
    e.arguments_sha256 = sha256_hex(canonical_json(args));
    auto entry = [&](std::string outcome, std::string detail) {
      e.outcome = std::move(outcome);
      e.detail = std::move(detail);
      e.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      return e;
    };
    auto log_failure = [&](const char* what, const std::exception& ex) {
      std::cerr << "mcpp: " << tool << ": " << what << ": " << ex.what() << "\n";
    };
    if (limiter) {
      if (auto wait = limiter->take("stdio")) {
        std::int64_t s = retry_after_seconds(*wait);
        try {
          audit->append(entry("rate_limited", "retry after " + std::to_string(s) + " s"));
        } catch (const std::exception& ex) {
          log_failure("cannot write the audit log", ex);
        }
        json::value err = rate_limited_error(nullptr, s);
        const auto& o = err.at("error").as_object();
        throw RpcError(kRateLimited, std::string(o.at("message").as_string()), o.at("data"));
      }
    }
    ToolResult result;
    try {
      std::optional<Transaction> tx;
      if (writes) tx.emplace(store->database());
      result = work(args);
      AuditEntry row = result.is_error ? entry("error", first_text(result)) : entry("ok", {});
      if (tx) {
        audit->append(std::move(row), *tx);
        tx->commit();
      } else {
        audit->append(std::move(row));
      }
      co_return result;
    } catch (const std::exception& ex) {
      log_failure("failed", ex);
    }
    // The work or its audit row failed (and a write was rolled back): record the failure if
    // the log takes it, and fail the call.
    try {
      audit->append(entry("failed", "server-side error (see the server's log)"));
    } catch (const std::exception& ex) {
      log_failure("cannot write the audit log", ex);
    }
    co_return store_failure(tool);
  };
}

// Document URLs given to the write tools: web addresses only (no javascript:, data:, file:...).
bool acceptable_url(std::string_view url) {
  std::string lower;
  for (char c : url.substr(0, 8))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t rest = lower.starts_with("https://") ? 8 : lower.starts_with("http://") ? 7 : 0;
  if (rest == 0 || url.size() <= rest || url[rest] == '/') return false;  // no host
  return std::none_of(url.begin(), url.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

ToolResult bad_url(const std::string& tool) {
  return ToolResult::error(tool +
                           ": the url must be an http:// or https:// address with a host, "
                           "without spaces or control characters (or leave it out)");
}

// The ids document_id_for_path gives indexed files (16 lowercase hex digits): not for the tools.
bool is_indexed_file_id(std::string_view id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string document_uri(const std::string& id) {
  return "mcpp://doc/" + id;
}

json::object fetch_result(const Document& doc) {
  return {{"id", doc.id},
          {"title", doc.title},
          {"text", doc.text},
          {"url", doc.url},
          {"metadata", doc.metadata}};
}

std::string knowledge_instructions() {
  return "A searchable library of documents. Use `search` with a few keywords to find "
         "documents (results give id, title, url and a snippet with the matched terms in "
         "**bold**), then `fetch` an id to read the whole text. Cite what you use with the "
         "document's title and url. add_document, update_document and delete_document change "
         "the library.";
}

void add_knowledge_connector(Server& server, std::shared_ptr<KnowledgeStore> store,
                             std::shared_ptr<AuditLog> audit, ConnectorOptions options) {
  ToolAccess read_access = options.public_reads ? ToolAccess::public_access() : ToolAccess{};
  ToolAccess write_access =
      options.auth_enabled ? ToolAccess::token(options.write_scopes) : ToolAccess{};
  const std::size_t max_results = options.max_results;
  const std::size_t max_text = options.max_text_bytes;

  // ---- search ----
  server.add_tool(
      tool_spec("search", "Search documents",
                "Full-text search (bm25, stemmed) over the library. Returns up to " +
                    std::to_string(max_results) +
                    " results, best first, each with id, title, url and a snippet; pass an "
                    "id to fetch to read the document.",
                search_input(), search_output(), true, false, std::nullopt, read_access),
      audited(
          "search", false,
          [store, max_results](const json::object& args) -> ToolResult {
            std::string query = string_arg(args, "query");
            std::vector<SearchHit> hits;
            try {
              hits = store->search(query, max_results);
            } catch (const QueryError& e) {
              return ToolResult::error(std::string("search: ") + e.what());
            }
            json::array results;
            for (auto& h : hits) {
              results.push_back(json::object{{"id", std::move(h.id)},
                                             {"title", std::move(h.title)},
                                             {"url", std::move(h.url)},
                                             {"snippet", std::move(h.snippet)}});
            }
            return structured({{"results", std::move(results)}});
          },
          store, audit, options));

  // ---- fetch ----
  server.add_tool(
      tool_spec("fetch", "Fetch a document",
                "The whole text of a document found by search, with its title, url and "
                "metadata.",
                fetch_input(), fetch_output(), true, false, std::nullopt, read_access),
      audited(
          "fetch", false,
          [store](const json::object& args) -> ToolResult {
            std::string id = string_arg(args, "id");
            if (id.empty())
              return ToolResult::error("fetch: the id is empty: pass an id from search");
            auto doc = store->get(id);
            if (!doc) {
              return ToolResult::error("fetch: no document with id \"" + id +
                                       "\" (it may have been deleted; search again)");
            }
            return structured(fetch_result(*doc));
          },
          store, audit, options));

  // ---- add_document ----
  server.add_tool(tool_spec("add_document", "Add a document",
                            "Adds a document (title and text, optionally url, id and metadata) to "
                            "the library; it is searchable at once.",
                            add_input(), written_output(), false, false, false, write_access),
                  audited(
                      "add_document", true,
                      [store, max_text](const json::object& args) -> ToolResult {
                        Document d;
                        d.id = string_arg(args, "id");
                        if (d.id.empty()) d.id = new_id();
                        d.title = string_arg(args, "title");
                        d.text = string_arg(args, "text");
                        if (d.text.size() > max_text) {
                          return ToolResult::error("add_document: the text is larger than " +
                                                   std::to_string(max_text) + " bytes");
                        }
                        if (is_indexed_file_id(d.id)) {
                          return ToolResult::error(
                              "add_document: ids of 16 hexadecimal digits are those of indexed "
                              "files and cannot be given: choose another id or leave it out");
                        }
                        if (store->exists(d.id)) {
                          return ToolResult::error("add_document: a document with id \"" + d.id +
                                                   "\" exists; use update_document to change it");
                        }
                        d.url = string_arg(args, "url");
                        if (!d.url.empty() && !acceptable_url(d.url))
                          return bad_url("add_document");
                        if (d.url.empty()) d.url = document_uri(d.id);
                        if (const auto* m = args.if_contains("metadata"); m && m->is_object()) {
                          d.metadata = m->get_object();
                        }
                        d.metadata["source"] = "add_document";
                        d.content_hash = sha256_hex(d.text);
                        store->put(d);
                        return structured({{"id", d.id}, {"title", d.title}, {"url", d.url}});
                      },
                      store, audit, options));

  // ---- update_document ----
  server.add_tool(
      tool_spec("update_document", "Update a document",
                "Replaces the title, text, url or metadata of a document (the fields "
                "given; the others stay).",
                update_input(), written_output(), false, true, true, write_access),
      audited(
          "update_document", true,
          [store, max_text](const json::object& args) -> ToolResult {
            std::string id = string_arg(args, "id");
            auto doc = store->get(id);
            if (!doc) {
              return ToolResult::error("update_document: no document with id \"" + id + "\"");
            }
            if (doc->path) {
              return ToolResult::error("update_document: document \"" + id +
                                       "\" is an indexed file and cannot be changed through "
                                       "this tool: change the file and index it again");
            }
            if (args.contains("url") && !acceptable_url(string_arg(args, "url"))) {
              return bad_url("update_document");
            }
            if (args.contains("title")) doc->title = string_arg(args, "title");
            if (args.contains("text")) doc->text = string_arg(args, "text");
            if (doc->text.size() > max_text) {
              return ToolResult::error("update_document: the text is larger than " +
                                       std::to_string(max_text) + " bytes");
            }
            if (args.contains("url")) doc->url = string_arg(args, "url");
            if (const auto* m = args.if_contains("metadata"); m && m->is_object()) {
              doc->metadata = m->get_object();
              doc->metadata["source"] = "add_document";
            }
            doc->content_hash = sha256_hex(doc->text);
            doc->indexed_at = 0;
            store->put(*doc);
            return structured({{"id", doc->id}, {"title", doc->title}, {"url", doc->url}});
          },
          store, audit, options));

  // ---- delete_document ----
  server.add_tool(
      tool_spec("delete_document", "Delete a document",
                "Removes a document from the library (an indexed file comes back when "
                "it changes and is indexed again).",
                fetch_input(), delete_output(), false, true, true, write_access),
      audited(
          "delete_document", true,
          [store](const json::object& args) -> ToolResult {
            std::string id = string_arg(args, "id");
            if (!store->remove(id)) {
              return ToolResult::error("delete_document: no document with id \"" + id + "\"");
            }
            return structured({{"id", id}, {"deleted", true}});
          },
          store, audit, options));

  // ---- mcpp://doc/{id} ----
  server.add_resource_template(
      {.uri_template = "mcpp://doc/{id}",
       .name = "document",
       .title = "A document of the library",
       .description = "The text of a document, by the id search returns.",
       .completers = {{"id",
                       [store](std::string_view partial, const Variables&) {
                         return store->ids_with_prefix(partial, 100);
                       }}}},
      [store](const std::string& uri, const Variables& v,
              Context&) -> Task<std::vector<json::object>> {
        auto it = v.find("id");
        std::optional<Document> doc;
        try {
          if (it != v.end()) doc = store->get(it->second);
        } catch (const StoreError& e) {
          // The details name server paths: for the log, not the client.
          std::cerr << "mcpp: resources/read " << uri << ": " << e.what() << "\n";
          throw RpcError(jsonrpc::kInternalError,
                         "The library could not read the document (a server-side error; the "
                         "server's log has the details)");
        }
        if (!doc) {
          throw RpcError(kResourceNotFound, "Resource not found: no document " + uri,
                         json::object{{"uri", uri}});
        }
        co_return std::vector{text_contents(uri, doc->mime_type, doc->text)};
      });

  // ---- the prompt ----
  server.add_prompt(
      {.name = "research",
       .title = "Research with citations",
       .description = "How to answer a question from the library, citing sources.",
       .arguments = {{.name = "question", .description = "What to find out", .required = true}}},
      [](const Variables& a, Context&) -> Task<PromptResult> {
        auto it = a.find("question");
        std::string question = it == a.end() ? std::string() : it->second;
        PromptResult r;
        r.description = "Research a question in the library and cite the documents used";
        r.add("user",
              text_content(
                  "Answer the question below from the document library, not from memory.\n"
                  "1. Call `search` with a few distinctive keywords (not the whole question); "
                  "try synonyms and narrower terms if the first results miss.\n"
                  "2. Read the snippets, then `fetch` the documents that look relevant (by id) "
                  "to read their full text.\n"
                  "3. Answer only with what the documents say. After each claim cite its source "
                  "as [title](url). If the library does not answer the question, say so.\n\n"
                  "Question: " +
                  question));
        co_return r;
      });
}

}  // namespace mcpp::knowledge
