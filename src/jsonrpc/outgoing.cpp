// Outgoing request slots: a one-element concurrent channel per request, raced against a timer.
#include "jsonrpc/outgoing.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpp::jsonrpc {
namespace asio = boost::asio;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Message)>;

class OutgoingRequests::Slot {
 public:
  Slot(const asio::any_io_executor& ex, json::value id) : id_(std::move(id)), channel_(ex, 1) {}
  json::value id_;
  Channel channel_;
};

namespace {
std::string key_of(const json::value& id) {
  return json::serialize(id);
}
}  // namespace

OutgoingRequests::OutgoingRequests() = default;
OutgoingRequests::~OutgoingRequests() = default;

std::shared_ptr<OutgoingRequests::Slot> OutgoingRequests::open(const asio::any_io_executor& ex) {
  std::lock_guard lock(mu_);
  json::value id = ++next_;
  auto slot = std::make_shared<Slot>(ex, id);
  slots_.emplace(key_of(id), slot);
  return slot;
}

const json::value& OutgoingRequests::id_of(const Slot& slot) {
  return slot.id_;
}

asio::awaitable<json::value> OutgoingRequests::wait(std::shared_ptr<Slot> slot,
                                                    std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  boost::system::error_code ec;
  auto outcome =
      co_await (slot->channel_.async_receive(asio::redirect_error(asio::use_awaitable, ec)) ||
                timer.async_wait(asio::use_awaitable));
  {
    std::lock_guard lock(mu_);
    slots_.erase(key_of(slot->id_));
  }
  if (outcome.index() == 1) {
    throw RpcError(kRequestTimeout,
                   "Request timed out after " + std::to_string(timeout.count()) + " ms");
  }
  if (ec) throw RpcError(kConnectionClosed, "Request abandoned: " + ec.message());
  Message m = std::move(std::get<0>(outcome));
  if (m.kind == Kind::kError) throw RpcError(m.error.code, m.error.message, m.error.data);
  co_return std::move(m.result);
}

bool OutgoingRequests::resolve(const Message& response) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(key_of(response.id));
    if (it == slots_.end()) return false;
    slot = it->second;
    slots_.erase(it);
  }
  slot->channel_.try_send(boost::system::error_code{}, response);
  return true;
}

void OutgoingRequests::fail(const json::value& id, Error error) {
  Message m;
  m.kind = Kind::kError;
  m.id = id;
  m.error = std::move(error);
  resolve(m);
}

void OutgoingRequests::fail_all(const Error& error) {
  std::map<std::string, std::shared_ptr<Slot>, std::less<>> slots;
  {
    std::lock_guard lock(mu_);
    slots.swap(slots_);
  }
  for (auto& [k, slot] : slots) {
    Message m;
    m.kind = Kind::kError;
    m.id = slot->id_;
    m.error = error;
    slot->channel_.try_send(boost::system::error_code{}, std::move(m));
  }
}

std::size_t OutgoingRequests::size() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace mcpp::jsonrpc
