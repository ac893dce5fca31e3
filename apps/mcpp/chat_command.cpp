// `mcpp chat`: connects the chosen connectors (in parallel), starts or continues a conversation
// and drives the host's chat engine from the terminal. The engine, the connectors and the model
// run on one I/O thread; this thread reads the person's lines and renders the engine's events.
#include "chat_command.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "chat_export.hpp"
#include "chat_terminal.hpp"
#include "client_oauth.hpp"
#include "host/chat_connectors.hpp"
#include "host/chat_engine.hpp"
#include "host/connector_pool.hpp"
#include "host/conversation_log.hpp"
#include "host/host_store.hpp"
#include "host/model_client.hpp"
#include "host/policy.hpp"
#include "terminal_text.hpp"

namespace {

namespace asio = boost::asio;
using namespace mcpp;
using namespace mcpp::host;
using mcpp::cli::ChatInput;
using mcpp::cli::ChatPrinter;
using mcpp::cli::terminal_safe;

struct ChatArgs {
  std::string message;
  std::string conversation;
  bool list = false;
  std::string export_id;
  std::string format = "markdown";
  std::vector<std::string> connectors;
  bool readonly = false;
  std::string llm_url, model, api_key_env;
  std::string policy_file;
  std::vector<std::string> roots;
  std::string host_db;
  int max_steps = 10;
  bool verbose = false;
  cli::OAuthFlags oauth;
};

// Events from the I/O thread to this one.
class EventQueue {
 public:
  void push(ChatEvent e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  bool pop(ChatEvent& e, std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !events_.empty(); })) return false;
    e = std::move(events_.front());
    events_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ChatEvent> events_;
};

// Runs `f` on the I/O thread and returns its value here.
template <class F>
auto on_io(asio::io_context& io, F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  asio::post(io, [&task] { task(); });
  return result.get();
}

std::string root_uri(const std::string& dir) {
  std::error_code ec;
  auto path = std::filesystem::absolute(dir, ec);
  return "file://" + (ec ? dir : path.lexically_normal().string());
}

void open_in_browser(const std::string& url) {
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) return;
  if (!(url.starts_with("https://") || url.starts_with("http://"))) return;
  pid_t pid = 0;
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv, environ) == 0) {
    std::thread([pid] { ::waitpid(pid, nullptr, 0); }).detach();
  }
}

// A form answer typed field by field: the text converted to each property's type.
json::object ask_form(ChatInput& in, const json::object& schema, bool& ended) {
  json::object content;
  const json::value* properties = find(schema, "properties");
  if (!properties || !properties->is_object()) return content;
  for (const auto& p : properties->get_object()) {
    std::string type(find_string(p.value(), "type"));
    std::cout << "  " << terminal_safe(p.key()) << " (" << (type.empty() ? "text" : type) << "): ";
    std::cout.flush();
    std::string line;
    if (in.read_line(line) != ChatInput::Read::kLine) {
      ended = true;
      return content;
    }
    if (line.empty()) continue;
    try {
      if (type == "integer") {
        content[p.key()] = std::stoll(line);
      } else if (type == "number") {
        content[p.key()] = std::stod(line);
      } else if (type == "boolean") {
        content[p.key()] = line == "y" || line == "yes" || line == "true";
      } else {
        content[p.key()] = line;
      }
    } catch (const std::exception&) {
      content[p.key()] = line;  // the server's validation answers
    }
  }
  return content;
}

class ChatSession {
 public:
  ChatSession(const ChatArgs& args, HostStore& store, ChatInput& input, ChatPrinter& printer)
      : args_(args), store_(store), input_(input), printer_(printer) {}

  int run();

 private:
  // What came of one user turn.
  enum class TurnEnd { kDone, kFailed, kQuit };
  TurnEnd turn(const std::string& text);
  void answer_question(const ChatEvent& e, bool& interrupted);
  void print_connectors();
  void print_tools();
  bool command(const std::string& line, bool& quit);

  const ChatArgs& args_;
  HostStore& store_;
  ChatInput& input_;
  ChatPrinter& printer_;
  asio::io_context io_;
  EventQueue queue_;
  std::unique_ptr<ChatEngine> engine_;
  std::unique_ptr<ConnectorPool> pool_;
  std::vector<std::string> names_;  // the conversation's connectors
  std::string conversation_;
  bool titled_ = false;
  bool readonly_ = false;
};

