// Terminal input and event rendering for `mcpp chat`.
#include "chat_terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "terminal_text.hpp"

namespace mcpp::cli {
namespace {

std::atomic<int> g_interrupts{0};
int g_wake[2] = {-1, -1};

extern "C" void on_sigint(int) {
  g_interrupts.fetch_add(1);
  if (g_wake[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = ::write(g_wake[1], &c, 1);
  }
}

void drain_wake_pipe() {
  char buf[64];
  while (::read(g_wake[0], buf, sizeof buf) > 0) {
  }
}

std::string safe(std::string_view text) {
  return terminal_safe(text);
}

std::string string_of(const json::object& o, std::string_view key) {
  return std::string(find_string(o, key));
}

bool flag(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  return v && v->is_bool() && v->get_bool();
}

}  // namespace

ChatInput::ChatInput() {
  tty_ = ::isatty(0) == 1;
  if (::pipe(g_wake) == 0) {
    ::fcntl(g_wake[0], F_SETFL, O_NONBLOCK);
    ::fcntl(g_wake[1], F_SETFL, O_NONBLOCK);
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns
  ::sigaction(SIGINT, &sa, nullptr);
}

ChatInput::~ChatInput() {
  ::signal(SIGINT, SIG_DFL);
  for (int& fd : g_wake) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

int ChatInput::take_interrupts() {
  drain_wake_pipe();
  return g_interrupts.exchange(0);
}

bool ChatInput::wait_interrupt(int ms) {
  if (g_interrupts.load() > 0) return true;
  pollfd p{g_wake[0], POLLIN, 0};
  ::poll(&p, 1, ms);
  return g_interrupts.load() > 0;
}

ChatInput::Read ChatInput::read_line(std::string& line) {
  while (true) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      buffer_.erase(0, nl + 1);
      return Read::kLine;
    }
    if (ended_) {
      if (buffer_.empty()) return Read::kEnd;
      line = std::move(buffer_);
      buffer_.clear();
      return Read::kLine;
    }
    if (g_interrupts.load() > 0) return Read::kInterrupted;
    pollfd fds[2] = {{0, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno != EINTR) return Read::kEnd;
    if (g_interrupts.load() > 0) return Read::kInterrupted;
    if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t got = ::read(0, buf, sizeof buf);
      if (got > 0) {
        buffer_.append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ended_ = true;
      }
    }
  }
}

std::string pretty_json(const json::value& value, int indent) {
  std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (value.is_object()) {
    const auto& o = value.get_object();
    if (o.empty()) return "{}";
    std::string out = "{\n";
    bool first = true;
    for (const auto& member : o) {
      if (!first) out += ",\n";
      first = false;
      out += inner + json::serialize(json::value(member.key())) + ": " +
             pretty_json(member.value(), indent + 1);
    }
    return out + "\n" + pad + "}";
  }
  if (value.is_array()) {
    const auto& a = value.get_array();
    if (a.empty()) return "[]";
    std::string out = "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out += ",\n";
      out += inner + pretty_json(a[i], indent + 1);
    }
    return out + "\n" + pad + "]";
  }
  return json::serialize(value);
}

std::string ChatPrinter::paint(std::string_view code, std::string_view text) const {
  if (!color_) return std::string(text);
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

void ChatPrinter::end_text() {
  if (in_text_) std::cout << "\n";
  in_text_ = false;
  std::cout.flush();
}

void ChatPrinter::print(const host::ChatEvent& event) {
  namespace type = host::event_type;
  const json::object& d = event.data;
  if (event.type == type::kTextDelta) {
    std::cout << safe(find_string(d, "text"));
    std::cout.flush();
    in_text_ = true;
    return;
  }
  end_text();
  std::string connector = string_of(d, "connector");
  std::string label = (connector.empty() ? "" : safe(connector) + "/") + safe(string_of(d, "tool"));
  if (event.type == type::kToolCallProposed) {
    std::string args = json::serialize(d.contains("arguments") ? d.at("arguments") : json::value());
    if (args.size() > 200) args = args.substr(0, 200) + "...";
    std::cout << paint("36", "-> " + label) << " " << paint("2", safe(args))
              << (flag(d, "read") ? paint("2", " (read)") : "") << "\n";
  } else if (event.type == type::kToolProgress) {
    std::string line = "   progress " + json::serialize(d.at("progress"));
    if (d.contains("total")) line += "/" + json::serialize(d.at("total"));
    if (auto m = find_string(d, "message"); !m.empty()) line += " " + safe(m);
    std::cout << paint("2", line) << "\n";
  } else if (event.type == type::kToolResult) {
    std::string text = safe(string_of(d, "text"));
    if (text.size() > 600)
      text = text.substr(0, 600) + "... (" + std::to_string(text.size()) + " bytes)";
    std::string head = "<- " + label;
    if (flag(d, "declined")) {
      std::cout << paint("33", head + " not run (" + safe(string_of(d, "decided_by")) + ")")
                << "\n";
    } else if (string_of(d, "decision") == "invalid") {
      std::cout << paint("31", head + " refused") << "\n";
    } else {
      const json::value* ms = find(d, "duration_ms");
      head += " (" + (ms ? json::serialize(*ms) : std::string("?")) + " ms)";
      std::cout << paint(flag(d, "is_error") ? "31" : "32", head) << "\n";
    }
    std::cout << paint("2", text) << "\n";
  } else if (event.type == type::kNotice) {
    std::cout << paint("33", "note: " + safe(string_of(d, "message"))) << "\n";
  } else if (event.type == type::kError) {
    std::cerr << paint("31", "error: " + safe(string_of(d, "message"))) << "\n";
  }
  std::cout.flush();
}

void ChatPrinter::print_approval(const host::ChatEvent& event) {
  end_text();
  const json::object& d = event.data;
  std::string title = string_of(d, "title");
  std::cout << paint("1", "The model wants to call " + safe(string_of(d, "tool")) +
                              (title.empty() ? "" : " (" + safe(title) + ")") + " of connector " +
                              safe(string_of(d, "connector")))
            << "\n";
  if (flag(d, "destructive"))
    std::cout << "  " << paint("1;31", "! destructive: it may delete or overwrite") << "\n";
  if (flag(d, "open_world"))
    std::cout << "  " << paint("1;33", "! open world: it reaches outside the server") << "\n";
  if (!flag(d, "trusted"))
    std::cout << "  " << paint("33", "untrusted connector: its annotations are ignored") << "\n";
  if (!flag(d, "accepted")) {
    std::cout << "  " << paint("1;33", "its definition changed since you accepted it:") << "\n";
    for (std::string_view diff = find_string(d, "diff"); !diff.empty();) {
      auto nl = diff.find('\n');
      std::cout << "    " << safe(diff.substr(0, nl)) << "\n";
      diff = nl == std::string_view::npos ? std::string_view() : diff.substr(nl + 1);
    }
  }
  if (const json::value* a = find(d, "annotations");
      a && a->is_object() && !a->get_object().empty()) {
    std::cout << "  annotations: " << safe(json::serialize(*a)) << "\n";
  }
  std::cout << "  arguments:\n";
  std::string args = pretty_json(d.contains("arguments") ? d.at("arguments") : json::value(), 2);
  std::cout << "    " << safe(args) << "\n";
  std::cout.flush();
}

void ChatPrinter::print_elicitation(const host::ChatEvent& event) {
  end_text();
  const json::object& d = event.data;
  std::cout << paint("1", "The connector " + safe(string_of(d, "connector")) + " asks: ")
            << safe(string_of(d, "message")) << "\n";
  if (string_of(d, "mode") == "url") {
    std::cout << "  open: " << safe(string_of(d, "url")) << "\n";
  } else if (const json::value* s = find(d, "schema")) {
    std::cout << "  form: " << safe(pretty_json(*s, 1)) << "\n";
  }
  std::cout.flush();
}

void ChatPrinter::print_sampling(const host::ChatEvent& event) {
  end_text();
  const json::object& d = event.data;
  std::cout << paint("1", "The connector " + safe(string_of(d, "connector")) +
                              " asks to use the model with:")
            << "\n";
  if (auto s = find_string(d, "system_prompt"); !s.empty())
    std::cout << "  system: " << safe(s) << "\n";
  if (const json::value* m = find(d, "messages"); m && m->is_array()) {
    for (const auto& message : m->get_array()) {
      std::cout << "  " << safe(find_string(message, "role")) << ": "
                << safe(find_string(message, "text")) << "\n";
    }
  }
  std::cout.flush();
}

}  // namespace mcpp::cli
