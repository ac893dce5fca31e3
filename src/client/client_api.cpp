// mcpp::Client's public methods (each runs on the client's strand) and the conversion of the
// server's JSON into typed results; TransportError; elicitation schema defaults.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/client_impl.hpp"
#include "client/www_authenticate.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

std::string str(const json::object& o, std::string_view key) {
  return std::string(find_string(o, key));
}

json::object obj(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  return v && v->is_object() ? v->get_object() : json::object();
}

// Runs `f` (a coroutine function) on the client's strand and resumes the caller on its own
// executor with the result.
template <class F>
auto on_strand(const std::shared_ptr<Client::Impl>& impl, F f) {
  return asio::co_spawn(impl->strand(), std::move(f), asio::use_awaitable);
}

// The resource_metadata parameter of the Bearer challenge (or of any challenge), or "".
std::string resource_metadata_of(std::string_view header) {
  auto challenges = parse_www_authenticate(header);
  if (const HttpChallenge* bearer = find_challenge(challenges, "bearer")) {
    return bearer->param("resource_metadata");
  }
  for (const auto& c : challenges) {
    if (c.has("resource_metadata")) return c.param("resource_metadata");
  }
  return {};
}

}  // namespace

// ---- results -----------------------------------------------------------------------------------

TransportError::TransportError(Kind kind, std::string message, int http_status,
                               std::string www_authenticate)
    : std::runtime_error(std::move(message)),
      kind_(kind),
      http_status_(http_status),
      www_authenticate_(std::move(www_authenticate)),
      resource_metadata_(resource_metadata_of(www_authenticate_)) {}

std::string CallToolResult::text() const {
  std::string out;
  for (const auto& block : content) {
    if (find_string(block, "type") != "text") continue;
    if (!out.empty()) out += '\n';
    out += find_string(block, "text");
  }
  return out;
}

ToolInfo tool_info_from(const json::object& o) {
  ToolInfo t;
  t.name = str(o, "name");
  t.title = str(o, "title");
  t.description = str(o, "description");
  t.input_schema = obj(o, "inputSchema");
  if (const json::value* v = find(o, "outputSchema"); v && v->is_object()) {
    t.output_schema = v->get_object();
  }
  t.annotations = obj(o, "annotations");
  if (t.title.empty()) t.title = str(t.annotations, "title");
  t.raw = o;
  return t;
}

ResourceInfo resource_info_from(const json::object& o) {
  ResourceInfo r;
  r.uri = str(o, "uri");
  r.name = str(o, "name");
  r.title = str(o, "title");
  r.description = str(o, "description");
  r.mime_type = str(o, "mimeType");
  if (const json::value* v = find(o, "size"); v && v->is_number()) {
    r.size = v->to_number<std::int64_t>();
  }
  r.raw = o;
  return r;
}

ResourceTemplateInfo resource_template_info_from(const json::object& o) {
  ResourceTemplateInfo r;
  r.uri_template = str(o, "uriTemplate");
  r.name = str(o, "name");
  r.title = str(o, "title");
  r.description = str(o, "description");
  r.mime_type = str(o, "mimeType");
  r.raw = o;
  return r;
}

PromptInfo prompt_info_from(const json::object& o) {
  PromptInfo p;
  p.name = str(o, "name");
  p.title = str(o, "title");
  p.description = str(o, "description");
  if (const json::value* args = find(o, "arguments"); args && args->is_array()) {
    for (const auto& a : args->get_array()) {
      if (!a.is_object()) continue;
      const auto& ao = a.get_object();
      PromptArgumentInfo arg;
      arg.name = str(ao, "name");
      arg.title = str(ao, "title");
      arg.description = str(ao, "description");
      const json::value* req = find(ao, "required");
      arg.required = req && req->is_bool() && req->get_bool();
      p.arguments.push_back(std::move(arg));
    }
  }
  p.raw = o;
  return p;
}

void apply_schema_defaults(const json::object& requested_schema, json::object& content) {
  const json::value* props = find(requested_schema, "properties");
  if (!props || !props->is_object()) return;
  for (const auto& [name, schema] : props->get_object()) {
    if (content.contains(name)) continue;
    if (const json::value* d = find(schema, "default")) content[name] = *d;
  }
}

// ---- the client
// ----------------------------------------------------------------------------------

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() {
  if (impl_->transport_) impl_->transport_->abort();
}

void Client::on_sampling(SamplingHandler handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->sampling_ = std::move(handler);
}

void Client::on_elicitation(ElicitationHandler handler, bool url_mode) {
  std::lock_guard lock(impl_->mu_);
  impl_->elicitation_ = std::move(handler);
  impl_->elicitation_url_ = url_mode;
}