ChatSession::TurnEnd ChatSession::turn(const std::string& text) {
  if (!titled_) {
    std::string title = text.substr(0, text.find('\n')).substr(0, 60);
    store_.set_conversation_title(conversation_, title);
    titled_ = true;
  }
  input_.take_interrupts();
  engine_->send(conversation_, text);
  bool cancelling = false;
  while (true) {
    ChatEvent e;
    bool got = queue_.pop(e, std::chrono::milliseconds(50));
    if (input_.take_interrupts() > 0) {
      if (cancelling) {
        printer_.end_text();
        std::cerr << "interrupted twice: quitting\n";
        return TurnEnd::kQuit;
      }
      cancelling = true;
      printer_.end_text();
      std::cerr << printer_.paint("33", "cancelling (Ctrl-C again quits)") << "\n";
      engine_->cancel(conversation_);
    }
    if (!got) continue;
    if (e.conversation != conversation_) continue;
    if (e.type == event_type::kTurnDone) {
      printer_.end_text();
      std::string outcome(find_string(e.data, "outcome"));
      if (outcome == "done") return TurnEnd::kDone;
      if (outcome == "cancelled") std::cerr << "the turn was cancelled\n";
      if (outcome == "step_limit") std::cerr << "the turn stopped at the step limit\n";
      return TurnEnd::kFailed;
    }
    if (e.type == event_type::kApprovalNeeded || e.type == event_type::kElicitationRequest ||
        e.type == event_type::kSamplingRequest) {
      bool interrupted = false;
      answer_question(e, interrupted);
      if (interrupted && !cancelling) {
        cancelling = true;
        input_.take_interrupts();
        std::cerr << printer_.paint("33", "cancelling (Ctrl-C again quits)") << "\n";
        engine_->cancel(conversation_);
      }
      continue;
    }
    printer_.print(e);
  }
}

void ChatSession::answer_question(const ChatEvent& e, bool& interrupted) {
  std::string line;
  auto read = [&]() -> bool {
    auto r = input_.read_line(line);
    if (r == ChatInput::Read::kInterrupted) interrupted = true;
    if (r != ChatInput::Read::kLine) return false;
    if (!input_.is_tty()) std::cout << line << "\n";  // the transcript shows the answer
    return true;
  };
  if (e.type == event_type::kApprovalNeeded) {
    printer_.print_approval(e);
    std::string call_id(find_string(e.data, "call_id"));
    while (true) {
      std::cout << printer_.paint("1", "Allow?")
                << " [y] once, [n] no, [a] for this conversation, [never] never in it: ";
      std::cout.flush();
      if (!read()) {
        if (!interrupted) std::cout << "\n(end of input: denied)\n";
        engine_->answer_approval(conversation_, call_id, ApprovalChoice::kDenyOnce);
        return;
      }
      if (auto choice = parse_approval_choice(line)) {
        engine_->answer_approval(conversation_, call_id, *choice);
        return;
      }
      if (!input_.is_tty()) {
        std::cout << "(not an answer: denied)\n";
        engine_->answer_approval(conversation_, call_id, ApprovalChoice::kDenyOnce);
        return;
      }
      std::cout << "answer y, n, a or never\n";
    }
  }
  std::string request_id(find_string(e.data, "request_id"));
  if (e.type == event_type::kSamplingRequest) {
    printer_.print_sampling(e);
    std::cout << printer_.paint("1", "Run it on the model?") << " [y/n]: ";
    std::cout.flush();
    bool yes = read() && parse_approval_choice(line) == ApprovalChoice::kAllowOnce;
    engine_->answer_sampling(conversation_, request_id, yes);
    return;
  }
  printer_.print_elicitation(e);
  if (find_string(e.data, "mode") == "url") {
    open_in_browser(std::string(find_string(e.data, "url")));
    std::cout << "Answer [y] when done, [n] to decline, anything else cancels: ";
    std::cout.flush();
    ElicitationResponse r = ElicitationResponse::cancel();
    if (read()) {
      if (line == "y") r = ElicitationResponse::accept();
      if (line == "n") r = ElicitationResponse::decline();
    }
    engine_->answer_elicitation(conversation_, request_id, r);
    return;
  }
  std::cout << (input_.is_tty() ? "Answer? [y] fill in, [n] decline, [c] cancel: "
                                : "Answer (a JSON object, n to decline, c to cancel): ");
  std::cout.flush();
  ElicitationResponse r = ElicitationResponse::cancel();
  if (read()) {
    if (line == "n" || line == "decline") {
      r = ElicitationResponse::decline();
    } else if (!line.empty() && line.front() == '{') {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (!ec && v.is_object()) {
        r = ElicitationResponse::accept(v.get_object());
      } else {
        std::cout << "(not a JSON object: cancelled)\n";
      }
    } else if (line == "y" && input_.is_tty()) {
      bool ended = false;
      const json::value* schema = find(e.data, "schema");
      json::object content = ask_form(
          input_, schema && schema->is_object() ? schema->get_object() : json::object(), ended);
      if (!ended) r = ElicitationResponse::accept(std::move(content));
    }
  }
  engine_->answer_elicitation(conversation_, request_id, r);
}

