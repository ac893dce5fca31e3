// The methods both eras share: lists with opaque cursors, tools/call with argument and output
// validation, resources/read through resources and templates, prompts/get, completion.
#include "server/methods.hpp"

#include "protocol/versions.hpp"
#include "server/tasks.hpp"

namespace mcpp::methods {

using jsonrpc::RpcError;

std::string require_string(const json::object& params, std::string_view key,
                           std::string_view method) {
  const json::value* v = find(params, key);
  if (!v || !v->is_string()) {
    throw RpcError(jsonrpc::kInvalidParams, "Invalid params: " + std::string(method) +
                                                " needs a string \"" + std::string(key) + "\"");
  }
  return std::string(v->get_string());
}

namespace {

// Opaque pagination cursors: base64 of "mcpp:<offset>".
std::string make_cursor(std::size_t offset) {
  return base64_encode("mcpp:" + std::to_string(offset));
}

std::size_t parse_cursor(const json::object& params) {
  const json::value* c = find(params, "cursor");
  if (!c || c->is_null()) return 0;
  auto bad = [] {
    return RpcError(jsonrpc::kInvalidParams,
                    "Invalid params: unknown cursor (pass back a nextCursor exactly as received)");
  };
  if (!c->is_string()) throw bad();
  auto text = base64_decode(c->get_string());
  if (!text || text->rfind("mcpp:", 0) != 0 || text->size() > 25) throw bad();
  std::size_t offset = 0;
  for (char ch : text->substr(5)) {
    if (ch < '0' || ch > '9') throw bad();
    offset = offset * 10 + static_cast<std::size_t>(ch - '0');
  }
  return offset;
}

template <class Items, class ToJson>
json::object paginate(const Items& items, const json::object& params, std::size_t page_size,
                      std::string_view key, ToJson&& to_json) {
  std::size_t offset = parse_cursor(params);
  if (offset > items.size()) {
    throw RpcError(jsonrpc::kInvalidParams, "Invalid params: cursor is past the end of the list");
  }
  if (page_size == 0) page_size = items.size();
  std::size_t end = std::min(items.size(), offset + page_size);
  json::array out;
  out.reserve(end - offset);
  for (std::size_t i = offset; i < end; ++i) out.push_back(to_json(*items[i].second));
  json::object result;
  result[key] = std::move(out);
  if (end < items.size()) result["nextCursor"] = make_cursor(end);
  return result;
}

json::array icons_json(const std::vector<Icon>& icons) {
  json::array a;
  for (const auto& i : icons) a.push_back(i.to_json());
  return a;
}

void put_common(json::object& o, std::string_view version, const std::string& title,
                const std::string& description, const std::vector<Icon>& icons) {
  if (!title.empty() && protocol::has_titles(version)) o["title"] = title;
  if (!description.empty()) o["description"] = description;
  if (!icons.empty() && protocol::has_icons(version)) o["icons"] = icons_json(icons);
}

}  // namespace

json::object capabilities(std::string_view version) {
  json::object caps{
      {"tools", {{"listChanged", true}}},
      {"resources", {{"subscribe", true}, {"listChanged", true}}},
      {"prompts", {{"listChanged", true}}},
      {"logging", json::object{}},
  };
  if (version >= protocol::k2025_03_26) caps["completions"] = json::object{};
  if (version >= protocol::k2026_07_28) {
    caps["extensions"] = json::object{{kTasksExtension, json::object{}}};
  }
  return caps;
}

json::object server_info(const ServerOptions& o, std::string_view version) {
  json::object info{{"name", o.info.name}, {"version", o.info.version}};
  if (protocol::has_titles(version) && !o.info.title.empty()) info["title"] = o.info.title;
  if (protocol::has_icons(version)) {
    if (!o.info.description.empty()) info["description"] = o.info.description;
    if (!o.info.website_url.empty()) info["websiteUrl"] = o.info.website_url;
    if (!o.info.icons.empty()) info["icons"] = icons_json(o.info.icons);
  }
  return info;
}

// ---- lists ------------------------------------------------------------------------------------

namespace {
// A tool's access as OpenAI's per-tool "securitySchemes" (empty: the server's default).
json::array security_schemes(const ToolAccess& access) {
  using Mode = ToolAccess::Mode;
  json::array out;
  auto oauth = [&] {
    json::array scopes;
    for (const auto& s : access.scopes) scopes.push_back(json::value(s));
    out.push_back(json::object{{"type", "oauth2"}, {"scopes", std::move(scopes)}});
  };
  switch (access.mode) {
    case Mode::kServerDefault:
      break;
    case Mode::kPublic:
      out.push_back(json::object{{"type", "noauth"}});
      break;
    case Mode::kOptional:
      out.push_back(json::object{{"type", "noauth"}});
      oauth();
      break;
    case Mode::kToken:
      oauth();
      break;
  }
  return out;
}
}  // namespace

json::object list_tools(const Server::Impl& server, std::string_view version,
                        const json::object& params) {
  std::shared_lock lock(server.mu);
  return paginate(server.tools.items(), params, server.options.page_size, "tools",
                  [&](const ToolEntry& e) {
                    const Tool& t = e.tool;
                    json::object o{{"name", t.name}};
                    put_common(o, version, t.title, t.description, t.icons);
                    o["inputSchema"] = t.input_schema;
                    if (t.output_schema && protocol::has_structured_content(version)) {
                      o["outputSchema"] = *t.output_schema;
                    }
                    const ToolAnnotations& a = t.annotations;
                    json::object ann;
                    if (!a.title.empty()) ann["title"] = a.title;
                    if (a.read_only_hint) ann["readOnlyHint"] = *a.read_only_hint;
                    if (a.destructive_hint) ann["destructiveHint"] = *a.destructive_hint;
                    if (a.idempotent_hint) ann["idempotentHint"] = *a.idempotent_hint;
                    if (a.open_world_hint) ann["openWorldHint"] = *a.open_world_hint;
                    if (!ann.empty() && protocol::has_annotations_on_tools(version)) {
                      o["annotations"] = std::move(ann);
                    }
                    json::array schemes = security_schemes(t.access);
                    if (!t.meta.empty() || !schemes.empty()) {
                      json::object meta = t.meta;
                      // ChatGPT reads per-tool authentication from both places.
                      if (!schemes.empty()) meta["securitySchemes"] = schemes;
                      o["_meta"] = std::move(meta);
                    }
                    if (!schemes.empty()) o["securitySchemes"] = std::move(schemes);
                    return o;
                  });
}

json::object list_resources(const Server::Impl& server, std::string_view version,
                            const json::object& params) {
  std::shared_lock lock(server.mu);
  return paginate(server.resources.items(), params, server.options.page_size, "resources",
                  [&](const ResourceEntry& e) {
                    const Resource& r = e.resource;
                    json::object o{{"uri", r.uri}, {"name", r.name}};
                    put_common(o, version, r.title, r.description, r.icons);
                    if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
                    if (r.size) o["size"] = *r.size;
                    if (!r.annotations.empty()) o["annotations"] = r.annotations.to_json();
                    return o;
                  });
}

json::object list_templates(const Server::Impl& server, std::string_view version,
                            const json::object& params) {
  std::shared_lock lock(server.mu);
  return paginate(server.templates.items(), params, server.options.page_size, "resourceTemplates",
                  [&](const TemplateEntry& e) {
                    const ResourceTemplate& t = e.tmpl;
                    json::object o{{"uriTemplate", t.uri_template}, {"name", t.name}};
                    put_common(o, version, t.title, t.description, t.icons);
                    if (!t.mime_type.empty()) o["mimeType"] = t.mime_type;
                    if (!t.annotations.empty()) o["annotations"] = t.annotations.to_json();
                    return o;
                  });
}

json::object list_prompts(const Server::Impl& server, std::string_view version,
                          const json::object& params) {
  std::shared_lock lock(server.mu);
  return paginate(server.prompts.items(), params, server.options.page_size, "prompts",
                  [&](const PromptEntry& e) {
                    const Prompt& p = e.prompt;
                    json::object o{{"name", p.name}};
                    put_common(o, version, p.title, p.description, p.icons);
                    if (!p.arguments.empty()) {
                      json::array args;
                      for (const auto& a : p.arguments) {
                        json::object ao{{"name", a.name}};
                        put_common(ao, version, a.title, a.description, {});
                        if (a.required) ao["required"] = true;
                        args.push_back(std::move(ao));
                      }
                      o["arguments"] = std::move(args);
                    }
                    return o;
                  });
}

// ---- calls ----------------------------------------------------------------------------------

Task<json::object> call_tool(const Server::Impl& server, const json::object& params, Context& ctx) {
  std::string name = require_string(params, "name", "tools/call");
  std::shared_ptr<const ToolEntry> entry;
  {
    std::shared_lock lock(server.mu);
    entry = server.tools.get(name);
  }
  if (!entry) throw RpcError(jsonrpc::kInvalidParams, "Unknown tool: \"" + name + "\"");
  static const json::object kNoArguments;
  const json::object* argp = &kNoArguments;
  if (const json::value* a = find(params, "arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"arguments\" must be an object");
    }
    argp = &a->get_object();
  }
  const json::object& args = *argp;
  ToolResult result;
  std::vector<schema::ValidationError> errors;
  if (!entry->input.validate(args, &errors)) {
    std::string msg = "Invalid arguments for tool \"" + name + "\":";
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
      msg += (i ? "; " : " ") +
             (errors[i].instance_path.empty() ? std::string("(root)") : errors[i].instance_path) +
             ": " + errors[i].message;
    }
    result = ToolResult::error(std::move(msg));
  } else {
    // A handler's failure is a result the model sees; protocol errors (RpcError) and the
    // stateless era's request for client input (not a std::exception) pass through.
    try {
      result = co_await entry->handler(args, ctx);
    } catch (const RpcError&) {
      throw;
    } catch (const std::exception& e) {
      result = ToolResult::error(std::string("Tool \"") + name + "\" failed: " + e.what());
    }
    if (entry->output && !result.is_error) {
      if (!result.structured_content) {
        throw RpcError(jsonrpc::kInternalError, "Tool \"" + name +
                                                    "\" declares an outputSchema but returned no "
                                                    "structuredContent");
      }
      std::string err = entry->output->first_error(*result.structured_content);
      if (!err.empty()) {
        throw RpcError(jsonrpc::kInternalError, "Tool \"" + name +
                                                    "\" returned structuredContent that does not "
                                                    "match its outputSchema: " +
                                                    err);
      }
    }
  }
  json::object out{{"content", std::move(result.content)}};
  if (result.structured_content && protocol::has_structured_content(ctx.protocol_version())) {
    out["structuredContent"] = std::move(*result.structured_content);
  }
  if (result.is_error) out["isError"] = true;
  if (!result.meta.empty()) out["_meta"] = std::move(result.meta);
  co_return out;
}

