// Token buckets per client, and the HTTP authorizer that answers 429 over the limit.
#include "knowledge/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

#include "jsonrpc/message.hpp"

namespace mcpp::knowledge {

RateLimiter::RateLimiter(double per_minute, double burst, std::size_t max_keys)
    : per_second_(per_minute / 60.0), burst_(std::max(1.0, burst)), max_keys_(max_keys) {
  if (!(per_minute > 0)) throw std::invalid_argument("rate limit: requests per minute must be > 0");
}

std::optional<std::chrono::milliseconds> RateLimiter::take(std::string_view key,
                                                           Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(now);
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.last) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  double wait_s = (1.0 - b.tokens) / per_second_;
  auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_s * 1000)));
  return std::max(wait, std::chrono::milliseconds(1));
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

void RateLimiter::prune(Clock::time_point now) {
  // Buckets that have refilled completely carry no state worth keeping.
  std::erase_if(buckets_, [&](const auto& kv) {
    double elapsed = std::chrono::duration<double>(now - kv.second.last).count();
    return kv.second.tokens + elapsed * per_second_ >= burst_;
  });
  // Still full (a flood of distinct keys): drop the least recently used half.
  if (buckets_.size() >= max_keys_) {
    std::vector<Clock::time_point> times;
    times.reserve(buckets_.size());
    for (const auto& kv : buckets_) times.push_back(kv.second.last);
    auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
    std::nth_element(times.begin(), mid, times.end());
    Clock::time_point cutoff = *mid;
    std::erase_if(buckets_, [&](const auto& kv) { return kv.second.last <= cutoff; });
  }
}

std::int64_t retry_after_seconds(std::chrono::milliseconds wait) {
  return std::max<std::int64_t>(1, (wait.count() + 999) / 1000);
}

json::value rate_limited_error(const json::value* message, std::int64_t retry_after) {
  json::value id = nullptr;
  if (message && message->is_object()) {
    if (const auto* i = message->get_object().if_contains("id")) id = *i;
  }
  return json::object{
      {"jsonrpc", "2.0"},
      {"id", id},
      {"error",
       {{"code", kRateLimited},
        {"message", "Rate limit exceeded: too many requests from this client; retry in " +
                        std::to_string(retry_after) + " s"},
        {"data", {{"retryAfter", retry_after}}}}}};
}

std::string rate_limit_key(const AuthInfo* auth, std::string_view peer_address) {
  if (auth) return "client:" + auth->client_id + "/" + auth->subject;
  return "peer:" + std::string(peer_address);
}

RateLimitingAuthorizer::RateLimitingAuthorizer(std::shared_ptr<HttpAuthorizer> inner,
                                               std::shared_ptr<RateLimiter> limiter)
    : inner_(std::move(inner)), limiter_(std::move(limiter)) {}

Task<HttpAuthDecision> RateLimitingAuthorizer::authorize_request(const HttpAuthRequest& request) {
  HttpAuthDecision decision;
  if (inner_) {
    decision = co_await inner_->authorize_request(request);
    if (decision.refusal) co_return decision;
  }
  auto wait = limiter_->take(rate_limit_key(decision.auth.get(), request.peer_address));
  if (!wait) co_return decision;
  std::int64_t seconds = retry_after_seconds(*wait);
  HttpReply reply;
  reply.status = 429;
  reply.headers = {{"Content-Type", "application/json"},
                   {"Retry-After", std::to_string(seconds)},
                   {"Cache-Control", "no-store"}};
  reply.body = json::serialize(rate_limited_error(request.message, seconds));
  co_return HttpAuthDecision{std::move(reply), nullptr};
}

}  // namespace mcpp::knowledge
