// The terminal side of `mcpp chat`: line input that Ctrl-C interrupts (a self-pipe woken by
// SIGINT), and the rendering of chat events (streamed text, tool calls, the approval question
// with the arguments as indented JSON, progress, results) with colours on a terminal.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "host/chat_events.hpp"
#include "mcpp/json.hpp"

namespace mcpp::cli {

// Lines from stdin; SIGINT (Ctrl-C) is counted and wakes a waiting read.
class ChatInput {
 public:
  ChatInput();  // installs the SIGINT handler
  ~ChatInput();
  ChatInput(const ChatInput&) = delete;
  ChatInput& operator=(const ChatInput&) = delete;

  bool is_tty() const { return tty_; }
  enum class Read { kLine, kEnd, kInterrupted };
  // Reads one line (without its newline).
  Read read_line(std::string& line);
  // The Ctrl-Cs since the last call.
  int take_interrupts();
  // Waits up to `ms` for a Ctrl-C; true when one came.
  bool wait_interrupt(int ms);

 private:
  bool tty_ = false;
  bool ended_ = false;
  std::string buffer_;
};

// Prints chat events for a person.
class ChatPrinter {
 public:
  explicit ChatPrinter(bool color) : color_(color) {}
  bool color() const { return color_; }
  // Streamed text, tool calls, progress, results, notices and errors (not the questions).
  void print(const host::ChatEvent& event);
  // The approval question: connector, tool, annotations (destructive and open-world marked), the
  // arguments as indented JSON, and the diff of a changed definition.
  void print_approval(const host::ChatEvent& event);
  void print_elicitation(const host::ChatEvent& event);
  void print_sampling(const host::ChatEvent& event);
  // Ends a line of streamed text, if one is open.
  void end_text();
  std::string paint(std::string_view code, std::string_view text) const;

 private:
  bool color_;
  bool in_text_ = false;
};

// JSON indented by two spaces per level, for people.
std::string pretty_json(const json::value& value, int indent = 0);

}  // namespace mcpp::cli
