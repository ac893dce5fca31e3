// `mcpp auth tokens` lists the grants of the embedded authorization server (one per approval:
// user, client, times); `mcpp auth revoke` revokes a user's, a client's or every grant. Both work
// on the database file while `mcpp serve` runs: a running server refuses the revoked access
// tokens within AuthorizationServer::kGrantRecheckSeconds.
#include "auth_commands.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "auth/auth_store.hpp"
#include "mcpp/auth/authorization_server.hpp"

namespace {

using mcpp::auth::authz::AuthStore;
using mcpp::auth::authz::GrantRecord;
using mcpp::auth::authz::GrantSelector;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-12-08 01:02:03Z", or "-" for 0.
std::string utc_time(std::int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

// Control characters shown as \xNN: a client id is chosen by whoever registered it, and must not
// drive the operator's terminal.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// The store of an existing database: the operator commands never create one.
std::unique_ptr<AuthStore> open_store(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error("no auth database at " + path +
                             " (give the file `mcpp serve --auth builtin --auth-db` uses)");
  }
  return std::make_unique<AuthStore>(path);
}

int run_tokens(const std::string& db, bool all) {
  auto store = open_store(db);
  std::vector<GrantRecord> grants = store->grants(unix_now());
  std::size_t shown = 0;
  for (const auto& g : grants) {
    if (g.revoked && !all) continue;
    if (shown++ == 0) {
      std::cout << std::left << std::setw(20) << "USER" << std::setw(28) << "CLIENT"
                << std::setw(22) << "SIGNED IN" << std::setw(22) << "LAST REFRESH" << std::setw(22)
                << "EXPIRES"
                << "STATE\n";
    }
    std::cout << std::left << std::setw(20) << printable(g.subject) << std::setw(28)
              << printable(g.client_id) << std::setw(22) << utc_time(g.auth_time) << std::setw(22)
              << utc_time(g.last_refresh) << std::setw(22) << utc_time(g.expires_at)
              << (g.revoked ? "revoked" : "active") << "\n";
  }
  if (shown == 0) std::cout << (all ? "no grants\n" : "no active grants\n");
  return 0;
}

int run_revoke(const std::string& db, const std::string& user, const std::string& client,
               bool all) {
  if ((user.empty() ? 0 : 1) + (client.empty() ? 0 : 1) + (all ? 1 : 0) != 1) {
    std::cerr << "mcpp auth revoke: give one of --user NAME, --client ID or --all\n";
    return 2;
  }
  auto store = open_store(db);
  GrantSelector selector = all             ? GrantSelector::kAll
                           : !user.empty() ? GrantSelector::kUser
                                           : GrantSelector::kClient;
  std::int64_t n = store->revoke_grants(selector,
                                        all            ? ""
                                        : user.empty() ? client
                                                       : user,
                                        unix_now());
  std::cout << "revoked " << n << (n == 1 ? " grant" : " grants");
  if (selector != GrantSelector::kClient) std::cout << " and signed out the browsers";
  std::cout << "; a running server refuses their access tokens within "
            << mcpp::auth::AuthorizationServer::kGrantRecheckSeconds << " seconds\n";
  return 0;
}

}  // namespace

void add_auth_commands(CLI::App& app) {
  auto* auth = app.add_subcommand(
      "auth", "The embedded authorization server's grants (serve --auth builtin): list, revoke");
  auth->require_subcommand(1);
  struct Args {
    std::string db = "mcpp-auth.sqlite";
    std::string user, client;
    bool all = false;
  };
  auto a = std::make_shared<Args>();
  auto* tokens = auth->add_subcommand(
      "tokens", "List the grants that have not expired: user, client, sign-in, last refresh");
  tokens->add_option("--auth-db", a->db, "The SQLite file of `serve --auth-db`")
      ->capture_default_str();
  tokens->add_flag("--all", a->all, "Also list revoked grants");
  tokens->callback([a] {
    try {
      throw CLI::RuntimeError(run_tokens(a->db, a->all));
    } catch (const std::runtime_error& e) {
      if (dynamic_cast<const CLI::Error*>(&e)) throw;
      std::cerr << "mcpp auth tokens: " << e.what() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
  auto* revoke = auth->add_subcommand(
      "revoke", "Revoke grants (refresh and access tokens; sign-ins for --user and --all)");
  revoke->add_option("--auth-db", a->db, "The SQLite file of `serve --auth-db`")
      ->capture_default_str();
  revoke->add_option("--user", a->user, "Every grant of this user");
  revoke->add_option("--client", a->client, "Every grant of this client id");
  revoke->add_flag("--all", a->all, "Every grant");
  revoke->callback([a] {
    try {
      throw CLI::RuntimeError(run_revoke(a->db, a->user, a->client, a->all));
    } catch (const std::runtime_error& e) {
      if (dynamic_cast<const CLI::Error*>(&e)) throw;
      std::cerr << "mcpp auth revoke: " << e.what() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
}
