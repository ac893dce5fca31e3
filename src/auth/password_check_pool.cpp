// The password check pool: checks posted to a boost::asio::thread_pool, the result returned to
// the awaiting coroutine's executor, with a count of admitted checks as the queue bound.
#include "auth/password_check_pool.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpp::auth {

PasswordCheckPool::PasswordCheckPool(std::size_t threads, std::size_t max_checks)
    : pool_(std::max<std::size_t>(threads, 1)),
      max_checks_(std::max(max_checks, std::max<std::size_t>(threads, 1))) {}

PasswordCheckPool::~PasswordCheckPool() {
  pool_.join();
}

Task<std::optional<bool>> PasswordCheckPool::run(std::function<bool()> check) {
  if (admitted_.fetch_add(1) >= max_checks_) {
    admitted_.fetch_sub(1);
    co_return std::nullopt;
  }
  struct Release {
    std::atomic<std::size_t>& admitted;
    ~Release() { admitted.fetch_sub(1); }
  } release{admitted_};
  // co_spawn on the pool's executor: the check runs there; co_await resumes this coroutine on
  // the executor it was running on (an I/O thread of the HTTP server).
  bool ok = co_await boost::asio::co_spawn(
      pool_.get_executor(), [check = std::move(check)]() -> Task<bool> { co_return check(); },
      boost::asio::use_awaitable);
  co_return ok;
}

}  // namespace mcpp::auth