void Client::set_roots(std::vector<Root> roots) {
  {
    std::lock_guard lock(impl_->mu_);
    impl_->roots_ = std::move(roots);
  }
  asio::co_spawn(
      impl_->strand(),
      [impl = impl_]() -> Task<void> {
        // The stateless era has no notifications/roots/list_changed: each request carries the
        // capabilities, and roots are asked for when needed.
        if (!impl->connected_ || impl->stateless_) co_return;
        try {
          co_await impl->notify("notifications/roots/list_changed", {});
        } catch (const std::exception&) {
          // The server asks for roots/list when it needs them; a lost notice is harmless.
        }
      },
      asio::detached);
}

void Client::on_log_message(std::function<void(const LogMessage&)> handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->log_handler_ = std::move(handler);
}

void Client::on_list_changed(std::function<void(std::string_view what)> handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->list_changed_handler_ = std::move(handler);
}

void Client::on_resource_updated(std::function<void(std::string_view uri)> handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->resource_updated_handler_ = std::move(handler);
}

void Client::on_notification(std::string method,
                             std::function<void(const json::object& params)> handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->notification_handlers_[std::move(method)] = std::move(handler);
}

void Client::on_disconnect(std::function<void(std::string_view why)> handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->disconnect_handler_ = std::move(handler);
}

Task<void> Client::connect(StdioTarget target) {
  return on_strand(impl_, [impl = impl_, t = std::move(target)]() mutable -> Task<void> {
    co_await impl->connect_stdio(std::move(t));
  });
}

Task<void> Client::connect(HttpTarget target) {
  return on_strand(impl_, [impl = impl_, t = std::move(target)]() mutable -> Task<void> {
    co_await impl->connect_http(std::move(t));
  });
}

Task<void> Client::connect(std::shared_ptr<Connection> connection) {
  if (!connection) throw std::invalid_argument("mcpp::Client::connect: no connection");
  return on_strand(impl_, [impl = impl_, c = std::move(connection)]() mutable -> Task<void> {
    co_await impl->connect_connection(std::move(c));
  });
}

bool Client::connected() const {
  return impl_->connected_;
}

const InitializeResult& Client::server() const {
  return impl_->server_;
}

bool Client::stateless() const {
  return impl_->server_.stateless;
}

std::string_view Client::transport_name() const {
  return impl_->transport_ ? impl_->transport_->name() : std::string_view();
}

Task<void> Client::close() {
  return on_strand(impl_, [impl = impl_]() -> Task<void> { co_await impl->close(); });
}

Task<std::vector<ToolInfo>> Client::list_tools(RequestOptions options) {
  return on_strand(impl_, [impl = impl_, o = std::move(options)]() -> Task<std::vector<ToolInfo>> {
    json::array all = co_await impl->list_all("tools/list", "tools", o);
    json::array items = impl->keep_valid_tools(all);
    std::vector<ToolInfo> out;
    for (const auto& t : items) {
      if (t.is_object()) out.push_back(tool_info_from(t.get_object()));
    }
    co_return out;
  });
}

Task<CallToolResult> Client::call_tool(std::string name, json::object arguments,
                                       RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, name = std::move(name), args = std::move(arguments),
                    o = std::move(options)]() -> Task<CallToolResult> {
                     json::object params{{"name", name}, {"arguments", args}};
                     json::value r = co_await impl->request("tools/call", std::move(params), o);
                     if (!r.is_object())
                       throw RpcError(jsonrpc::kInternalError,
                                      "tools/call: result is not an object");
                     CallToolResult out;
                     out.raw = r.get_object();
                     if (const json::value* c = find(out.raw, "content"); c && c->is_array()) {
                       out.content = c->get_array();
                     }
                     if (const json::value* s = find(out.raw, "structuredContent"))
                       out.structured_content = *s;
                     const json::value* e = find(out.raw, "isError");
                     out.is_error = e && e->is_bool() && e->get_bool();
                     co_return out;
                   });
}

Task<std::vector<ResourceInfo>> Client::list_resources(RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, o = std::move(options)]() -> Task<std::vector<ResourceInfo>> {
                     json::array items = co_await impl->list_all("resources/list", "resources", o);
                     std::vector<ResourceInfo> out;
                     for (const auto& r : items) {
                       if (r.is_object()) out.push_back(resource_info_from(r.get_object()));
                     }
                     co_return out;
                   });
}

Task<std::vector<ResourceTemplateInfo>> Client::list_resource_templates(RequestOptions options) {
  return on_strand(
      impl_, [impl = impl_, o = std::move(options)]() -> Task<std::vector<ResourceTemplateInfo>> {
        json::array items =
            co_await impl->list_all("resources/templates/list", "resourceTemplates", o);
        std::vector<ResourceTemplateInfo> out;
        for (const auto& r : items) {
          if (r.is_object()) out.push_back(resource_template_info_from(r.get_object()));
        }
        co_return out;
      });
}

Task<ReadResourceResult> Client::read_resource(std::string uri, RequestOptions options) {
  return on_strand(
      impl_,
      [impl = impl_, uri = std::move(uri), o = std::move(options)]() -> Task<ReadResourceResult> {
        json::object params{{"uri", uri}};
        json::value r = co_await impl->request("resources/read", std::move(params), o);
        ReadResourceResult out;
        if (r.is_object()) out.raw = r.get_object();
        if (const json::value* c = find(out.raw, "contents"); c && c->is_array()) {
          out.contents = c->get_array();
        }
        co_return out;
      });
}

