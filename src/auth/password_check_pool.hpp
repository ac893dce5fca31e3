// Password checks (PBKDF2, ~0.1-0.5 s of CPU each) on a small thread pool of their own, so that
// the HTTP server's I/O threads keep answering other requests while sign-ins are checked. The
// pool takes a bounded number of checks at once (running + waiting); beyond that it says busy.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>
#include <optional>

#include "mcpp/server.hpp"

namespace mcpp::auth {

class PasswordCheckPool {
 public:
  // `threads` worker threads; at most `max_checks` checks admitted at once (>= threads).
  PasswordCheckPool(std::size_t threads, std::size_t max_checks);
  ~PasswordCheckPool();  // waits for running checks
  PasswordCheckPool(const PasswordCheckPool&) = delete;
  PasswordCheckPool& operator=(const PasswordCheckPool&) = delete;

  // Runs `check` on a pool thread; the awaiting coroutine resumes on its own executor with the
  // answer. std::nullopt, without running it, when max_checks are already admitted. An
  // exception `check` throws is rethrown to the awaiting coroutine. `check` is the caller's (a
  // named local of the awaiting coroutine) and must live until the co_await returns: no copy of
  // it is made (GCC 12 mishandles a callable temporary passed into a coroutine inside co_await).
  Task<std::optional<bool>> run(const std::function<bool()>& check);

  std::size_t admitted() const { return admitted_.load(); }
  // True when run() would say busy now (a hint: another check may start or end meanwhile).
  bool full() const { return admitted_.load() >= max_checks_; }

 private:
  boost::asio::thread_pool pool_;
  const std::size_t max_checks_;
  std::atomic<std::size_t> admitted_{0};
};

}  // namespace mcpp::auth