void ChatSession::print_connectors() {
  auto statuses = on_io(io_, [&] { return pool_->statuses(); });
  for (const auto& s : statuses) {
    std::cout << terminal_safe(s.name) << ": " << to_string(s.state);
    if (s.state == ConnectorState::kConnected) std::cout << " (" << s.tools.size() << " tools)";
    if (!s.reason.empty()) std::cout << " - " << terminal_safe(s.reason);
    std::cout << "\n";
  }
  if (statuses.empty()) std::cout << "no connectors (mcpp connectors add ...)\n";
}

void ChatSession::print_tools() {
  auto connectors = on_io(io_, [&] { return chat_connectors(*pool_, store_, names_); });
  for (const auto& c : connectors) {
    for (const auto& t : c.tools) {
      ToolTraits traits = classify_tool(t.info.annotations, c.trusted, t.accepted);
      std::cout << terminal_safe(c.name) << "/" << terminal_safe(t.info.name) << "  "
                << (traits.read ? "read" : "write") << (t.enabled ? "" : "  disabled")
                << (t.accepted ? "" : "  changed (mcpp connectors accept)")
                << (readonly_ && !traits.read ? "  not offered (read-only)" : "") << "\n";
    }
  }
  if (connectors.empty()) std::cout << "no connected connectors\n";
}

bool ChatSession::command(const std::string& line, bool& quit) {
  if (line == "/quit" || line == "/exit") {
    quit = true;
  } else if (line == "/new") {
    conversation_ = on_io(io_, [&] {
      return engine_->start({.title = "", .connectors = names_, .read_only = readonly_});
    });
    titled_ = false;
    std::cout << "conversation: " << conversation_ << "\n";
  } else if (line == "/readonly") {
    readonly_ = !readonly_;
    engine_->set_readonly(conversation_, readonly_);
    std::cout << (readonly_ ? "read-only: only reads are offered to the model\n"
                            : "read-only off: writes are offered (and asked)\n");
  } else if (line == "/connectors") {
    print_connectors();
  } else if (line == "/tools") {
    print_tools();
  } else if (line == "/help") {
    std::cout << "/connectors /tools /readonly /new /quit; /CONNECTOR:PROMPT args uses a prompt; "
                 "@CONNECTOR:URI attaches a resource\n";
  } else {
    return false;
  }
  return true;
}

