// Password hashes of the authorization server's users (PBKDF2-HMAC-SHA256 with a per-user salt)
// and the users file that holds them.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp::auth {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
inline constexpr int kDefaultPasswordIterations = 600'000;

// "pbkdf2-sha256$<iterations>$<salt, base64url>$<32-byte key, base64url>" with a fresh 16-byte
// salt. Throws std::invalid_argument when iterations is below 1,000 or above 10,000,000.
std::string hash_password(std::string_view password, int iterations = kDefaultPasswordIterations);
// True when `password` matches `encoded` (as hash_password makes it); false for a malformed hash.
bool verify_password(std::string_view password, std::string_view encoded);

// One "user:hash" per line; blank lines and lines starting with '#' are skipped. User names are
// 1-64 characters of letters, digits and "._@-". Reloaded when the file changes.
class UsersFile {
 public:
  // Reads the file; throws std::runtime_error (with the line number) when it is malformed.
  explicit UsersFile(std::filesystem::path path);

  // True when `user` exists and `password` matches. Takes about as long for unknown users.
  bool check(std::string_view user, std::string_view password);
  // True when `user` is (still) in the file.
  bool contains(std::string_view user);
  // A fingerprint of `user`'s current password hash (SHA-256 hex of the users-file entry), or
  // std::nullopt when the user is not in the file. Grants and sign-in sessions record it: a
  // removed user or a changed password no longer matches, and what was granted stops working.
  std::optional<std::string> credential(std::string_view user);
  std::size_t size();

  // Parses the text of a users file; throws std::runtime_error naming the bad line.
  static std::map<std::string, std::string, std::less<>> parse(std::string_view text);

 private:
  void reload_if_changed();

  std::filesystem::path path_;
  std::mutex mutex_;
  std::filesystem::file_time_type mtime_{};
  std::map<std::string, std::string, std::less<>> users_;
};

}  // namespace mcpp::auth
