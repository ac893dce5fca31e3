// The tasks extension (io.modelcontextprotocol/tasks) of the stateless revision: tool calls that
// go on in the background after answering with a task handle, polled with tasks/get, given input
// with tasks/update and stopped with tasks/cancel. Tasks live in this process's memory.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "jsonrpc/message.hpp"
#include "mcpp/server.hpp"

namespace mcpp {

inline constexpr std::string_view kTasksExtension = "io.modelcontextprotocol/tasks";

class TaskStore {
 public:
  struct Options {
    std::chrono::milliseconds ttl{std::chrono::hours(1)};  // kept this long after the last change
    std::chrono::milliseconds poll_interval{500};
    std::size_t max_active = 10'000;  // tasks not yet finished; beyond it calls run in the call
  };
  explicit TaskStore(Options options) : options_(options) {}

  // A new task, working, retrievable at once; empty when max_active tasks are running. `owner`:
  // the subject of the token that started it ("" without authorization); only the same owner
  // may get, update or cancel it (others are told it does not exist).
  std::string create(std::string owner = {});
  // The task as tasks/get shows it; null when unknown, expired or another owner's.
  std::optional<json::object> describe(const std::string& id, std::string_view owner = {});
  // The CreateTaskResult fields of a new task.
  json::object handle(const std::string& id);

  // The handler finished (a result) or failed (a protocol error); ignored once cancelled.
  void complete(const std::string& id, json::object result);
  void fail(const std::string& id, const jsonrpc::Error& error);
  // tasks/cancel: false when unknown (or another owner's).
  bool cancel(const std::string& id, std::string_view owner = {});
  // The task's cancellation, for its handler.
  std::stop_token stop_token(const std::string& id);

  // The handler waits for input: answered keys come back at once; otherwise the task shows
  // input_required with the pending requests until tasks/update answers them all.
  // `wake` is called (from any thread) whenever an answer arrives or the task is cancelled.
  struct Pending {
    std::string key;
    std::string method;
    json::object params;
  };
  // Returns the answers when every key has one; otherwise parks the task (once) and returns
  // nothing.
  std::optional<std::vector<json::value>> take_answers(const std::string& id,
                                                       const std::vector<Pending>& asks,
                                                       std::function<void()> wake);
  // tasks/update: validates and stores answers to pending keys (others are ignored). False when
  // the task is unknown. `validate` throws RpcError for a malformed answer.
  bool update(const std::string& id, const json::object& responses,
              const std::function<void(std::string_view key, std::string_view method,
                                       const json::value& answer)>& validate,
              std::string_view owner = {});

 private:
  struct Record {
    std::string owner;
    std::string status = "working";
    std::chrono::system_clock::time_point created, updated;
    json::object result;
    std::optional<jsonrpc::Error> error;
    std::vector<Pending> pending;
    json::object answers;
    std::stop_source stop;
    std::function<void()> wake;
  };
  void expire_locked(std::chrono::system_clock::time_point now);
  json::object handle_locked(const std::string& id, const Record& r) const;
  static bool terminal(const Record& r) {
    return r.status == "completed" || r.status == "failed" || r.status == "cancelled";
  }

  const Options options_;
  std::mutex mu_;
  std::map<std::string, Record, std::less<>> tasks_;
};

}  // namespace mcpp