int ChatSession::run() {
  // The model.
  ModelConfig model;
  model.base_url =
      !args_.llm_url.empty() ? args_.llm_url : store_.config("model_url").value_or(model.base_url);
  model.model = !args_.model.empty() ? args_.model : store_.config("model").value_or("");
  model.api_key_env = !args_.api_key_env.empty()
                          ? args_.api_key_env
                          : store_.config("api_key_env").value_or("OPENAI_API_KEY");
  if (model.model.empty()) {
    std::cerr << "mcpp chat: no model: give --model NAME (or store one: mcpp host config --model "
                 "NAME)\n";
    return 2;
  }
  if (const char* key = std::getenv(model.api_key_env.c_str())) model.api_key = key;

  // The policy: the store's rules and the --policy file.
  std::vector<PolicyRule> rules = store_.policy_rules();
  if (!args_.policy_file.empty()) {
    auto file_rules = read_policy_file(args_.policy_file);
    rules.insert(rules.end(), file_rules.begin(), file_rules.end());
  }

  // The connectors.
  std::vector<ConnectorSpec> specs;
  if (args_.connectors.empty()) {
    for (auto& spec : store_.connectors()) {
      if (spec.enabled) specs.push_back(std::move(spec));
    }
  } else {
    for (const auto& name : args_.connectors) {
      ConnectorSpec spec = store_.connector(name);
      spec.enabled = true;  // named for this chat
      specs.push_back(std::move(spec));
    }
  }
  for (const auto& spec : specs) names_.push_back(spec.name);

  ModelClient model_client(io_.get_executor(), model);
  ChatServices services;
  services.model = [&model_client](ModelRequest request, ModelTextHandler on_text,
                                   std::stop_token stop, ModelRetryHandler on_retry) {
    return model_client.complete(std::move(request), std::move(on_text), stop, std::move(on_retry));
  };
  services.connectors = [this] { return chat_connectors(*pool_, store_, names_); };
  services.policy = [rules](const QualifiedTool& tool) {
    return decide(rules, tool.connector, tool.tool);
  };
  services.log = std::make_shared<StoreConversationLog>(store_);
  ChatEngineOptions engine_options;
  engine_options.max_steps = args_.max_steps;
  engine_options.model_name = model.model;
  engine_ = std::make_unique<ChatEngine>(io_.get_executor(), std::move(services), engine_options,
                                         [this](const ChatEvent& e) { queue_.push(e); });

  ConnectorHandlers handlers;
  ChatEngine* engine = engine_.get();
  handlers.elicitation = [engine](const std::string& connector, const ElicitationRequest& r) {
    return engine->elicitation_handler(connector)(r);
  };
  handlers.elicitation_url_mode = true;
  handlers.sampling = [engine](const std::string& connector, const json::object& params) {
    return engine->sampling_handler(connector)(params);
  };
  std::vector<std::string> roots = args_.roots;
  if (roots.empty()) roots.push_back(std::filesystem::current_path().string());
  for (const auto& dir : roots) {
    handlers.roots.push_back({root_uri(dir), std::filesystem::path(dir).filename().string()});
  }
  ConnectorPoolOptions pool_options;
  pool_options.client.info = {.name = "mcpp", .version = "0.1.0", .title = "mcpp chat"};
  std::vector<std::shared_ptr<auth::LoopbackRedirect>> listeners;
  cli::OAuthFlags oauth = args_.oauth;
  if (oauth.token_store.empty()) oauth.token_store = store_.token_store_path();
  pool_options.oauth = [&](const ConnectorSpec& spec) -> std::shared_ptr<HttpAuthProvider> {
    HttpTarget h;
    h.url = spec.url;
    auto listener = cli::setup_oauth(h, oauth, args_.verbose, io_.get_executor());
    if (listener) listeners.push_back(listener);
    return h.auth;
  };
  pool_options.on_tools_changed = [this](const ToolDiff& diff) {
    queue_.push(notice_event(conversation_,
                             "the tools of " + diff.connector + " changed:\n" + diff.text()));
  };
  if (args_.verbose) {
    pool_options.on_stderr = [](const std::string& name, std::string_view line) {
      std::cerr << "[" << name << "] " << terminal_safe(line) << "\n";
    };
  }
  pool_ = std::make_unique<ConnectorPool>(io_.get_executor(), store_, pool_options, handlers);

  auto work = asio::make_work_guard(io_);
  std::thread io_thread([this] { io_.run(); });
  struct Joiner {
    ChatSession* s;
    std::thread& t;
    std::vector<std::shared_ptr<auth::LoopbackRedirect>>& listeners;
    decltype(work)& guard;
    ~Joiner() {
      try {
        asio::co_spawn(s->io_, s->pool_->close(), asio::use_future).get();
      } catch (const std::exception&) {
      }
      asio::post(s->io_, [this] {
        for (auto& l : listeners) l->close();
      });
      guard.reset();
      s->io_.stop();
      t.join();
    }
  } joiner{this, io_thread, listeners, work};

  auto started = std::chrono::steady_clock::now();
  asio::co_spawn(io_, pool_->connect(specs), asio::use_future).get();
  for (const auto& s : on_io(io_, [&] { return pool_->statuses(); })) {
    if (s.state == ConnectorState::kConnected) {
      if (args_.verbose || input_.is_tty()) {
        std::cerr << "connector " << terminal_safe(s.name) << ": connected, " << s.tools.size()
                  << " tools\n";
      }
    } else {
      std::cerr << "connector " << terminal_safe(s.name) << ": " << to_string(s.state)
                << (s.reason.empty() ? "" : ": " + terminal_safe(s.reason)) << "\n";
    }
    for (const auto& w : s.warnings) {
      std::cerr << "connector " << terminal_safe(s.name) << ": warning: " << terminal_safe(w)
                << "\n";
    }
  }
  if (args_.verbose) {
    std::cerr << "connected in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";
  }

  readonly_ = args_.readonly;
  if (!args_.conversation.empty()) {
    on_io(io_, [&] { engine_->resume(args_.conversation); });
    conversation_ = args_.conversation;
    titled_ = true;
    if (args_.readonly) engine_->set_readonly(conversation_, true);
    readonly_ = args_.readonly || store_.find_conversation(conversation_)->read_only;
  } else {
    conversation_ = on_io(io_, [&] {
      return engine_->start({.title = "", .connectors = names_, .read_only = readonly_});
    });
  }
  std::cout << "conversation: " << conversation_ << "\n";
  std::cout.flush();

  if (!args_.message.empty()) {
    TurnEnd end = turn(args_.message);
    return end == TurnEnd::kDone ? 0 : end == TurnEnd::kQuit ? 130 : 1;
  }
  if (input_.is_tty()) {
    std::cout << "Type a message; /help lists the commands; Ctrl-C cancels a turn, twice quits.\n";
  }
  while (true) {
    if (input_.is_tty()) {
      std::cout << printer_.paint("1;34", "> ");
      std::cout.flush();
    }
    std::string line;
    auto r = input_.read_line(line);
    if (r == ChatInput::Read::kInterrupted) {
      std::cout << "\n";
      return 130;
    }
    if (r == ChatInput::Read::kEnd) return 0;
    if (line.empty()) continue;
    bool quit = false;
    if (line.front() == '/' && command(line, quit)) {
      if (quit) return 0;
      continue;
    }
    if (turn(line) == TurnEnd::kQuit) return 130;
  }
}

