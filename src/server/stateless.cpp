// The stateless revision's dispatcher: _meta validation, server/discover, caching hints,
// resultType and serverInfo on results, multi round-trip requests and subscriptions/listen.
#include "server/stateless.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <map>

#include "protocol/versions.hpp"
#include "server/methods.hpp"
#include "server/tasks.hpp"

namespace mcpp::stateless {

namespace asio = boost::asio;
using jsonrpc::Message;
using jsonrpc::RpcError;

// ---- request metadata -------------------------------------------------------------------------

bool is_stateless(const json::value& message) {
  const json::value* params = find(message, "params");
  if (!params || !params->is_object()) return false;
  const json::value* meta = find(*params, "_meta");
  return meta && meta->is_object() && meta->get_object().contains(kProtocolVersionKey);
}

jsonrpc::Error unsupported_version(std::string_view requested) {
  json::array supported{json::value(protocol::k2026_07_28)};
  for (auto it = protocol::kStatefulVersions.rbegin(); it != protocol::kStatefulVersions.rend();
       ++it) {
    supported.emplace_back(*it);
  }
  return {kUnsupportedProtocolVersion,
          "Unsupported protocol version \"" + std::string(requested) +
              "\": this server speaks 2026-07-28 per request, and 2025-11-25 down to 2024-11-05 "
              "after initialize",
          json::object{{"supported", std::move(supported)}, {"requested", requested}}};
}

RequestMeta read_meta(const json::value& params) {
  auto invalid = [](std::string what) {
    return RpcError(jsonrpc::kInvalidParams, "Invalid params: " + std::move(what));
  };
  if (!params.is_object()) throw invalid("params must be an object carrying _meta");
  const json::value* meta = find(params, "_meta");
  if (!meta || !meta->is_object()) {
    throw invalid("params._meta is required (with " + std::string(kProtocolVersionKey) + " and " +
                  std::string(kClientCapabilitiesKey) + ")");
  }
  RequestMeta out;
  const json::value* version = find(*meta, kProtocolVersionKey);
  if (!version || !version->is_string()) {
    throw invalid("_meta[\"" + std::string(kProtocolVersionKey) + "\"] must be a string");
  }
  out.version = std::string(version->get_string());
  if (out.version != protocol::k2026_07_28) {
    jsonrpc::Error e = unsupported_version(out.version);
    throw RpcError(e.code, std::move(e.message), std::move(e.data));
  }
  const json::value* caps = find(*meta, kClientCapabilitiesKey);
  if (!caps || !caps->is_object()) {
    throw invalid("_meta[\"" + std::string(kClientCapabilitiesKey) +
                  "\"] must be an object (empty when the client supports nothing optional)");
  }
  out.capabilities = caps->get_object();
  if (const json::value* info = find(*meta, kClientInfoKey); info && !info->is_null()) {
    if (!info->is_object() || !find(*info, "name") || !find(*info, "name")->is_string() ||
        !find(*info, "version") || !find(*info, "version")->is_string()) {
      throw invalid("_meta[\"" + std::string(kClientInfoKey) +
                    "\"] must be an object with string \"name\" and \"version\"");
    }
    out.client_info = info->get_object();
  }
  if (const json::value* level = find(*meta, kLogLevelKey); level && !level->is_null()) {
    std::optional<LogLevel> parsed;
    if (level->is_string()) parsed = parse_log_level(level->get_string());
    if (!parsed) {
      throw invalid("_meta[\"" + std::string(kLogLevelKey) +
                    "\"] must be one of debug, info, notice, warning, error, critical, alert, "
                    "emergency");
    }
    out.log_level = parsed;
  }
  return out;
}

bool is_stateful_only_method(std::string_view method) {
  return method == "initialize" || method == "ping" || method == "logging/setLevel" ||
         method == "resources/subscribe" || method == "resources/unsubscribe";
}

namespace {

// ---- requestState: what a multi round-trip request carries between rounds ---------------------
//
// The handler of a tools/call, resources/read or prompts/get runs again from the start on every
// round. Its n-th request to the client (elicit, sample, list_roots) is answered from the state
// when the client has answered it; the first unanswered one ends the round with an
// input_required result. The state records the answers so far, the requests awaiting an answer,
// the request it belongs to (method and a digest of its parameters) and an expiry, and is sealed
// with HMAC-SHA256 under the server's key: the client can carry it but not alter or forge it.

// Thrown (not a std::exception, so handlers' catch-alls for std::exception let it through) when
// a handler asks the client something it has not answered yet.
struct InputRequired {
  std::vector<ClientRequest> requests;  // keyed
};

std::string_view key_prefix(std::string_view method) {
  return method == "elicitation/create"       ? "elicit"
         : method == "sampling/createMessage" ? "sample"
         : method == "roots/list"             ? "roots"
                                              : "input";
}

// JSON with object keys sorted, so equal values digest equally whatever their key order.
void canonical(const json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> items;
    for (const auto& [k, x] : v.get_object()) items.emplace_back(k, &x);
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += json::serialize(json::string(items[i].first));
      out += ':';
      canonical(*items[i].second, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& x : v.get_array()) {
      if (!first) out += ',';
      first = false;
      canonical(x, out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

// What identifies the request a state belongs to: its method and parameters, without the
// metadata and the round-trip fields.
std::string request_digest(std::string_view method, const json::object& params,
                           std::string_view subject) {
  std::string text(method);
  text += '\n';
  text += subject;
  text += '\n';
  json::object salient;
  for (const auto& [k, v] : params) {
    if (k != "_meta" && k != "inputResponses" && k != "requestState") salient.emplace(k, v);
  }
  canonical(salient, text);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  return hex(md, 16);
}

// What identifies a question to the client: its method and parameters.
std::string question_digest(const ClientRequest& r) {
  std::string text = r.method + "\n";
  canonical(r.params, text);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  return hex(md, 12);
}

std::string hmac(const std::string& key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct RoundState {
  json::object answers;  // request key -> the client's result
  json::array pending;   // [{"key","method"}] asked in the round the state ends
};

std::string seal(const Server::Impl& server, std::string_view digest, const RoundState& s) {
  json::object payload{{"v", 1},
                       {"d", digest},
                       {"e", now_ms() + server.options.request_state_ttl.count()},
                       {"a", s.answers},
                       {"p", s.pending}};
  std::string body = base64_encode(json::serialize(payload));
  return body + "." + base64_encode(hmac(server.state_key, body));
}

RpcError bad_state(std::string why) {
  return RpcError(jsonrpc::kInvalidParams,
                  "Invalid params: requestState " + std::move(why) +
                      "; send the request again without requestState and inputResponses");
}

RoundState open(const Server::Impl& server, std::string_view digest, const json::value& sealed) {
  if (!sealed.is_string()) throw bad_state("must be the string the server returned");
  std::string_view text = sealed.get_string();
  auto dot = text.find('.');
  if (dot == std::string_view::npos) throw bad_state("is not one this server issued");
  std::string_view body = text.substr(0, dot);
  auto mac = base64_decode(text.substr(dot + 1));
  std::string expected = hmac(server.state_key, body);
  if (!mac || mac->size() != expected.size() ||
      CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    throw bad_state("failed verification (altered, or issued by another server)");
  }
  auto decoded = base64_decode(body);
  boost::system::error_code ec;
  json::value payload = decoded ? json::parse(*decoded, ec) : json::value();
  if (!decoded || ec || !payload.is_object()) throw bad_state("is malformed");
  if (find_string(payload, "d") != digest) {
    throw bad_state("belongs to another request (a different method, name or arguments)");
  }
  const json::value* exp = find(payload, "e");
  if (!exp || !exp->is_int64() || exp->get_int64() < now_ms()) throw bad_state("has expired");
  RoundState s;
  if (const json::value* a = find(payload, "a"); a && a->is_object()) s.answers = a->get_object();
  if (const json::value* p = find(payload, "p"); p && p->is_array()) s.pending = p->get_array();
  return s;
}

// Checks that an input response has the shape of the result its request asks for.
void validate_response(std::string_view key, std::string_view method, const json::value& v) {
  auto invalid = [&](std::string what) {
    return RpcError(jsonrpc::kInvalidParams, "Invalid params: inputResponses[\"" +
                                                 std::string(key) + "\"] " + std::move(what));
  };
  if (!v.is_object())
    throw invalid("must be an object (the result of " + std::string(method) + ")");
  if (method == "elicitation/create") {
    std::string_view action = find_string(v, "action");
    if (action != "accept" && action != "decline" && action != "cancel") {
      throw invalid("needs \"action\": \"accept\", \"decline\" or \"cancel\"");
    }
    if (const json::value* c = find(v, "content"); c && !c->is_null() && !c->is_object()) {
      throw invalid("has a \"content\" that is not an object");
    }
  } else if (method == "sampling/createMessage") {
    const json::value* content = find(v, "content");
    std::string_view role = find_string(v, "role");
    if (!content || !(content->is_object() || content->is_array()) ||
        (role != "assistant" && role != "user")) {
      throw invalid("needs \"role\" and \"content\" (a sampling/createMessage result)");
    }
  } else if (method == "roots/list") {
    const json::value* roots = find(v, "roots");
    if (!roots || !roots->is_array()) throw invalid("needs a \"roots\" array");
    for (const auto& r : roots->get_array()) {
      const json::value* uri = find(r, "uri");
      if (!uri || !uri->is_string()) throw invalid("has a root without a string \"uri\"");
    }
  }
}

// The answers a retry brings: those of earlier rounds, carried in its sealed state, and the
// client's new inputResponses, taken when the handler asks for their keys (so extra keys are
// ignored and each answer is checked against the request it answers).
struct Answers {
  json::object earlier;  // key -> {"h": question digest, "v": answer}
  json::object fresh;    // the retry's inputResponses
  json::object pending;  // key -> question digest, of the questions the sealed round asked
  bool sealed = false;   // the retry carried a valid requestState
};

// `digest()`: the request's digest (computed only when a sealed state has to be opened).
template <class Digest>
Answers answers_of(const Server::Impl& server, const json::object& params, Digest&& digest) {
  Answers out;
  const json::value* responses = find(params, "inputResponses");
  if (responses && !responses->is_null()) {
    if (!responses->is_object()) {
      throw RpcError(jsonrpc::kInvalidParams,
                     "Invalid params: inputResponses must be an object keyed like inputRequests");
    }
    out.fresh = responses->get_object();
  }
  if (const json::value* state = find(params, "requestState"); state && !state->is_null()) {
    RoundState round = open(server, digest(), *state);
    out.earlier = std::move(round.answers);
    for (const auto& p : round.pending) {
      out.pending[find_string(p, "key")] = find_string(p, "h");
    }
    out.sealed = true;
  }
  return out;
}

// How a task-capable call learns that its handler continued as a task, finished, or stopped
// for input: set from the handler's coroutine, awaited by the request's.
struct RoundOutcome {
  explicit RoundOutcome(asio::any_io_executor ex) : timer(ex) {}
  void signal() {
    ready = true;
    asio::post(timer.get_executor(), [this, keep = self.lock()] { timer.cancel(); });
  }
  std::weak_ptr<RoundOutcome> self;
  asio::steady_timer timer;
  std::atomic<bool> ready{false};
  std::string task_id;
  std::optional<json::object> result;
  std::optional<InputRequired> needed;
  std::optional<jsonrpc::Error> error;
};

// The request context of the stateless revision. Until as_task(), questions to the client end
// the round (MRTR); after it, the call is a task and questions park it until tasks/update.
class StatelessContext final : public detail::ContextBackend {
 public:
  StatelessContext(RequestMeta meta, json::object request_meta, std::shared_ptr<MessageSink> sink,
                   std::stop_token request_stop, Answers answers)
      : meta_(std::move(meta)),
        request_meta_(std::move(request_meta)),
        sink_(std::move(sink)),
        answers_(std::move(answers.earlier)),
        fresh_(std::move(answers.fresh)),
        pending_(std::move(answers.pending)),
        sealed_(answers.sealed),
        on_request_stop_(std::move(request_stop), [this] {
          if (!detached_) own_stop_.request_stop();
        }) {}

  std::string_view protocol_version() const override { return meta_.version; }
  std::string_view session_id() const override { return {}; }
  const json::object& client_capabilities() const override { return meta_.capabilities; }
  const json::object& client_info() const override { return meta_.client_info; }
  const json::object& request_meta() const override { return request_meta_; }
  std::stop_token stop_token() const override { return own_stop_.get_token(); }
  void notify(std::string_view method, json::object params) override {
    if (sink_ && !detached_ && !own_stop_.stop_requested()) {
      sink_->send(jsonrpc::make_notification(method, std::move(params)));
    }
  }
  bool log_enabled(LogLevel level) const override {
    return meta_.log_level && level >= *meta_.log_level;
  }
  const AuthInfo* auth() const override { return meta_.auth.get(); }

  Task<std::vector<json::value>> request_all(std::vector<ClientRequest> requests) override {
    for (auto& r : requests) {
      if (r.key.empty()) r.key = std::string(key_prefix(r.method)) + "-" + std::to_string(next_++);
    }
    if (detached_) co_return co_await wait_in_task(std::move(requests));
    std::vector<json::value> results;
    InputRequired needed;
    for (auto& r : requests) {
      // An answer counts for the question it answered: same key, same method and parameters.
      std::string h = question_digest(r);
      const json::value* a = find(answers_, r.key);
      const json::value* f = find(fresh_, r.key);
      if (a && find_string(*a, "h") == h) {
        results.push_back(a->at("v"));
      } else if (f && (!sealed_ || find_string(pending_, r.key) == h)) {
        // With sealed state, only answers to the questions that round asked; without, the
        // client's answers for the keys asked now (it could give them on a first try anyway).
        validate_response(r.key, r.method, *f);
        answers_[r.key] = json::object{{"h", h}, {"v", *f}};
        results.push_back(*f);
      } else {
        needed.requests.push_back(std::move(r));
      }
    }
    if (!needed.requests.empty()) throw needed;
    co_return results;
  }

  Task<bool> as_task() override {
    if (detached_) co_return true;
    if (!tasks_ || !outcome_) co_return false;
    task_id_ = tasks_->create(meta_.auth ? meta_.auth->subject : std::string());
    if (task_id_.empty()) co_return false;  // too many tasks running: answer in the call
    detached_ = true;
    sink_.reset();
    on_task_stop_.emplace(tasks_->stop_token(task_id_), [this] { own_stop_.request_stop(); });
    outcome_->task_id = task_id_;
    outcome_->signal();
    co_return true;
  }

  // Makes the call task-capable.
  void enable_tasks(std::shared_ptr<TaskStore> tasks, std::shared_ptr<RoundOutcome> outcome) {
    tasks_ = std::move(tasks);
    outcome_ = std::move(outcome);
  }
  const std::string& task_id() const { return task_id_; }
  const json::object& answers() const { return answers_; }

 private:
  Task<std::vector<json::value>> wait_in_task(std::vector<ClientRequest> requests) {
    std::vector<TaskStore::Pending> asks;
    for (auto& r : requests) asks.push_back({r.key, r.method, std::move(r.params)});
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
    // The store keeps `wake` after this coroutine is gone: it must not keep the timer alive
    // (nor its io_context's objects past their lifetime).
    auto wake = [weak = std::weak_ptr<asio::steady_timer>(timer)] {
      if (auto t = weak.lock()) asio::post(t->get_executor(), [t] { t->cancel(); });
    };
    for (;;) {
      if (own_stop_.stop_requested()) {
        throw RpcError(jsonrpc::kRequestCancelled, "The task was cancelled");
      }
      if (auto got = tasks_->take_answers(task_id_, asks, wake)) co_return std::move(*got);
      timer->expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  RequestMeta meta_;
  json::object request_meta_;
  std::shared_ptr<MessageSink> sink_;
  json::object answers_;
  json::object fresh_;
  json::object pending_;
  bool sealed_ = false;
  std::size_t next_ = 0;
  std::stop_source own_stop_;
  std::atomic<bool> detached_{false};
  std::stop_callback<std::function<void()>> on_request_stop_;
  std::optional<std::stop_callback<std::function<void()>>> on_task_stop_;
  std::shared_ptr<TaskStore> tasks_;
  std::shared_ptr<RoundOutcome> outcome_;
  std::string task_id_;
};

bool opted_into_tasks(const RequestMeta& meta) {
  const json::value* ext = find(meta.capabilities, "extensions");
  return ext && ext->is_object() && find(*ext, kTasksExtension);
}

RpcError tasks_not_negotiated(std::string what) {
  return RpcError(kMissingRequiredClientCapability,
                  "Missing required client capability: " + std::move(what) +
                      " needs the io.modelcontextprotocol/tasks extension in "
                      "_meta[\"io.modelcontextprotocol/clientCapabilities\"].extensions",
                  json::object{{"requiredCapabilities",
                                {{"extensions", {{kTasksExtension, json::object{}}}}}}});
}

json::value cache_fields(json::object& result, const CacheHint& hint) {
  result["ttlMs"] = static_cast<std::int64_t>(std::max<std::int64_t>(0, hint.ttl.count()));
  result["cacheScope"] = hint.scope == CacheScope::kPublic ? "public" : "private";
  return result;
}

// A task-capable tools/call: the handler runs on its own; the call answers when it finishes,
// asks for input (MRTR) or continues as a task.
Task<void> run_task_capable(std::shared_ptr<Server::Impl> server, json::object params,
                            std::shared_ptr<StatelessContext> backend,
                            std::shared_ptr<RoundOutcome> outcome) {
  Context ctx(backend);
  std::optional<json::object> result;
  std::optional<jsonrpc::Error> error;
  try {
    result = co_await methods::call_tool(*server, params, ctx);
  } catch (InputRequired& r) {
    outcome->needed = std::move(r);
  } catch (const RpcError& e) {
    error = e.error();
  } catch (const std::exception& e) {
    error = jsonrpc::Error{jsonrpc::kInternalError, std::string("Internal error: ") + e.what(),
                           nullptr};
  } catch (...) {
    error = jsonrpc::Error{jsonrpc::kInternalError, "Internal error: the tool threw", nullptr};
  }
  const std::string& task = backend->task_id();
  if (!task.empty()) {
    if (result) server->tasks->complete(task, std::move(*result));
    if (error) server->tasks->fail(task, *error);
    co_return;
  }
  outcome->result = std::move(result);
  outcome->error = std::move(error);
  outcome->signal();
}

// Runs a handler-backed method once; an unanswered request to the client ends the round.
Task<json::object> run_round(std::shared_ptr<Server::Impl> server_ptr, const Message& m,
                             const json::object& params, const RequestMeta& meta,
                             std::shared_ptr<MessageSink> related, std::stop_token stop) {
  const Server::Impl& server = *server_ptr;
  // The sealed state is bound to the request and to who sent it: another user cannot continue it.
  // (Computed when needed: most requests neither carry nor produce a sealed state.)
  std::string digest;
  auto digest_of_request = [&]() -> const std::string& {
    if (digest.empty()) {
      digest = request_digest(m.method, params, meta.auth ? meta.auth->subject : "");
    }
    return digest;
  };
  Answers answers = answers_of(server, params, digest_of_request);
  json::object request_meta;
  if (const json::value* rm = find(params, "_meta"); rm && rm->is_object()) {
    request_meta = rm->get_object();
  }
  auto backend = std::make_shared<StatelessContext>(meta, std::move(request_meta), related, stop,
                                                    std::move(answers));
  TaskSupport task_support = TaskSupport::kNone;
  if (m.method == "tools/call") {
    std::shared_lock lock(server.mu);
    if (auto entry = server.tools.get(find_string(params, "name"))) {
      task_support = entry->tool.task_support;
    }
  }
  const bool tasks_ok = opted_into_tasks(meta);
  if (task_support == TaskSupport::kRequired && !tasks_ok) {
    throw tasks_not_negotiated("tool \"" + std::string(find_string(params, "name")) + "\"");
  }
  std::optional<InputRequired> needed;
  json::object result;
  if (task_support != TaskSupport::kNone && tasks_ok) {
    auto executor = co_await asio::this_coro::executor;
    auto outcome = std::make_shared<RoundOutcome>(executor);
    outcome->self = outcome;
    backend->enable_tasks(server_ptr->tasks, outcome);
    asio::co_spawn(executor, run_task_capable(server_ptr, params, backend, outcome),
                   asio::detached);
    while (!outcome->ready) {
      outcome->timer.expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await outcome->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!outcome->task_id.empty()) {
      json::object created = server.tasks->handle(outcome->task_id);
      created["resultType"] = "task";
      co_return created;
    }
    if (outcome->error) {
      throw RpcError(outcome->error->code, outcome->error->message, outcome->error->data);
    }
    if (outcome->result) co_return std::move(*outcome->result);
    needed = std::move(outcome->needed);
  } else {
    Context ctx(backend);
    try {
      if (m.method == "tools/call") {
        result = co_await methods::call_tool(server, params, ctx);
      } else if (m.method == "resources/read") {
        methods::ReadOutcome read = co_await methods::read_resource(server, params, ctx);
        result = std::move(read.result);
        cache_fields(result, read.cache);
      } else {
        result = co_await methods::get_prompt(server, params, ctx);
      }
    } catch (InputRequired& r) {
      needed = std::move(r);
    }
  }
  if (!needed) co_return result;
  RoundState state;
  state.answers = backend->answers();
  json::object input_requests;
  for (auto& r : needed->requests) {
    state.pending.push_back(
        json::object{{"key", r.key}, {"method", r.method}, {"h", question_digest(r)}});
    json::object request{{"method", r.method}, {"params", std::move(r.params)}};
    input_requests[r.key] = std::move(request);
  }
  co_return json::object{{"resultType", "input_required"},
                         {"inputRequests", std::move(input_requests)},
                         {"requestState", seal(server, digest_of_request(), state)}};
}

// tasks/get, tasks/update, tasks/cancel.
json::object task_method(Server::Impl& server, const std::string& method,
                         const json::object& params, const RequestMeta& meta) {
  if (!opted_into_tasks(meta)) throw tasks_not_negotiated(method);
  std::string id = methods::require_string(params, "taskId", method);
  // Tasks belong to who started them: another user's task does not exist for this one.
  std::string owner = meta.auth ? meta.auth->subject : std::string();
  auto unknown = [&] {
    return RpcError(jsonrpc::kInvalidParams,
                    "Invalid params: unknown taskId \"" + id + "\" (it never existed, or expired)",
                    json::object{{"taskId", id}});
  };
  if (method == "tasks/get") {
    auto task = server.tasks->describe(id, owner);
    if (!task) throw unknown();
    return std::move(*task);
  }
  if (method == "tasks/cancel") {
    if (!server.tasks->cancel(id, owner)) throw unknown();
    return {};
  }
  const json::value* responses = find(params, "inputResponses");
  if (!responses || !responses->is_object()) {
    throw RpcError(jsonrpc::kInvalidParams,
                   "Invalid params: tasks/update needs an \"inputResponses\" object");
  }
  if (!server.tasks->update(id, responses->get_object(), validate_response, owner)) {
    throw unknown();
  }
  return {};
}

// ---- subscriptions/listen ---------------------------------------------------------------------

class Subscription final : public ChangeListener {
 public:
  Subscription(json::value id, std::shared_ptr<MessageSink> sink, bool tools, bool prompts,
               bool resources, std::vector<std::string> uris, asio::any_io_executor ex)
      : id_(std::move(id)),
        sink_(std::move(sink)),
        tools_(tools),
        prompts_(prompts),
        resources_(resources),
        uris_(std::move(uris)),
        timer_(std::make_shared<asio::steady_timer>(ex)) {}

  void send(std::string method, json::object params) {
    params["_meta"] = json::object{{kSubscriptionIdKey, id_}};
    std::lock_guard lock(mu_);
    if (closed_) return;  // a change broadcast while the subscription ended
    if (!sink_->send(jsonrpc::make_notification(method, std::move(params)))) wake(false);
  }
  // Nothing is sent after this.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  void on_list_changed(std::string_view what) override {
    if ((what == "tools" && tools_) || (what == "prompts" && prompts_) ||
        (what == "resources" && resources_)) {
      send("notifications/" + std::string(what) + "/list_changed", {});
    }
  }
  void on_resource_updated(std::string_view uri) override {
    if (std::find(uris_.begin(), uris_.end(), uri) != uris_.end()) {
      send("notifications/resources/updated", json::object{{"uri", uri}});
    }
  }
  void on_server_closing() override { wake(true); }

  // Ends the wait: the server is going away (graceful) or the stream is gone.
  void wake(bool graceful) {
    if (graceful) graceful_ = true;
    asio::post(timer_->get_executor(), [t = timer_] { t->cancel(); });
  }
  Task<void> wait(std::stop_token stop) {
    timer_->expires_at(std::chrono::steady_clock::time_point::max());
    std::stop_callback on_stop(stop, [this] { wake(false); });
    if (stop.stop_requested()) co_return;
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  bool graceful() const { return graceful_; }

 private:
  json::value id_;
  std::shared_ptr<MessageSink> sink_;
  bool tools_, prompts_, resources_;
  std::vector<std::string> uris_;
  std::shared_ptr<asio::steady_timer> timer_;
  std::atomic<bool> graceful_{false};
  std::mutex mu_;
  bool closed_ = false;
};

Task<json::value> listen(std::shared_ptr<Server::Impl> server, const Message& m,
                         const json::object& params, std::shared_ptr<MessageSink> related,
                         std::stop_token stop) {
  if (!related) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "Invalid Request: subscriptions/listen needs a stream to deliver on");
  }
  const json::value* filter = find(params, "notifications");
  if (!filter || !filter->is_object()) {
    throw RpcError(jsonrpc::kInvalidParams,
                   "Invalid params: subscriptions/listen needs a \"notifications\" object");
  }
  auto flag = [&](std::string_view key) {
    const json::value* v = find(*filter, key);
    if (!v || v->is_null()) return false;
    if (!v->is_bool()) {
      throw RpcError(jsonrpc::kInvalidParams,
                     "Invalid params: notifications." + std::string(key) + " must be a boolean");
    }
    return v->get_bool();
  };
  bool tools = flag("toolsListChanged");
  bool prompts = flag("promptsListChanged");
  bool resources = flag("resourcesListChanged");
  std::vector<std::string> uris;
  if (const json::value* r = find(*filter, "resourceSubscriptions"); r && !r->is_null()) {
    if (!r->is_array()) {
      throw RpcError(
          jsonrpc::kInvalidParams,
          "Invalid params: notifications.resourceSubscriptions must be an array of URIs");
    }
    for (const auto& u : r->get_array()) {
      if (!u.is_string()) {
        throw RpcError(jsonrpc::kInvalidParams,
                       "Invalid params: notifications.resourceSubscriptions holds a non-string");
      }
      uris.emplace_back(u.get_string());
    }
  }
  json::object honored;
  if (tools) honored["toolsListChanged"] = true;
  if (prompts) honored["promptsListChanged"] = true;
  if (resources) honored["resourcesListChanged"] = true;
  if (find(*filter, "resourceSubscriptions")) {
    json::array a;
    for (const auto& u : uris) a.emplace_back(u);
    honored["resourceSubscriptions"] = std::move(a);
  }
  auto executor = co_await asio::this_coro::executor;
  auto sub = std::make_shared<Subscription>(m.id, related, tools, prompts, resources,
                                            std::move(uris), executor);
  // The acknowledgement comes first; only then can changes reach the stream.
  sub->send("notifications/subscriptions/acknowledged",
            json::object{{"notifications", std::move(honored)}});
  server->attach(sub);
  co_await sub->wait(stop);
  sub->close();
  server->detach(sub.get());
  json::object result{{"resultType", "complete"},
                      {"_meta", json::object{{kSubscriptionIdKey, m.id}}}};
  co_return result;
}

json::object discover(const Server::Impl& server, const RequestMeta& meta) {
  json::array versions{json::value(protocol::k2026_07_28)};
  for (auto it = protocol::kStatefulVersions.rbegin(); it != protocol::kStatefulVersions.rend();
       ++it) {
    versions.emplace_back(*it);
  }
  json::object result{{"supportedVersions", std::move(versions)},
                      {"capabilities", methods::capabilities(meta.version)}};
  if (!server.options.instructions.empty()) result["instructions"] = server.options.instructions;
  cache_fields(result, server.options.list_cache);
  return result;
}

Task<json::value> dispatch(std::shared_ptr<Server::Impl> server, const Message& m,
                           const RequestMeta& meta, std::shared_ptr<MessageSink> related,
                           std::stop_token stop) {
  const json::object& params = m.params.get_object();
  const std::string& method = m.method;
  const Server::Impl& s = *server;
  if (method == "server/discover") co_return discover(s, meta);
  using List = json::object (*)(const Server::Impl&, std::string_view, const json::object&);
  List list = method == "tools/list"                 ? &methods::list_tools
              : method == "resources/list"           ? &methods::list_resources
              : method == "resources/templates/list" ? &methods::list_templates
              : method == "prompts/list"             ? &methods::list_prompts
                                                     : nullptr;
  if (list) {
    json::object r = list(s, meta.version, params);
    co_return cache_fields(r, s.options.list_cache);
  }
  if (method == "completion/complete") co_return methods::complete(s, params);
  if (method == "tools/call" || method == "resources/read" || method == "prompts/get") {
    co_return co_await run_round(server, m, params, meta, related, stop);
  }
  if (method == "subscriptions/listen") {
    co_return co_await listen(server, m, params, related, stop);
  }
  if (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel") {
    co_return task_method(*server, method, params, meta);
  }
  if (is_stateful_only_method(method)) {
    throw RpcError(jsonrpc::kMethodNotFound,
                   "Method not found: \"" + method +
                       "\" is not part of protocol revision 2026-07-28 (it belongs to the "
                       "initialize-based revisions)");
  }
  throw RpcError(jsonrpc::kMethodNotFound, "Method not found: \"" + method + "\"");
}

}  // namespace

Task<json::value> handle(std::shared_ptr<Server::Impl> server, Message m,
                         std::shared_ptr<MessageSink> related, std::stop_token stop,
                         std::optional<RequestMeta> given, std::shared_ptr<const AuthInfo> auth) {
  json::value reply;
  try {
    if (!given) given = read_meta(m.params);
    given->auth = std::move(auth);
    json::value result = co_await dispatch(server, m, *given, std::move(related), stop);
    if (result.is_object()) {
      json::object& r = result.get_object();
      if (!r.contains("resultType")) r["resultType"] = "complete";
      json::value& rmeta = r["_meta"];
      if (!rmeta.is_object()) rmeta = json::object{};
      rmeta.get_object()[kServerInfoKey] = server->stateless_server_info;
    }
    reply = jsonrpc::make_result(m.id, std::move(result));
  } catch (const RpcError& e) {
    reply = jsonrpc::make_error(m.id, e.error());
  } catch (const std::exception& e) {
    reply = jsonrpc::make_error(m.id, jsonrpc::kInternalError,
                                "Internal error while handling " + m.method + ": " + e.what());
  }
  if (stop.stop_requested()) co_return nullptr;  // cancelled: the client stopped waiting
  co_return reply;
}

}  // namespace mcpp::stateless
