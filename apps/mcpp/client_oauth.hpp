// The OAuth side of the mcpp client commands: the command-line options, and an OAuthClient for
// an HTTP target whose user agent is the user's browser and a loopback redirect listener.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "mcpp/auth/oauth_client.hpp"
#include "mcpp/client.hpp"

namespace mcpp::cli {

struct OAuthFlags {
  bool no_oauth = false;
  std::string token_store;  // "" : the default file
  bool no_token_store = false;
  std::string client_id;
  std::string client_secret;
  std::string client_issuer;
  std::string client_metadata_url;
  int redirect_port = 0;
  bool no_browser = false;
  std::string auth_timeout;  // seconds, "" : 300
};

// Registers the OAuth options on a client command (in their own help group).
void add_oauth_options(CLI::App* sub, OAuthFlags& flags);

// Sets target.auth to an OAuthClient unless OAuth is off (--no-oauth, --bearer, an Authorization
// header). Returns the loopback redirect listener (bound to `ex`), which the caller closes when
// its command is done, or null. Throws std::invalid_argument for a bad option value.
std::shared_ptr<mcpp::auth::LoopbackRedirect> setup_oauth(mcpp::HttpTarget& target,
                                                          const OAuthFlags& flags, bool verbose,
                                                          const boost::asio::any_io_executor& ex);

}  // namespace mcpp::cli