int run_chat(const ChatArgs& args) {
  try {
    HostStore store(args.host_db.empty() ? HostStore::default_path() : args.host_db);
    if (args.list) {
      std::cout << terminal_safe(cli::conversation_list(store));
      return 0;
    }
    if (!args.export_id.empty()) {
      std::cout << terminal_safe(cli::export_conversation(store, args.export_id, args.format));
      return 0;
    }
    if (!args.conversation.empty() && !store.find_conversation(args.conversation)) {
      std::cerr << "mcpp chat: no conversation " << terminal_safe(args.conversation)
                << " (mcpp chat --list shows them)\n";
      return 2;
    }
    ChatInput input;
    bool color = ::isatty(1) == 1 && !std::getenv("NO_COLOR");
    ChatPrinter printer(color);
    ChatSession session(args, store, input, printer);
    return session.run();
  } catch (const HostStoreError& e) {
    std::cerr << "mcpp chat: " << terminal_safe(e.what()) << "\n";
    return 2;
  } catch (const PolicyError& e) {
    std::cerr << "mcpp chat: " << terminal_safe(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mcpp chat: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  auto* chat = app.add_subcommand("chat", "Chat with a model that calls your connectors' tools");
  chat->add_option("--message", args->message, "Run one user turn and exit (0 done, 1 error)");
  chat->add_option("--conversation", args->conversation, "Continue this conversation");
  chat->add_flag("--list", args->list, "List the stored conversations");
  chat->add_option("--export", args->export_id, "Print a conversation");
  chat->add_option("--format", args->format, "Export format")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
  chat->add_option("--connector", args->connectors,
                   "A connector to use (repeatable; default: every enabled one)");
  chat->add_flag("--readonly", args->readonly, "Offer the model only tools that change nothing");
  chat->add_option("--llm-url", args->llm_url,
                   "OpenAI-compatible base URL (default: mcpp host config, else "
                   "https://api.openai.com/v1)");
  chat->add_option("--model", args->model, "The model (default: mcpp host config)");
  chat->add_option("--api-key-env", args->api_key_env,
                   "The environment variable with the API key (default: OPENAI_API_KEY)");
  chat->add_option("--policy", args->policy_file,
                   "A policy file: lines 'allow|ask|deny CONNECTOR/TOOL-GLOB'");
  chat->add_option(
      "--root", args->roots,
      "A directory offered to servers as a root (repeatable; default: the current one)");
  chat->add_option("--host-db", args->host_db,
                   "The host store (default: $MCPP_HOST_DB, else "
                   "$XDG_DATA_HOME/mcpp/host.sqlite)");
  chat->add_option("--max-steps", args->max_steps, "Model calls per user message")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  chat->add_flag("-v,--verbose", args->verbose, "Show servers' stderr and timings");
  cli::add_oauth_options(chat, args->oauth);
  chat->callback([args] { throw CLI::RuntimeError(run_chat(*args)); });
}
