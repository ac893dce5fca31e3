// TokenStore: OAuth tokens and client registrations per issuer in a JSON file of mode 0600
// (rewritten atomically under an flock), or in memory.
//
//   {"version": 1,
//    "servers": {"<MCP server URL>": {"issuer": "...", "resource": "..."}},
//    "issuers": {"<issuer>": {"client": {...}, "tokens": {"<resource>": {...}}}}}
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "jsonrpc/message.hpp"
#include "mcpp/auth/oauth_client.hpp"

namespace mcpp::auth {

namespace {

constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

std::string errno_text() {
  return std::strerror(errno);
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// mkdir -p with mode 0700 for the directories it creates.
void make_dirs(const std::string& dir) {
  if (dir.empty()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw OAuthError(dir + " is not a directory");
    return;
  }
  auto slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) make_dirs(dir.substr(0, slash));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw OAuthError("cannot create the directory " + dir + ": " + errno_text());
  }
}

std::string str(const json::object& o, std::string_view key) {
  return std::string(find_string(o, key));
}

json::object obj(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  return v && v->is_object() ? v->get_object() : json::object();
}

json::object& member_object(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = json::object();
  return v.as_object();
}

json::object to_json(const StoredClient& c) {
  json::object o{{"client_id", c.client_id},
                 {"token_endpoint_auth_method", c.token_endpoint_auth_method},
                 {"registration", c.registration}};
  if (!c.client_secret.empty()) o["client_secret"] = c.client_secret;
  if (!c.redirect_uri.empty()) o["redirect_uri"] = c.redirect_uri;
  if (!c.token_endpoint.empty()) o["token_endpoint"] = c.token_endpoint;
  return o;
}

StoredClient client_from(const json::object& o) {
  StoredClient c;
  c.client_id = str(o, "client_id");
  c.client_secret = str(o, "client_secret");
  c.token_endpoint_auth_method = str(o, "token_endpoint_auth_method");
  c.redirect_uri = str(o, "redirect_uri");
  c.registration = str(o, "registration");
  c.token_endpoint = str(o, "token_endpoint");
  return c;
}

json::object to_json(const StoredToken& t) {
  json::object o{{"access_token", t.access_token}, {"token_type", t.token_type}};
  if (!t.refresh_token.empty()) o["refresh_token"] = t.refresh_token;
  if (!t.scope.empty()) o["scope"] = t.scope;
  if (!t.requested_scope.empty()) o["requested_scope"] = t.requested_scope;
  if (t.expires_at != 0) o["expires_at"] = t.expires_at;
  return o;
}

StoredToken token_from(const json::object& o) {
  StoredToken t;
  t.access_token = str(o, "access_token");
  t.token_type = str(o, "token_type");
  if (t.token_type.empty()) t.token_type = "Bearer";
  t.refresh_token = str(o, "refresh_token");
  t.scope = str(o, "scope");
  t.requested_scope = str(o, "requested_scope");
  if (const json::value* e = find(o, "expires_at"); e && e->is_int64())
    t.expires_at = e->get_int64();
  return t;
}

}  // namespace

struct TokenStore::Impl {
  std::string path;
  mutable std::mutex mu;
  json::object memory{{"version", 1}};

