// Token buckets and the rate-limiting HTTP authorizer (429, Retry-After, data.retryAfter; keyed
// by the token's client and subject, or the peer address).
#include "knowledge/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace kn = mcpp::knowledge;
using namespace std::chrono_literals;

namespace {

using Clock = kn::RateLimiter::Clock;

// An authorizer that refuses "Bearer bad", knows "Bearer alice" and "Bearer bob", and lets
// requests without a token through anonymously.
class FakeAuthorizer final : public mcpp::HttpAuthorizer {
 public:
  mcpp::Task<mcpp::HttpAuthDecision> authorize_request(
      const mcpp::HttpAuthRequest& request) override {
    std::string_view authorization = request.authorization;
    mcpp::HttpAuthDecision d;
    if (authorization == "Bearer bad") {
      d.refusal = mcpp::HttpReply{401, {{"WWW-Authenticate", "Bearer"}}, "no"};
    } else if (authorization.starts_with("Bearer ")) {
      auto info = std::make_shared<mcpp::AuthInfo>();
      info->subject = std::string(authorization.substr(7));
      info->client_id = "chatgpt";
      d.auth = info;
    }
    co_return d;
  }
};

mcpp::HttpAuthDecision run(mcpp::HttpAuthorizer& a, std::string_view authorization,
                           const mcpp::json::value* message, std::string_view peer) {
  boost::asio::io_context io;
  // The request outlives the coroutine, which holds a reference to it (as in the transport).
  mcpp::HttpAuthRequest request{authorization, message, peer};
  auto f = boost::asio::co_spawn(io, a.authorize_request(request), boost::asio::use_future);
  io.run();
  return f.get();
}

std::string header(const mcpp::HttpReply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

TEST(RateLimiter, BurstThenRefusalWithWait) {
  kn::RateLimiter limiter(60, 3);  // one a second, three at once
  auto t0 = Clock::now();
  EXPECT_FALSE(limiter.take("k", t0));
  EXPECT_FALSE(limiter.take("k", t0));
  EXPECT_FALSE(limiter.take("k", t0));
  auto wait = limiter.take("k", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1000ms);
  // Half a second later, half a token: half a second to go.
  auto later = limiter.take("k", t0 + 500ms);
  ASSERT_TRUE(later);
  EXPECT_EQ(*later, 500ms);
  EXPECT_FALSE(limiter.take("k", t0 + 1000ms));
  EXPECT_TRUE(limiter.take("k", t0 + 1000ms));
}

TEST(RateLimiter, RefillsUpToTheBurstOnly) {
  kn::RateLimiter limiter(600, 2);  // ten a second
  auto t0 = Clock::now();
  EXPECT_FALSE(limiter.take("k", t0));
  EXPECT_FALSE(limiter.take("k", t0));
  EXPECT_TRUE(limiter.take("k", t0));
  // An hour idle refills two tokens, not thousands.
  auto t1 = t0 + 1h;
  EXPECT_FALSE(limiter.take("k", t1));
  EXPECT_FALSE(limiter.take("k", t1));
  EXPECT_TRUE(limiter.take("k", t1));
  EXPECT_FALSE(limiter.take("k", t1 + 100ms));
}

TEST(RateLimiter, KeysAreIndependentAndBounded) {
  kn::RateLimiter limiter(60, 1, 100);
  auto t0 = Clock::now();
  EXPECT_FALSE(limiter.take("a", t0));
  EXPECT_TRUE(limiter.take("a", t0));
  EXPECT_FALSE(limiter.take("b", t0));
  for (int i = 0; i < 1000; ++i) limiter.take("flood-" + std::to_string(i), t0 + 1ms * i);
  EXPECT_LE(limiter.keys(), 100u);
}

TEST(RateLimiter, BadSettingsAreRefused) {
  EXPECT_THROW(kn::RateLimiter(0, 10), std::invalid_argument);
  EXPECT_THROW(kn::RateLimiter(-5, 10), std::invalid_argument);
}

TEST(RateLimiter, RetryAfterRoundsUp) {
  EXPECT_EQ(kn::retry_after_seconds(1ms), 1);
  EXPECT_EQ(kn::retry_after_seconds(1000ms), 1);
  EXPECT_EQ(kn::retry_after_seconds(1001ms), 2);
  EXPECT_EQ(kn::retry_after_seconds(59'500ms), 60);
}

TEST(RateLimitingAuthorizer, AnonymousCallersAreKeyedByAddress) {
  auto limiter = std::make_shared<kn::RateLimiter>(60, 2);
  kn::RateLimitingAuthorizer a(nullptr, limiter);
  auto msg = mcpp::json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/call"})");
  EXPECT_FALSE(run(a, "", &msg, "10.0.0.1").refusal);
  EXPECT_FALSE(run(a, "", &msg, "10.0.0.1").refusal);
  auto refused = run(a, "", &msg, "10.0.0.1");
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->status, 429);
  EXPECT_EQ(header(*refused.refusal, "Retry-After"), "1");
  EXPECT_EQ(header(*refused.refusal, "Content-Type"), "application/json");
  auto body = mcpp::json::parse(refused.refusal->body);
  EXPECT_EQ(body.at("id"), 7);
  EXPECT_EQ(body.at("error").at("code"), kn::kRateLimited);
  EXPECT_EQ(body.at("error").at("data").at("retryAfter"), 1);
  EXPECT_NE(std::string(body.at("error").at("message").as_string()).find("retry in 1 s"),
            std::string::npos);
  // Another address has its own bucket.
  EXPECT_FALSE(run(a, "", &msg, "10.0.0.2").refusal);
  // A GET (no message): the error's id is null.
  auto get = run(a, "", nullptr, "10.0.0.1");
  ASSERT_TRUE(get.refusal);
  EXPECT_TRUE(mcpp::json::parse(get.refusal->body).at("id").is_null());
}

TEST(RateLimitingAuthorizer, TokensAreKeyedBySubjectAndRefusalsPassThrough) {
  auto limiter = std::make_shared<kn::RateLimiter>(60, 1);
  kn::RateLimitingAuthorizer a(std::make_shared<FakeAuthorizer>(), limiter);
  auto alice = run(a, "Bearer alice", nullptr, "10.0.0.1");
  EXPECT_FALSE(alice.refusal);
  ASSERT_TRUE(alice.auth);
  EXPECT_EQ(alice.auth->subject, "alice");
  EXPECT_EQ(run(a, "Bearer alice", nullptr, "10.0.0.9").refusal->status, 429);  // same user
  EXPECT_FALSE(run(a, "Bearer bob", nullptr, "10.0.0.1").refusal);  // same address, other user
  EXPECT_FALSE(run(a, "", nullptr, "10.0.0.1").refusal);            // anonymous: the address
  // The inner authorizer's refusal stays a 401 and costs no token.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(a, "Bearer bad", nullptr, "10.0.0.3").refusal->status, 401);
  EXPECT_EQ(limiter->keys(), 3u);
  EXPECT_EQ(kn::rate_limit_key(alice.auth.get(), "x"), "client:chatgpt/alice");
  EXPECT_EQ(kn::rate_limit_key(nullptr, "::1"), "peer:::1");
}