Task<ReadOutcome> read_resource(const Server::Impl& server, const json::object& params,
                                Context& ctx) {
  std::string uri = require_string(params, "uri", "resources/read");
  std::shared_ptr<const ResourceEntry> res;
  std::shared_ptr<const TemplateEntry> tmpl;
  Variables vars;
  {
    std::shared_lock lock(server.mu);
    res = server.resources.get(uri);
    if (!res) {
      for (const auto& [k, t] : server.templates.items()) {
        if (auto m = t->parsed.match(uri)) {
          tmpl = t;
          vars = std::move(*m);
          break;
        }
      }
    }
  }
  ReadOutcome out;
  out.cache = server.options.read_cache;
  std::vector<json::object> contents;
  if (res) {
    if (res->resource.cache) out.cache = *res->resource.cache;
    contents = co_await res->handler(uri, ctx);
  } else if (tmpl) {
    if (tmpl->tmpl.cache) out.cache = *tmpl->tmpl.cache;
    contents = co_await tmpl->handler(uri, vars, ctx);
  } else {
    // -32002 until 2025-11-25; the stateless revision uses Invalid params.
    int code = ctx.protocol_version() >= protocol::k2026_07_28 ? jsonrpc::kInvalidParams
                                                               : kResourceNotFound;
    throw RpcError(code, "Resource not found: " + uri, json::object{{"uri", uri}});
  }
  json::array arr;
  for (auto& c : contents) arr.push_back(std::move(c));
  out.result["contents"] = std::move(arr);
  co_return out;
}

