// The knowledge connector's tools, resource template and prompt over the store, each tool call
// rate limited (stdio) and audited.
#include "knowledge/connector.hpp"

#include <chrono>
#include <iostream>
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

// Wraps a handler: the stdio rate limit, then the call, then one audit row whatever happened.
ToolHandler audited(std::string tool, ToolHandler inner, std::shared_ptr<AuditLog> audit,
                    const ConnectorOptions& options) {
  return [tool = std::move(tool), inner = std::move(inner), audit = std::move(audit),
          limiter = options.call_limiter, anonymous = options.caller_without_token](
             const json::object& args, Context& ctx) -> Task<ToolResult> {
    auto started = std::chrono::steady_clock::now();
    AuditEntry e;
    const AuthInfo* who = ctx.auth();
    e.subject = who ? who->subject : anonymous;
    e.client_id = who ? who->client_id : std::string();
    e.tool = tool;
    e.arguments_sha256 = sha256_hex(canonical_json(args));
    auto record = [&](std::string outcome, std::string detail) {
      e.outcome = std::move(outcome);
      e.detail = std::move(detail);
      e.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      try {
        audit->append(e);
      } catch (const std::exception& ex) {
        std::cerr << "mcpp: cannot write the audit log: " << ex.what() << "\n";
      }
    };
    if (limiter) {
      if (auto wait = limiter->take("stdio")) {
        std::int64_t s = retry_after_seconds(*wait);
        record("rate_limited", "retry after " + std::to_string(s) + " s");
        json::value err = rate_limited_error(nullptr, s);
        const auto& o = err.at("error").as_object();
        throw RpcError(kRateLimited, std::string(o.at("message").as_string()), o.at("data"));
      }
    }
    std::exception_ptr failure;
    ToolResult result;
    try {
      result = co_await inner(args, ctx);
    } catch (const RpcError& ex) {
      record("failed", ex.what());
      throw;
    } catch (const std::exception& ex) {
      failure = std::current_exception();
      record("failed", ex.what());
    }
    if (failure) std::rethrow_exception(failure);
    if (result.is_error) {
      record("error", first_text(result));
    } else {
      record("ok", {});
    }
    co_return result;
  };
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
          "search",
          [store, max_results](const json::object& args, Context&) -> Task<ToolResult> {
            std::string query = string_arg(args, "query");
            std::vector<SearchHit> hits;
            try {
              hits = store->search(query, max_results);
            } catch (const QueryError& e) {
              co_return ToolResult::error(std::string("search: ") + e.what());
            }
            json::array results;
            for (auto& h : hits) {
              results.push_back(json::object{{"id", std::move(h.id)},
                                             {"title", std::move(h.title)},
                                             {"url", std::move(h.url)},
                                             {"snippet", std::move(h.snippet)}});
            }
            co_return structured({{"results", std::move(results)}});
          },
          audit, options));

  // ---- fetch ----
  server.add_tool(
      tool_spec("fetch", "Fetch a document",
                "The whole text of a document found by search, with its title, url and "
                "metadata.",
                fetch_input(), fetch_output(), true, false, std::nullopt, read_access),
      audited(
          "fetch",
          [store](const json::object& args, Context&) -> Task<ToolResult> {
            std::string id = string_arg(args, "id");
            if (id.empty())
              co_return ToolResult::error("fetch: the id is empty: pass an id from search");
            auto doc = store->get(id);
            if (!doc) {
              co_return ToolResult::error("fetch: no document with id \"" + id +
                                          "\" (it may have been deleted; search again)");
            }
            co_return structured(fetch_result(*doc));
          },
          audit, options));

  // ---- add_document ----
  server.add_tool(
      tool_spec("add_document", "Add a document",
                "Adds a document (title and text, optionally url, id and metadata) to "
                "the library; it is searchable at once.",
                add_input(), written_output(), false, false, false, write_access),
      audited(
          "add_document",
          [store, max_text](const json::object& args, Context&) -> Task<ToolResult> {
            Document d;
            d.id = string_arg(args, "id");
            if (d.id.empty()) d.id = new_id();
            d.title = string_arg(args, "title");
            d.text = string_arg(args, "text");
            if (d.text.size() > max_text) {
              co_return ToolResult::error("add_document: the text is larger than " +
                                          std::to_string(max_text) + " bytes");
            }
            if (store->exists(d.id)) {
              co_return ToolResult::error("add_document: a document with id \"" + d.id +
                                          "\" exists; use update_document to change it");
            }
            d.url = string_arg(args, "url");
            if (d.url.empty()) d.url = document_uri(d.id);
            if (const auto* m = args.if_contains("metadata"); m && m->is_object()) {
              d.metadata = m->get_object();
            }
            d.metadata["source"] = "add_document";
            d.content_hash = sha256_hex(d.text);
            store->put(d);
            co_return structured({{"id", d.id}, {"title", d.title}, {"url", d.url}});
          },
          audit, options));

  // ---- update_document ----
  server.add_tool(
      tool_spec("update_document", "Update a document",
                "Replaces the title, text, url or metadata of a document (the fields "
                "given; the others stay).",
                update_input(), written_output(), false, true, true, write_access),
      audited(
          "update_document",
          [store, max_text](const json::object& args, Context&) -> Task<ToolResult> {
            std::string id = string_arg(args, "id");
            auto doc = store->get(id);
            if (!doc) {
              co_return ToolResult::error("update_document: no document with id \"" + id + "\"");
            }
            if (args.contains("title")) doc->title = string_arg(args, "title");
            if (args.contains("text")) doc->text = string_arg(args, "text");
            if (doc->text.size() > max_text) {
              co_return ToolResult::error("update_document: the text is larger than " +
                                          std::to_string(max_text) + " bytes");
            }
            if (args.contains("url")) doc->url = string_arg(args, "url");
            if (const auto* m = args.if_contains("metadata"); m && m->is_object()) {
              doc->metadata = m->get_object();
              doc->metadata["source"] = doc->path ? "file" : "add_document";
            }
            doc->content_hash = sha256_hex(doc->text);
            doc->indexed_at = 0;
            store->put(*doc);
            co_return structured({{"id", doc->id}, {"title", doc->title}, {"url", doc->url}});
          },
          audit, options));

  // ---- delete_document ----
  server.add_tool(
      tool_spec("delete_document", "Delete a document",
                "Removes a document from the library (an indexed file comes back when "
                "it changes and is indexed again).",
                fetch_input(), delete_output(), false, true, true, write_access),
      audited(
          "delete_document",
          [store](const json::object& args, Context&) -> Task<ToolResult> {
            std::string id = string_arg(args, "id");
            if (!store->remove(id)) {
              co_return ToolResult::error("delete_document: no document with id \"" + id + "\"");
            }
            co_return structured({{"id", id}, {"deleted", true}});
          },
          audit, options));

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
        if (it != v.end()) doc = store->get(it->second);
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
