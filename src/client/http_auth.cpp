// send_authorized: the credential on every request and the retry after a 401/403 challenge.
#include "client/http_auth.hpp"

#include "client/www_authenticate.hpp"

namespace mcpp {

bool is_auth_challenge(int status, std::string_view www_authenticate) {
  if (status == 401) return true;
  if (status != 403) return false;
  auto challenges = parse_www_authenticate(www_authenticate);
  const HttpChallenge* bearer = find_challenge(challenges, "bearer");
  return bearer && bearer->param("error") == "insufficient_scope";
}

Task<std::unique_ptr<HttpResponse>> send_authorized(HttpClient& http, const HttpTarget& target,
                                                    HttpClient::Method method, std::string_view url,
                                                    const HttpHeaders& headers, std::string body,
                                                    std::chrono::milliseconds header_timeout,
                                                    std::shared_ptr<HttpAbort> abort,
                                                    bool answer_challenges) {
  for (int attempt = 0;; ++attempt) {
    HttpHeaders h = headers;
    std::string credential;
    if (target.auth) {
      credential = co_await target.auth->authorization(target.url);
    } else if (!target.bearer_token.empty()) {
      credential = "Bearer " + target.bearer_token;
    }
    if (!credential.empty()) h.emplace_back("Authorization", credential);
    auto response = co_await http.send(method, url, h, body, header_timeout, abort);
    if (!target.auth || !answer_challenges || attempt >= kMaxAuthRetries) co_return response;
    int status = response->status();
    std::string www = response->header_joined("WWW-Authenticate");
    if (!is_auth_challenge(status, www)) co_return response;
    AuthChallenge challenge;
    challenge.status = status;
    challenge.server_url = target.url;
    challenge.request_url = std::string(url);
    challenge.www_authenticate = www;
    challenge.authorization = credential;
    challenge.attempt = attempt;
    bool again = false;
    std::string failure;
    try {
      again = co_await target.auth->on_challenge(std::move(challenge));
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      response->close();
      throw TransportError(TransportError::Kind::kHttpStatus,
                           "HTTP " + std::to_string(status) + " from " + std::string(url) +
                               ", and authorizing failed: " + failure,
                           status, www);
    }
    if (!again) co_return response;
    response->close();
    if (abort && abort->aborted()) {
      throw TransportError(TransportError::Kind::kClosed, std::string(url) + ": abandoned");
    }
  }
}

}  // namespace mcpp
