// Per-client rate limits: a token bucket per key (a token's client and subject, or a peer
// address), and an HttpAuthorizer that applies them to every MCP request over HTTP, answering
// 429 with Retry-After when a client is over its limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mcpp/transport/http.hpp"

namespace mcpp::knowledge {

// JSON-RPC error code of a refused call (in the implementation-defined server error range).
inline constexpr int kRateLimited = -32029;

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_minute` requests a minute on average, bursts of up to `burst` at once.
  RateLimiter(double per_minute, double burst, std::size_t max_keys = 100'000);

  // Takes one token from `key`'s bucket: std::nullopt when allowed, else how long until the
  // next token (never less than 1 ms).
  std::optional<std::chrono::milliseconds> take(std::string_view key,
                                                Clock::time_point now = Clock::now());
  double per_minute() const { return per_second_ * 60; }
  double burst() const { return burst_; }
  std::size_t keys() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  void prune(Clock::time_point now);

  const double per_second_;
  const double burst_;
  const std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Whole seconds to tell a client in Retry-After (rounded up, at least 1).
std::int64_t retry_after_seconds(std::chrono::milliseconds wait);
// The JSON-RPC error a refused request gets (data.retryAfter in seconds), with the request's id
// when `message` is a single request.
json::value rate_limited_error(const json::value* message, std::int64_t retry_after);

// Wraps another authorizer (a resource server), or none: requests it refuses stay refused;
// those it lets through are counted against the bucket of the token's client and subject, or
// of the peer address for anonymous ones, and refused with 429 over the limit.
class RateLimitingAuthorizer final : public HttpAuthorizer {
 public:
  RateLimitingAuthorizer(std::shared_ptr<HttpAuthorizer> inner,
                         std::shared_ptr<RateLimiter> limiter);
  Task<HttpAuthDecision> authorize_request(const HttpAuthRequest& request) override;

 private:
  std::shared_ptr<HttpAuthorizer> inner_;
  std::shared_ptr<RateLimiter> limiter_;
};

// The bucket key of a caller: "client:<client_id>/<subject>" with a token, "peer:<address>".
std::string rate_limit_key(const AuthInfo* auth, std::string_view peer_address);

}  // namespace mcpp::knowledge
