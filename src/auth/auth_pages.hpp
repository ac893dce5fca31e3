// The authorization server's HTML pages (no JavaScript): the login and consent form, errors and
// notices. Every value is HTML-escaped here.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mcpp::auth::authz {

struct ConsentPage {
  std::string action;  // where the form posts
  std::string request_id;
  std::string csrf;
  std::string client_name;
  std::string client_id;
  // A client ID metadata document's host: who vouches for the client (the name is its own).
  std::string client_host;
  std::string redirect_uri;
  std::string resource;
  std::vector<std::string> scopes;
  std::optional<std::string> signed_in_as;
  bool password_login = true;  // false: only the one-time admin link signs in
  std::string error;           // shown above the form ("" for none)
};

std::string render_consent(const ConsentPage& page);
// A page that only says something (an error, or that the admin link worked).
std::string render_notice(const std::string& title, const std::string& message);

}  // namespace mcpp::auth::authz
