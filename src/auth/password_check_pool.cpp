// The password check pool: checks posted to a boost::asio::thread_pool, the result posted back
// to the awaiting coroutine's executor, with a count of admitted checks as the queue bound.
#include "auth/password_check_pool.hpp"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace mcpp::auth {

PasswordCheckPool::PasswordCheckPool(std::size_t threads, std::size_t max_checks)
    : pool_(std::max<std::size_t>(threads, 1)),
      max_checks_(std::max(max_checks, std::max<std::size_t>(threads, 1))) {}

PasswordCheckPool::~PasswordCheckPool() {
  pool_.join();
}

Task<std::optional<bool>> PasswordCheckPool::run(const std::function<bool()>& check) {
  if (admitted_.fetch_add(1) >= max_checks_) {
    admitted_.fetch_sub(1);
    co_return std::nullopt;
  }
  struct Release {
    std::atomic<std::size_t>& admitted;
    ~Release() { admitted.fetch_sub(1); }
  } release{admitted_};
  // The check runs on the pool; the completion is posted back to the awaiting coroutine's
  // executor (an I/O thread of the HTTP server). Only a pointer to `check` travels: it is the
  // caller's, alive until this returns.
  const std::function<bool()>* job = &check;
  auto initiate = [this, job](auto handler) {
    auto home = boost::asio::get_associated_executor(handler);
    boost::asio::post(pool_, [handler = std::move(handler), home, job]() mutable {
      std::exception_ptr error;
      bool ok = false;
      try {
        ok = (*job)();
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::post(home, [handler = std::move(handler), error, ok]() mutable {
        std::move(handler)(error, ok);
      });
    });
  };
  bool ok = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(std::exception_ptr, bool)>(
      initiate, boost::asio::use_awaitable);
  co_return ok;
}

}  // namespace mcpp::auth
