// TaskStore: task records, their status transitions, input parking and expiry.
#include "server/tasks.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <utility>

#include "protocol/timestamp.hpp"

namespace mcpp {

namespace {

std::string new_task_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no random bytes for a task id");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kDigits[b >> 4];
    id += kDigits[b & 15];
  }
  return id;
}

}  // namespace

void TaskStore::expire_locked(std::chrono::system_clock::time_point now) {
  std::erase_if(tasks_, [&](const auto& kv) {
    return terminal(kv.second) && kv.second.updated + options_.ttl < now;
  });
}

std::string TaskStore::create(std::string owner) {
  auto now = std::chrono::system_clock::now();
  std::string id = new_task_id();
  std::lock_guard lock(mu_);
  expire_locked(now);
  std::size_t active = 0;
  for (const auto& [k, r] : tasks_) active += terminal(r) ? 0 : 1;
  if (active >= options_.max_active) return {};
  Record& r = tasks_[id];
  r.owner = std::move(owner);
  r.created = r.updated = now;
  return id;
}

json::object TaskStore::handle_locked(const std::string& id, const Record& r) const {
  return {{"taskId", id},
          {"status", r.status},
          {"createdAt", protocol::rfc3339_utc(r.created)},
          {"lastUpdatedAt", protocol::rfc3339_utc(r.updated)},
          {"ttlMs", static_cast<std::int64_t>(options_.ttl.count())},
          {"pollIntervalMs", static_cast<std::int64_t>(options_.poll_interval.count())}};
}

json::object TaskStore::handle(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  return it == tasks_.end() ? json::object{} : handle_locked(id, it->second);
}

std::optional<json::object> TaskStore::describe(const std::string& id, std::string_view owner) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second.owner != owner) return std::nullopt;
  const Record& r = it->second;
  json::object out = handle_locked(id, r);
  if (r.status == "completed") out["result"] = r.result;
  if (r.status == "failed" && r.error) {
    json::object e{{"code", r.error->code}, {"message", r.error->message}};
    if (!r.error->data.is_null()) e["data"] = r.error->data;
    out["error"] = std::move(e);
  }
  if (r.status == "input_required") {
    json::object asks;
    for (const auto& p : r.pending) {
      asks[p.key] = json::object{{"method", p.method}, {"params", p.params}};
    }
    out["inputRequests"] = std::move(asks);
  }
  return out;
}

void TaskStore::complete(const std::string& id, json::object result) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || terminal(it->second)) return;
  it->second.status = "completed";
  it->second.result = std::move(result);
  it->second.pending.clear();
  it->second.wake = nullptr;
  it->second.updated = std::chrono::system_clock::now();
}

void TaskStore::fail(const std::string& id, const jsonrpc::Error& error) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || terminal(it->second)) return;
  it->second.status = "failed";
  it->second.error = error;
  it->second.pending.clear();
  it->second.wake = nullptr;
  it->second.updated = std::chrono::system_clock::now();
}

bool TaskStore::cancel(const std::string& id, std::string_view owner) {
  std::function<void()> wake;
  std::stop_source stop;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.owner != owner) return false;
    Record& r = it->second;
    if (terminal(r)) return true;  // idempotent
    r.status = "cancelled";
    r.pending.clear();
    r.updated = std::chrono::system_clock::now();
    stop = r.stop;
    wake = std::exchange(r.wake, nullptr);
  }
  // The handler's stop callbacks run here: not under the store's lock.
  stop.request_stop();
  if (wake) wake();
  return true;
}

std::stop_token TaskStore::stop_token(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  return it == tasks_.end() ? std::stop_token() : it->second.stop.get_token();
}

std::optional<std::vector<json::value>> TaskStore::take_answers(const std::string& id,
                                                                const std::vector<Pending>& asks,
                                                                std::function<void()> wake) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  Record& r = it->second;
  std::vector<json::value> answers;
  std::vector<Pending> missing;
  for (const auto& a : asks) {
    if (const json::value* v = find(r.answers, a.key)) {
      answers.push_back(*v);
    } else {
      missing.push_back(a);
    }
  }
  if (missing.empty()) {
    if (r.status == "input_required") {
      r.status = "working";
      r.updated = std::chrono::system_clock::now();
    }
    return answers;
  }
  if (!terminal(r) && r.status != "input_required") {
    r.status = "input_required";
    r.pending = std::move(missing);
    r.updated = std::chrono::system_clock::now();
  }
  r.wake = std::move(wake);
  return std::nullopt;
}

bool TaskStore::update(
    const std::string& id, const json::object& responses,
    const std::function<void(std::string_view, std::string_view, const json::value&)>& validate,
    std::string_view owner) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it != tasks_.end() && it->second.owner != owner) return false;
    if (it == tasks_.end()) return false;
    Record& r = it->second;
    for (const auto& p : r.pending) {
      if (const json::value* v = find(responses, p.key)) validate(p.key, p.method, *v);
    }
    std::erase_if(r.pending, [&](const Pending& p) {
      const json::value* v = find(responses, p.key);
      if (!v) return false;
      r.answers[p.key] = *v;
      return true;
    });
    r.updated = std::chrono::system_clock::now();
    wake = r.wake;
  }
  if (wake) wake();
  return true;
}

}  // namespace mcpp
