// Throttling of password sign-ins on the login page: a growing delay per user name (never a long
// lockout, so nobody can lock a user out), and a cap per network address except loopback (behind
// a tunnel or proxy every user comes from 127.0.0.1). Thread-safe: an attempt is counted when it
// starts, so concurrent guesses cannot all pass the check before one of them fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mcpp::auth {

class LoginThrottle {
 public:
  // Failures are remembered this long.
  static constexpr std::int64_t kWindow = 900;
  // Failures per user name that cost nothing; each further one doubles the wait (1, 2, 4 s ...).
  static constexpr std::size_t kFreeFailures = 5;
  static constexpr std::int64_t kMaxDelay = 60;  // seconds: the longest wait a user name gets
  // Failures from one non-loopback address in the window before it must wait for the window.
  static constexpr std::size_t kPeerLimit = 10;

  // Starts an attempt for `user` (lowercased here) from `peer_address` at `now`: counts it as a
  // failure until succeeded() says otherwise. std::nullopt when it may go ahead, else how many
  // seconds to wait (nothing is counted then).
  std::optional<std::int64_t> begin(std::string_view user, std::string_view peer_address,
                                    std::int64_t now);
  // The attempt begun at `now` was right: the user name's failures are forgotten and the
  // address's provisional one taken back.
  void succeeded(std::string_view user, std::string_view peer_address, std::int64_t now);

  // Is this address a loopback one (mcpp::is_loopback_host: 127.0.0.0/8, ::1, ::ffff:127.x.y.z)?
  static bool loopback_peer(std::string_view address);

 private:
  struct Entry {
    std::vector<std::int64_t> failures;  // within the window, oldest first
    std::int64_t not_before = 0;         // user names: the next attempt's earliest time
  };
  static void prune(Entry& e, std::int64_t now);
  void forget_stale(std::int64_t now);

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> users_;
  std::unordered_map<std::string, Entry> peers_;
};

}  // namespace mcpp::auth
