// Sign-in throttling: growing delays per user name, a cap per non-loopback address.
#include "auth/login_throttle.hpp"

#include <algorithm>
#include <cctype>

#include "transport/http_security.hpp"

namespace mcpp::auth {

namespace {

constexpr std::size_t kMaxEntries = 10'000;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The wait after `failures` failures in the window: none for the first kFreeFailures, then 1 s
// doubling up to kMaxDelay.
std::int64_t delay_after(std::size_t failures) {
  if (failures < LoginThrottle::kFreeFailures) return 0;
  std::size_t doublings = failures - LoginThrottle::kFreeFailures;
  if (doublings >= 6) return LoginThrottle::kMaxDelay;
  return std::min<std::int64_t>(std::int64_t{1} << doublings, LoginThrottle::kMaxDelay);
}

}  // namespace

bool LoginThrottle::loopback_peer(std::string_view a) {
  return is_loopback_host(a);
}

void LoginThrottle::prune(Entry& e, std::int64_t now) {
  std::erase_if(e.failures, [now](std::int64_t t) { return t <= now - kWindow; });
}

void LoginThrottle::forget_stale(std::int64_t now) {
  for (auto* map : {&users_, &peers_}) {
    if (map->size() < kMaxEntries) continue;
    std::erase_if(*map, [now](const auto& entry) {
      return entry.second.not_before <= now &&
             (entry.second.failures.empty() || entry.second.failures.back() <= now - kWindow);
    });
    // Still full of fresh entries (names are the caller's to invent): keep those that must
    // wait now, and start over only if even they fill it, rather than grow without bound.
    if (map->size() >= kMaxEntries) {
      std::erase_if(*map, [now](const auto& entry) {
        return entry.second.not_before <= now && entry.second.failures.size() < kPeerLimit;
      });
    }
    if (map->size() >= kMaxEntries) map->clear();
  }
}

std::optional<std::int64_t> LoginThrottle::begin(std::string_view user,
                                                 std::string_view peer_address, std::int64_t now) {
  std::lock_guard lock(mutex_);
  forget_stale(now);
  const bool count_peer = !loopback_peer(peer_address);
  Entry* peer = nullptr;
  if (count_peer) {
    peer = &peers_[std::string(peer_address)];
    prune(*peer, now);
    if (peer->failures.size() >= kPeerLimit) {
      return std::max<std::int64_t>(1, peer->failures.front() + kWindow - now);
    }
  }
  Entry& u = users_[lowercase(user)];
  prune(u, now);
  if (now < u.not_before) return u.not_before - now;
  // Counted now, as if it will fail: a concurrent attempt sees it at once.
  u.failures.push_back(now);
  u.not_before = now + delay_after(u.failures.size());
  if (peer) peer->failures.push_back(now);
  return std::nullopt;
}

void LoginThrottle::succeeded(std::string_view user, std::string_view peer_address,
                              std::int64_t now) {
  std::lock_guard lock(mutex_);
  users_.erase(lowercase(user));
  auto it = peers_.find(std::string(peer_address));
  if (it == peers_.end()) return;
  auto& failures = it->second.failures;
  auto mine = std::find(failures.rbegin(), failures.rend(), now);
  if (mine != failures.rend()) failures.erase(std::next(mine).base());
}

}  // namespace mcpp::auth
