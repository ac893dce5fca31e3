// PBKDF2-HMAC-SHA256 password hashes and the users file.
#include "auth/password_hash.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/crypto.hpp"

namespace mcpp::auth {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr int kMinIterations = 1'000;
constexpr int kMaxIterations = 10'000'000;
constexpr std::size_t kKeyBytes = 32;

std::string derive(std::string_view password, std::string_view salt, int iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return key;
}

struct ParsedHash {
  int iterations = 0;
  std::string salt;
  std::string key;
};

std::optional<ParsedHash> parse_hash(std::string_view encoded) {
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    auto dollar = encoded.find('$');
    if ((dollar == std::string_view::npos) != (i == 3)) return std::nullopt;
    parts[i] = encoded.substr(0, dollar);
    if (i < 3) encoded.remove_prefix(dollar + 1);
  }
  if (parts[0] != kScheme) return std::nullopt;
  ParsedHash h;
  auto [end, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), h.iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size()) return std::nullopt;
  if (h.iterations < kMinIterations || h.iterations > kMaxIterations) return std::nullopt;
  auto salt = base64url_decode(parts[2]);
  auto key = base64url_decode(parts[3]);
  if (!salt || !key || salt->size() < 8 || key->size() != kKeyBytes) return std::nullopt;
  h.salt = std::move(*salt);
  h.key = std::move(*key);
  return h;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    throw std::invalid_argument("iterations must be between 1000 and 10000000");
  }
  auto salt = base64url_decode(random_token(16));
  std::string key = derive(password, *salt, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(*salt) +
         "$" + base64url_encode(key);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  auto h = parse_hash(encoded);
  if (!h) return false;
  return constant_time_equal(derive(password, h->salt, h->iterations), h->key);
}

std::map<std::string, std::string, std::less<>> UsersFile::parse(std::string_view text) {
  std::map<std::string, std::string, std::less<>> users;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    auto where = "line " + std::to_string(line_no) + ": ";
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw std::runtime_error(where + "expected user:hash (make one with `mcpp hash-password`)");
    }
    std::string_view name = line.substr(0, colon);
    std::string_view hash = line.substr(colon + 1);
    if (!valid_user_name(name)) {
      throw std::runtime_error(where + "a user name is 1-64 letters, digits or ._@-");
    }
    if (!parse_hash(hash)) {
      throw std::runtime_error(where +
                               "the hash is not pbkdf2-sha256$iterations$salt$key "
                               "(make one with `mcpp hash-password`)");
    }
    if (!users.emplace(std::string(name), std::string(hash)).second) {
      throw std::runtime_error(where + "user \"" + std::string(name) + "\" appears twice");
    }
  }
  return users;
}

UsersFile::UsersFile(std::filesystem::path path) : path_(std::move(path)) {
  std::lock_guard lock(mutex_);
  reload_if_changed();
}

void UsersFile::reload_if_changed() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec) {
    if (users_.empty())
      throw std::runtime_error("cannot read " + path_.string() + ": " + ec.message());
    return;  // keep the users we have while the file is being replaced
  }
  if (mtime == mtime_ && !users_.empty()) return;
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path_.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    users_ = parse(text.str());
  } catch (const std::runtime_error& e) {
    if (users_.empty()) throw std::runtime_error(path_.string() + ": " + e.what());
    return;  // a broken edit: keep the previous users
  }
  mtime_ = mtime;
}

bool UsersFile::check(std::string_view user, std::string_view password) {
  std::string hash;
  bool known = false;
  {
    std::lock_guard lock(mutex_);
    try {
      reload_if_changed();
    } catch (const std::exception&) {
    }
    auto it = users_.find(user);
    known = it != users_.end();
    if (known) {
      hash = it->second;
    } else if (!users_.empty()) {
      hash = users_.begin()->second;
    }
  }
  if (hash.empty()) return false;
  // Unknown users are checked against another user's hash, so that timing does not tell
  // which names exist.
  bool ok = verify_password(password, hash);
  return known && ok;
}

bool UsersFile::contains(std::string_view user) {
  std::lock_guard lock(mutex_);
  try {
    reload_if_changed();
  } catch (const std::exception&) {
  }
  return users_.find(user) != users_.end();
}

std::optional<std::string> UsersFile::credential(std::string_view user) {
  std::lock_guard lock(mutex_);
  try {
    reload_if_changed();
  } catch (const std::exception&) {
  }
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return sha256_hex(it->second);
}

std::size_t UsersFile::size() {
  std::lock_guard lock(mutex_);
  return users_.size();
}

}  // namespace mcpp::auth