Task<json::object> get_prompt(const Server::Impl& server, const json::object& params,
                              Context& ctx) {
  std::string name = require_string(params, "name", "prompts/get");
  std::shared_ptr<const PromptEntry> entry;
  {
    std::shared_lock lock(server.mu);
    entry = server.prompts.get(name);
  }
  if (!entry) throw RpcError(jsonrpc::kInvalidParams, "Unknown prompt: \"" + name + "\"");
  Variables args;
  if (const json::value* a = find(params, "arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"arguments\" must be an object");
    }
    for (const auto& [k, v] : a->get_object()) {
      if (!v.is_string()) {
        throw RpcError(jsonrpc::kInvalidParams, "Invalid params: prompt argument \"" +
                                                    std::string(k) + "\" must be a string");
      }
      args.emplace(std::string(k), std::string(v.get_string()));
    }
  }
  for (const auto& pa : entry->prompt.arguments) {
    if (pa.required && !args.contains(pa.name)) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: prompt \"" + name +
                                                  "\" needs the argument \"" + pa.name + "\"");
    }
  }
  PromptResult r = co_await entry->handler(args, ctx);
  json::object out;
  if (!r.description.empty()) out["description"] = std::move(r.description);
  out["messages"] = std::move(r.messages);
  co_return out;
}