Task<void> Client::subscribe_resource(std::string uri, RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, uri = std::move(uri), o = std::move(options)]() -> Task<void> {
                     if (impl->stateless_) {
                       // Carried by the subscriptions/listen stream.
                       impl->subscribed_.insert(uri);
                       impl->update_listen();
                       co_return;
                     }
                     json::object params{{"uri", uri}};
                     co_await impl->request("resources/subscribe", std::move(params), o);
                   });
}

Task<void> Client::unsubscribe_resource(std::string uri, RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, uri = std::move(uri), o = std::move(options)]() -> Task<void> {
                     if (impl->stateless_) {
                       impl->subscribed_.erase(uri);
                       impl->update_listen();
                       co_return;
                     }
                     json::object params{{"uri", uri}};
                     co_await impl->request("resources/unsubscribe", std::move(params), o);
                   });
}

Task<std::vector<PromptInfo>> Client::list_prompts(RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, o = std::move(options)]() -> Task<std::vector<PromptInfo>> {
                     json::array items = co_await impl->list_all("prompts/list", "prompts", o);
                     std::vector<PromptInfo> out;
                     for (const auto& p : items) {
                       if (p.is_object()) out.push_back(prompt_info_from(p.get_object()));
                     }
                     co_return out;
                   });
}

Task<GetPromptResult> Client::get_prompt(std::string name,
                                         std::map<std::string, std::string> arguments,
                                         RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, name = std::move(name), args = std::move(arguments),
                    o = std::move(options)]() -> Task<GetPromptResult> {
                     json::object a;
                     for (const auto& [k, v] : args) a[k] = v;
                     json::object params{{"name", name}};
                     if (!a.empty()) params["arguments"] = std::move(a);
                     json::value r = co_await impl->request("prompts/get", std::move(params), o);
                     GetPromptResult out;
                     if (r.is_object()) out.raw = r.get_object();
                     out.description = str(out.raw, "description");
                     if (const json::value* m = find(out.raw, "messages"); m && m->is_array()) {
                       out.messages = m->get_array();
                     }
                     co_return out;
                   });
}

Task<Completion> Client::complete(json::object ref, std::string argument, std::string value,
                                  std::map<std::string, std::string> context,
                                  RequestOptions options) {
  return on_strand(
      impl_,
      [impl = impl_, ref = std::move(ref), argument = std::move(argument), value = std::move(value),
       context = std::move(context), o = std::move(options)]() -> Task<Completion> {
        json::object params{{"ref", ref},
                            {"argument", json::object{{"name", argument}, {"value", value}}}};
        if (!context.empty()) {
          json::object args;
          for (const auto& [k, v] : context) args[k] = v;
          params["context"] = json::object{{"arguments", std::move(args)}};
        }
        json::value r = co_await impl->request("completion/complete", std::move(params), o);
        Completion out;
        const json::value* c = find(r, "completion");
        if (c && c->is_object()) {
          if (const json::value* v = find(*c, "values"); v && v->is_array()) {
            for (const auto& s : v->get_array()) {
              if (s.is_string()) out.values.emplace_back(s.get_string());
            }
          }
          if (const json::value* t = find(*c, "total"); t && t->is_number()) {
            out.total = t->to_number<std::int64_t>();
          }
          const json::value* more = find(*c, "hasMore");
          out.has_more = more && more->is_bool() && more->get_bool();
        }
        co_return out;
      });
}

Task<void> Client::ping(RequestOptions options) {
  return on_strand(impl_, [impl = impl_, o = std::move(options)]() -> Task<void> {
    // The stateless era has no ping: server/discover is the cheapest request there is.
    std::string method = impl->stateless_ ? "server/discover" : "ping";
    co_await impl->request(method, {}, o);
  });
}

Task<void> Client::set_logging_level(std::string level, RequestOptions options) {
  return on_strand(
      impl_, [impl = impl_, level = std::move(level), o = std::move(options)]() -> Task<void> {
        if (impl->stateless_) {
          impl->log_level_ = level;  // sent in the _meta of every request from now on
          co_return;
        }
        json::object params{{"level", level}};
        co_await impl->request("logging/setLevel", std::move(params), o);
      });
}

Task<json::value> Client::request(std::string method, json::object params, RequestOptions options) {
  return on_strand(impl_,
                   [impl = impl_, method = std::move(method), params = std::move(params),
                    o = std::move(options)]() -> Task<json::value> {
                     co_return co_await impl->request(method, params, o);
                   });
}

Task<void> Client::notify(std::string method, json::object params) {
  return on_strand(
      impl_,
      [impl = impl_, method = std::move(method), params = std::move(params)]() -> Task<void> {
        co_await impl->notify(method, params);
      });
}

}  // namespace mcpp