  // The whole document. Throws OAuthError when the file is unusable.
  json::object load() const {
    if (path.empty()) return memory;
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
      if (errno == ENOENT) return json::object{{"version", 1}};
      throw OAuthError("cannot read the token store " + path + ": " + errno_text());
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      throw OAuthError("the token store " + path + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
      // Readable by others: tighten it at once (it holds credentials).
      (void)::fchmod(f.fd, 0600);
    }
    if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
      throw OAuthError("the token store " + path + " is larger than 16 MiB; is it the right file?");
    }
    std::string text;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw OAuthError("cannot read the token store " + path + ": " + errno_text());
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > kMaxFileBytes)
        throw OAuthError("the token store " + path + " is too large");
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{{"version", 1}};
    auto parsed = jsonrpc::parse(text);
    auto* v = std::get_if<json::value>(&parsed);
    if (!v || !v->is_object()) {
      throw OAuthError("the token store " + path +
                       " is not a JSON object; mcpp leaves it alone (delete it to start afresh)");
    }
    const json::value* version = find(*v, "version");
    if (version && !(version->is_int64() && version->get_int64() == 1)) {
      throw OAuthError("the token store " + path +
                       " has a version this mcpp does not know; mcpp leaves it alone");
    }
    return std::move(v->as_object());
  }

  void save(const json::object& doc) {
    if (path.empty()) {
      memory = doc;
      return;
    }
    auto slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
    make_dirs(dir);
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    std::string text = json::serialize(doc);
    {
      Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
      if (f.fd < 0) throw OAuthError("cannot write the token store " + tmp + ": " + errno_text());
      (void)::fchmod(f.fd, 0600);
      std::size_t done = 0;
      while (done < text.size()) {
        ssize_t n = ::write(f.fd, text.data() + done, text.size() - done);
        if (n < 0) {
          if (errno == EINTR) continue;
          std::string why = errno_text();
          ::unlink(tmp.c_str());
          throw OAuthError("cannot write the token store " + tmp + ": " + why);
        }
        done += static_cast<std::size_t>(n);
      }
      if (::fsync(f.fd) != 0) {
        std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw OAuthError("cannot write the token store " + tmp + ": " + why);
      }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      std::string why = errno_text();
      ::unlink(tmp.c_str());
      throw OAuthError("cannot replace the token store " + path + ": " + why);
    }
  }

  // Runs `f` on the document under the process lock and the file lock, then saves it.
  template <class F>
  void change(F f) {
    std::lock_guard lock(mu);
    Fd lockfile;
    if (!path.empty()) {
      auto slash = path.find_last_of('/');
      make_dirs(slash == std::string::npos ? std::string() : path.substr(0, slash));
      std::string lp = path + ".lock";
      lockfile.fd = ::open(lp.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (lockfile.fd < 0)
        throw OAuthError("cannot lock the token store " + lp + ": " + errno_text());
      while (::flock(lockfile.fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
          throw OAuthError("cannot lock the token store " + lp + ": " + errno_text());
        }
      }
    }
    json::object doc = load();
    doc["version"] = 1;
    f(doc);
    save(doc);
  }

  json::object read() const {
    std::lock_guard lock(mu);
    return load();
  }
};

TokenStore::TokenStore(std::string path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
}

TokenStore::~TokenStore() = default;

std::string TokenStore::default_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/mcpp/tokens.json";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.config/mcpp/tokens.json";
  return {};
}

const std::string& TokenStore::path() const {
  return impl_->path;
}

std::optional<TokenStore::ServerEntry> TokenStore::server(std::string_view server_url) const {
  json::object doc = impl_->read();
  json::object entry = obj(obj(doc, "servers"), server_url);
  if (entry.empty() || str(entry, "issuer").empty()) return std::nullopt;
  return ServerEntry{str(entry, "issuer"), str(entry, "resource")};
}

void TokenStore::set_server(std::string_view server_url, const ServerEntry& entry) {
  impl_->change([&](json::object& doc) {
    member_object(doc, "servers")[server_url] =
        json::object{{"issuer", entry.issuer}, {"resource", entry.resource}};
  });
}

std::optional<StoredClient> TokenStore::client(std::string_view issuer) const {
  json::object doc = impl_->read();
  json::object c = obj(obj(obj(doc, "issuers"), issuer), "client");
  if (str(c, "client_id").empty()) return std::nullopt;
  return client_from(c);
}

void TokenStore::set_client(std::string_view issuer, const StoredClient& client) {
  impl_->change([&](json::object& doc) {
    member_object(member_object(doc, "issuers"), issuer)["client"] = to_json(client);
  });
}

std::optional<StoredToken> TokenStore::token(std::string_view issuer,
                                             std::string_view resource) const {
  json::object doc = impl_->read();
  json::object t = obj(obj(obj(obj(doc, "issuers"), issuer), "tokens"), resource);
  if (str(t, "access_token").empty()) return std::nullopt;
  return token_from(t);
}

void TokenStore::set_token(std::string_view issuer, std::string_view resource,
                           const StoredToken& token) {
  impl_->change([&](json::object& doc) {
    member_object(member_object(member_object(doc, "issuers"), issuer), "tokens")[resource] =
        to_json(token);
  });
}

void TokenStore::forget_token(std::string_view issuer, std::string_view resource) {
  impl_->change([&](json::object& doc) {
    member_object(member_object(member_object(doc, "issuers"), issuer), "tokens").erase(resource);
  });
}

void TokenStore::forget_server(std::string_view server_url) {
  impl_->change([&](json::object& doc) {
    json::object& servers = member_object(doc, "servers");
    json::object entry = obj(servers, server_url);
    std::string issuer = str(entry, "issuer");
    if (!issuer.empty()) {
      member_object(member_object(member_object(doc, "issuers"), issuer), "tokens")
          .erase(str(entry, "resource"));
    }
    servers.erase(server_url);
  });
}

}  // namespace mcpp::auth
