// The mcpp CLI's OAuth: options, the browser and loopback listener as the user agent, the token
// store in the user's config directory.
#include "client_oauth.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "seconds_option.hpp"

extern char** environ;

namespace mcpp::cli {

namespace {

using mcpp::Task;
namespace auth = mcpp::auth;

// OAuth is used for HTTP servers unless told not to, or given credentials of another kind.
bool oauth_wanted(const OAuthFlags& f, const mcpp::HttpTarget& h) {
  if (f.no_oauth || !h.bearer_token.empty()) return false;
  for (const auto& [name, value] : h.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "authorization") return false;
  }
  return true;
}

// Opens `url` in the desktop's browser when there is one (xdg-open, or open on macOS), without
// waiting for it and without letting it write to the terminal.
void open_in_browser(const std::string& url) {
#ifdef __APPLE__
  const char* opener = "open";
#else
  const char* opener = "xdg-open";
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) return;
#endif
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return;
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string program = opener;
  std::string argument = url;
  char* argv[] = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, opener, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0) {
    std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  }
}

// The user agent: print the authorization URL (and open it in a browser), then wait for the
// browser to come back to the loopback listener.
Task<std::string> ask_user(std::shared_ptr<auth::LoopbackRedirect> listener, bool browser,
                           std::chrono::milliseconds timeout, auth::AuthorizationPrompt prompt) {
  std::cerr << "mcpp: " << prompt.server_url << " needs authorization by " << prompt.issuer
            << (prompt.scope.empty() ? "" : " (scope: " + prompt.scope + ")")
            << ".\nOpen this URL in a browser and sign in (mcpp waits " << timeout.count() / 1000
            << " s for the answer on " << listener->redirect_uri() << "):\n\n  " << prompt.url
            << "\n\n"
            << std::flush;
  if (browser) open_in_browser(prompt.url);
  co_return co_await listener->wait(timeout);
}

}  // namespace

void add_oauth_options(CLI::App* sub, OAuthFlags& f) {
  const std::string group = "OAuth (HTTP servers that ask for authorization)";
  sub->add_flag("--no-oauth", f.no_oauth, "Do not sign in when the server answers 401")
      ->group(group);
  sub->add_option("--token-store", f.token_store,
                  "File of tokens per issuer (default $XDG_CONFIG_HOME/mcpp/tokens.json, "
                  "else ~/.config/mcpp/tokens.json)")
      ->group(group);
  sub->add_flag("--no-token-store", f.no_token_store, "Keep tokens in memory only")->group(group);
  sub->add_option("--client-id", f.client_id, "Pre-registered OAuth client ID")->group(group);
  sub->add_option("--client-secret", f.client_secret,
                  "Its secret (or MCPP_CLIENT_SECRET); none for a public client")
      ->envname("MCPP_CLIENT_SECRET")
      ->group(group);
  sub->add_option("--client-issuer", f.client_issuer,
                  "The authorization server (issuer) the client ID belongs to")
      ->group(group);
  sub->add_option("--client-metadata-url", f.client_metadata_url,
                  "Client ID metadata document URL (https), used where the server accepts one")
      ->group(group);
  sub->add_option("--redirect-port", f.redirect_port,
                  "Port of the loopback redirect http://127.0.0.1:PORT/callback (default: any)")
      ->group(group);
  sub->add_flag("--no-browser", f.no_browser, "Print the sign-in URL without opening a browser")
      ->group(group);
  sub->add_option("--auth-timeout", f.auth_timeout,
                  "Seconds to wait for the browser to come back (default 300)")
      ->group(group);
}

std::shared_ptr<auth::LoopbackRedirect> setup_oauth(mcpp::HttpTarget& h, const OAuthFlags& f,
                                                    bool verbose,
                                                    const boost::asio::any_io_executor& ex) {
  if (!oauth_wanted(f, h)) return nullptr;
  if (f.redirect_port < 0 || f.redirect_port > 65535) {
    throw std::invalid_argument("--redirect-port expects 0..65535, got " +
                                std::to_string(f.redirect_port));
  }
  if (!f.client_secret.empty() && f.client_id.empty()) {
    throw std::invalid_argument("--client-secret goes with --client-id");
  }
  if (!f.client_metadata_url.empty() && !f.client_metadata_url.starts_with("https://")) {
    throw std::invalid_argument("--client-metadata-url must be an https:// URL, got '" +
                                f.client_metadata_url + "'");
  }
  auto wait = seconds_option(f.auth_timeout, "--auth-timeout", std::chrono::minutes(5));
  std::shared_ptr<auth::LoopbackRedirect> listener;
  try {
    listener =
        std::make_shared<auth::LoopbackRedirect>(ex, static_cast<std::uint16_t>(f.redirect_port));
  } catch (const std::system_error& e) {
    throw std::invalid_argument(std::string(e.what()) + " (choose another --redirect-port)");
  }
  auth::OAuthOptions o;
  o.redirect_uri = listener->redirect_uri();
  bool browser = !f.no_browser;
  o.user_agent = [listener, browser, wait](const auth::AuthorizationPrompt& prompt) {
    return ask_user(listener, browser, wait, prompt);
  };
  if (!f.client_id.empty()) {
    o.clients.push_back(
        {.issuer = f.client_issuer, .client_id = f.client_id, .client_secret = f.client_secret});
  }
  o.client_metadata_url = f.client_metadata_url;
  o.client_name = "mcpp CLI";
  o.ca_file = h.ca_file;
  o.verify_tls = h.verify_tls;
  if (!f.no_token_store) {
    std::string path = f.token_store.empty() ? auth::TokenStore::default_path() : f.token_store;
    if (!path.empty()) o.token_store = std::make_shared<auth::TokenStore>(path);
  }
  if (verbose) {
    o.on_progress = [](std::string_view p) { std::cerr << "[mcpp] oauth: " << p << '\n'; };
  }
  o.on_warning = [](std::string_view w) { std::cerr << "mcpp: warning: " << w << '\n'; };
  h.auth = std::make_shared<auth::OAuthClient>(ex, std::move(o));
  return listener;
}

}  // namespace mcpp::cli
