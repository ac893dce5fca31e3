// Clients of the authorization server: dynamic registration (RFC 7591, with OIDC
// application_type), client ID metadata documents (fetched over https with size and time limits,
// refused on private addresses, cached) and pre-registration.
#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "auth/authorization_server_impl.hpp"
#include "auth/crypto.hpp"
#include "auth/metadata_fetch.hpp"

namespace mcpp::auth {

using authz::ClientRecord;
using authz::oauth_error;

namespace {

constexpr std::size_t kMaxRegistrationBytes = 64 * 1024;
constexpr std::size_t kMaxRedirectUris = 20;
constexpr std::size_t kMaxContacts = 20;
constexpr std::size_t kMaxString = 2000;
constexpr std::int64_t kFailedFetchSeconds = 30;  // a failed document fetch is not retried sooner
constexpr std::size_t kMaxFailedFetches = 10'000;

// A metadata problem: the OAuth error code and what is wrong.
struct MetadataError {
  std::string error;
  std::string description;
};

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Reads an optional array of strings; false when present but not one.
bool string_array(const json::object& doc, std::string_view name, std::vector<std::string>& out,
                  bool& present) {
  const json::value* v = find(doc, name);
  present = v != nullptr;
  if (!v) return true;
  if (!v->is_array()) return false;
  for (const auto& item : v->get_array()) {
    if (!item.is_string() || item.get_string().size() > kMaxString) return false;
    out.emplace_back(item.get_string());
  }
  return true;
}

// The client metadata of a registration request, a metadata document or a pre-registration,
// validated. `kind` is "dcr", "document" or "static".
std::optional<ClientRecord> client_from_metadata(const json::object& doc, std::string_view kind,
                                                 const std::vector<std::string>& scopes_supported,
                                                 MetadataError& err) {
  auto bad = [&](std::string error, std::string description) {
    err = {std::move(error), std::move(description)};
    return std::nullopt;
  };
  const bool document = kind == "document";
  ClientRecord c;
  json::object echo;

  // Plain string members, echoed back.
  for (std::string_view name :
       {"client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id",
        "software_version", "application_type", "token_endpoint_auth_method", "scope"}) {
    const json::value* v = find(doc, name);
    if (!v) continue;
    if (!v->is_string())
      return bad("invalid_client_metadata", std::string(name) + " must be a string");
    if (v->get_string().size() > kMaxString) {
      return bad("invalid_client_metadata", std::string(name) + " is too long");
    }
  }
  c.client_name = find_string(doc, "client_name");
  if (c.client_name.size() > 200) return bad("invalid_client_metadata", "client_name is too long");
  if (document && c.client_name.empty()) {
    // Required by MCP: the consent page names the client.
    return bad("invalid_client_metadata", "client_name is required");
  }

  c.application_type = find_string(doc, "application_type");
  if (find(doc, "application_type")) {
    if (c.application_type != "web" && c.application_type != "native") {
      return bad("invalid_client_metadata", "application_type must be \"web\" or \"native\"");
    }
  } else if (!document) {
    c.application_type = "web";  // the OpenID Connect default
  }

  bool present = false;
  if (!string_array(doc, "redirect_uris", c.redirect_uris, present)) {
    return bad("invalid_redirect_uri", "redirect_uris must be an array of strings");
  }
  if (c.redirect_uris.empty()) {
    return bad("invalid_redirect_uri", "redirect_uris is required (at least one URI)");
  }
  if (c.redirect_uris.size() > kMaxRedirectUris) {
    return bad("invalid_redirect_uri", "at most 20 redirect URIs");
  }
  for (const auto& uri : c.redirect_uris) {
    std::string why = authz::check_redirect_uri(uri, c.application_type, kind == "static");
    if (!why.empty()) return bad("invalid_redirect_uri", why);
  }

  c.auth_method = find_string(doc, "token_endpoint_auth_method");
  if (c.auth_method.empty()) c.auth_method = document ? "none" : "client_secret_basic";
  if (document && c.auth_method != "none") {
    return bad("invalid_client_metadata",
               "a client ID metadata document client must use token_endpoint_auth_method "
               "\"none\" here (no shared secrets; private_key_jwt is not supported)");
  }
  if (c.auth_method != "none" && c.auth_method != "client_secret_post" &&
      c.auth_method != "client_secret_basic") {
    return bad("invalid_client_metadata",
               "token_endpoint_auth_method must be none, client_secret_post or "
               "client_secret_basic");
  }

  if (!string_array(doc, "grant_types", c.grant_types, present)) {
    return bad("invalid_client_metadata", "grant_types must be an array of strings");
  }
  if (!present) c.grant_types = {"authorization_code", "refresh_token"};
  for (const auto& g : c.grant_types) {
    if (g != "authorization_code" && g != "refresh_token") {
      return bad("invalid_client_metadata", "unsupported grant type \"" + g + "\"");
    }
  }
  if (!contains(c.grant_types, "authorization_code")) {
    return bad("invalid_client_metadata", "grant_types must include authorization_code");
  }
  std::vector<std::string> response_types;
  if (!string_array(doc, "response_types", response_types, present)) {
    return bad("invalid_client_metadata", "response_types must be an array of strings");
  }
  for (const auto& r : response_types) {
    if (r != "code") return bad("invalid_client_metadata", "only the \"code\" response type");
  }
  if (present && response_types.empty()) {
    return bad("invalid_client_metadata", "response_types must include \"code\"");
  }

  // Scopes this server does not know are dropped (RFC 7591 §3.2.1 lets the server replace).
  std::vector<std::string> kept;
  std::string_view rest = find_string(doc, "scope");
  while (!rest.empty()) {
    auto sp = rest.find(' ');
    std::string item(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (contains(scopes_supported, item) && !contains(kept, item)) kept.push_back(item);
  }
  std::string scope;
  for (const auto& s : kept) scope += (scope.empty() ? "" : " ") + s;
  c.scope = scope;

  std::vector<std::string> contacts;
  if (!string_array(doc, "contacts", contacts, present) || contacts.size() > kMaxContacts) {
    return bad("invalid_client_metadata", "contacts must be an array of at most 20 strings");
  }

  for (std::string_view name : {"client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri",
                                "software_id", "software_version"}) {
    if (const json::value* v = find(doc, name)) echo[name] = *v;
  }
  if (present) echo["contacts"] = *find(doc, "contacts");
  json::array uris, grants;
  for (const auto& u : c.redirect_uris) uris.emplace_back(u);
  for (const auto& g : c.grant_types) grants.emplace_back(g);
  echo["redirect_uris"] = std::move(uris);
  echo["grant_types"] = std::move(grants);
  echo["response_types"] = json::array{"code"};
  echo["token_endpoint_auth_method"] = c.auth_method;
  if (!c.application_type.empty()) echo["application_type"] = c.application_type;
  if (!c.scope.empty()) echo["scope"] = c.scope;
  c.metadata = std::move(echo);
  c.source = std::string(kind);
  return c;
}

// max-age of a Cache-Control header, clamped to [60 s, 1 day]; 1 hour when absent.
std::int64_t cache_seconds(std::string_view cache_control) {
  std::int64_t ttl = 3600;
  if (cache_control.find("no-store") != std::string_view::npos ||
      cache_control.find("no-cache") != std::string_view::npos) {
    ttl = 60;
  }
  auto pos = cache_control.find("max-age=");
  if (pos != std::string_view::npos) {
    std::string_view digits = cache_control.substr(pos + 8);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc()) ttl = v;
  }
  return std::clamp<std::int64_t>(ttl, 60, 86'400);
}

}  // namespace

bool AuthorizationServer::Impl::is_document_client_id(std::string_view client_id) const {
  if (!o.client_id_metadata_documents) return false;
  return client_id.starts_with("https://") ||
         (o.allow_insecure_metadata_fetch && client_id.starts_with("http://"));
}

Task<std::optional<ClientRecord>> AuthorizationServer::Impl::resolve_client(
    std::string client_id, ClientProblem& problem) {
  std::optional<ClientRecord> cached = store.client(client_id);
  if (cached && (cached->source != "document" || cached->fetched_until > now())) {
    co_return cached;
  }
  if (is_document_client_id(client_id)) {
    co_return co_await fetch_client_document(client_id, problem);
  }
  if (client_id.size() > 200) client_id = client_id.substr(0, 200) + "...";
  problem.message = "No application is registered with client_id \"" + client_id + "\".";
  co_return std::nullopt;
}

Task<std::optional<ClientRecord>> AuthorizationServer::Impl::fetch_client_document(
    const std::string& url, ClientProblem& problem) {
  {
    // A document that could not be used is not fetched again for a while.
    std::lock_guard lock(failed_fetches_mutex);
    auto it = failed_fetches.find(url);
    if (it != failed_fetches.end() && it->second.first > now()) {
      problem.message = it->second.second;
      co_return std::nullopt;
    }
  }
  auto fail = [&](std::string why) {
    problem.message = "The application's client ID metadata document " + url.substr(0, 300) +
                      " cannot be used: " + why;
    remember_failed_fetch(url, problem.message);
    return std::nullopt;
  };
  auto parts = authz::split_uri(url);
  if (!parts || url.size() > kMaxString) co_return fail("the client_id is not a valid URL.");
  if (parts->has_fragment || parts->has_userinfo) {
    co_return fail("the URL has a fragment or user information.");
  }
  if (parts->path.empty() || parts->path == "/") co_return fail("the URL has no path.");
  std::string segments = parts->path + "/";
  if (segments.find("/./") != std::string::npos || segments.find("/../") != std::string::npos) {
    co_return fail("the URL has dot segments.");
  }

  std::optional<json::object> doc;
  std::string cache_control;
  std::string error;
  try {
    authz::DocumentFetchOptions fetch;
    fetch.timeout = o.metadata_fetch_timeout;
    fetch.max_bytes = o.max_metadata_bytes;
    fetch.insecure = o.allow_insecure_metadata_fetch;
    authz::FetchedDocument response = co_await authz::fetch_document(url, fetch);
    if (response.status != 200) {
      error = "fetching it returned HTTP " + std::to_string(response.status) + ".";
    } else {
      cache_control = std::move(response.cache_control);
      boost::system::error_code ec;
      json::value v = json::parse(response.body, ec);
      if (ec || !v.is_object()) {
        error = "it is not a JSON object.";
      } else {
        doc = std::move(v.get_object());
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) co_return fail(error);

  if (find_string(*doc, "client_id") != url) {
    co_return fail("its client_id is not exactly the URL it was fetched from.");
  }
  MetadataError err;
  std::optional<ClientRecord> client =
      client_from_metadata(*doc, "document", o.scopes_supported, err);
  if (!client) co_return fail(err.description + ".");
  client->client_id = url;
  client->issued_at = now();
  client->fetched_until = client->issued_at + cache_seconds(cache_control);
  if (!store.put_document_client(*client, now(),
                                 static_cast<std::int64_t>(o.max_client_documents))) {
    // Not remembered as a failure: it is about the server, not this document.
    problem.message =
        "Too many applications are signing in right now (temporarily_unavailable). Try again "
        "in a few minutes.";
    problem.status = 503;
    co_return std::nullopt;
  }
  co_return client;
}

void AuthorizationServer::Impl::remember_failed_fetch(const std::string& url,
                                                      const std::string& message) {
  std::lock_guard lock(failed_fetches_mutex);
  const std::int64_t t = now();
  if (failed_fetches.size() >= kMaxFailedFetches) {
    std::erase_if(failed_fetches, [t](const auto& entry) { return entry.second.first <= t; });
    if (failed_fetches.size() >= kMaxFailedFetches) failed_fetches.clear();
  }
  failed_fetches[url] = {t + kFailedFetchSeconds, message};
}

HttpReply AuthorizationServer::Impl::register_dynamic(const HttpRequestInfo& req) {
  if (authz::media_type(req) != "application/json") {
    return oauth_error(400, "invalid_client_metadata",
                       "send the client metadata as application/json");
  }
  if (req.body.size() > kMaxRegistrationBytes) {
    return oauth_error(400, "invalid_client_metadata", "the metadata is larger than 64 KiB");
  }
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    return oauth_error(400, "invalid_client_metadata", "the body is not a JSON object");
  }
  MetadataError err;
  std::optional<ClientRecord> client =
      client_from_metadata(v.get_object(), "dcr", o.scopes_supported, err);
  if (!client) return oauth_error(400, err.error, err.description);
  client->client_id = random_token(18);
  client->issued_at = now();
  client->registered_by = req.peer_address;
  json::object body = client->metadata;
  body["client_id"] = client->client_id;
  body["client_id_issued_at"] = client->issued_at;
  if (client->auth_method != "none") {
    std::string secret = random_token(32);
    client->secret_hash = sha256_hex(secret);
    body["client_secret"] = secret;
    body["client_secret_expires_at"] = 0;
  }
  authz::AdmissionLimits limits{static_cast<std::int64_t>(o.max_clients),
                                static_cast<std::int64_t>(o.max_unused_clients_per_address), 0,
                                !LoginThrottle::loopback_peer(req.peer_address)};
  if (!store.admit_registration(*client, limits)) {
    return oauth_error(503, "temporarily_unavailable",
                       "every registered client is in use; try again later");
  }
  return authz::json_reply(201, body);
}

void AuthorizationServer::register_client(const ClientRegistration& r) {
  if (r.client_id.empty() || r.client_id.size() > 200) {
    throw std::invalid_argument("client_id must be 1-200 characters");
  }
  if (r.application_type != "web" && r.application_type != "native") {
    throw std::invalid_argument("application_type must be \"web\" or \"native\"");
  }
  json::array uris, grants;
  for (const auto& u : r.redirect_uris) uris.emplace_back(u);
  for (const auto& g : r.grant_types) grants.emplace_back(g);
  json::object doc{
      {"redirect_uris", uris},
      {"grant_types", grants},
      {"application_type", r.application_type},
      {"token_endpoint_auth_method", r.client_secret.empty() ? "none" : "client_secret_basic"}};
  if (!r.client_name.empty()) doc["client_name"] = r.client_name;
  MetadataError err;
  std::optional<ClientRecord> client =
      client_from_metadata(doc, "static", impl_->o.scopes_supported, err);
  if (!client) throw std::invalid_argument(r.client_id + ": " + err.description);
  client->client_id = r.client_id;
  client->issued_at = impl_->now();
  if (!r.client_secret.empty()) client->secret_hash = sha256_hex(r.client_secret);
  if (client->client_name.empty()) client->client_name = r.client_id;
  impl_->store.put_client(*client);
}

}  // namespace mcpp::auth