json::object complete(const Server::Impl& server, const json::object& params) {
  const json::value* ref = find(params, "ref");
  const json::value* arg = find(params, "argument");
  if (!ref || !ref->is_object() || !arg || !arg->is_object()) {
    throw RpcError(jsonrpc::kInvalidParams,
                   "Invalid params: completion/complete needs \"ref\" and \"argument\" objects");
  }
  std::string arg_name = require_string(arg->get_object(), "name", "completion/complete argument");
  std::string value = require_string(arg->get_object(), "value", "completion/complete argument");
  Variables context;
  if (const json::value* c = find(params, "context"); c && c->is_object()) {
    if (const json::value* a = find(*c, "arguments"); a && a->is_object()) {
      for (const auto& [k, v] : a->get_object()) {
        if (v.is_string()) context.emplace(std::string(k), std::string(v.get_string()));
      }
    }
  }
  std::string type = require_string(ref->get_object(), "type", "completion/complete ref");
  Completer completer;
  {
    std::shared_lock lock(server.mu);
    if (type == "ref/prompt") {
      std::string name = require_string(ref->get_object(), "name", "completion/complete ref");
      auto p = server.prompts.get(name);
      if (!p) throw RpcError(jsonrpc::kInvalidParams, "Unknown prompt: \"" + name + "\"");
      for (const auto& a : p->prompt.arguments) {
        if (a.name == arg_name) completer = a.complete;
      }
    } else if (type == "ref/resource") {
      std::string uri = require_string(ref->get_object(), "uri", "completion/complete ref");
      auto t = server.templates.get(uri);
      if (!t) throw RpcError(jsonrpc::kInvalidParams, "Unknown resource template: \"" + uri + "\"");
      if (auto it = t->tmpl.completers.find(arg_name); it != t->tmpl.completers.end()) {
        completer = it->second;
      }
    } else {
      throw RpcError(jsonrpc::kInvalidParams,
                     "Invalid params: ref.type must be \"ref/prompt\" or \"ref/resource\"");
    }
  }
  std::vector<std::string> values;
  if (completer) values = completer(value, context);
  json::array arr;
  for (std::size_t i = 0; i < values.size() && i < 100; ++i) arr.emplace_back(values[i]);
  json::object completion{{"values", std::move(arr)}};
  completion["total"] = static_cast<std::int64_t>(values.size());
  completion["hasMore"] = values.size() > 100;
  return json::object{{"completion", std::move(completion)}};
}

}  // namespace mcpp::methods
