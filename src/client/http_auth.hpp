// HTTP requests that carry a target's credentials: the Authorization header from its
// HttpAuthProvider (or its fixed bearer token), and the provider's answer to 401/403 challenges.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/http_client.hpp"

namespace mcpp {

// How many times one request is sent again with new credentials.
inline constexpr int kMaxAuthRetries = 3;

// True for a 401, and for a 403 whose Bearer challenge says error="insufficient_scope".
bool is_auth_challenge(int status, std::string_view www_authenticate);

// Sends like HttpClient::send, with the Authorization header of `target` (target.auth, else
// target.bearer_token). When the server answers with an auth challenge and target.auth has new
// credentials, the request is sent again (at most kMaxAuthRetries times). Any other answer, or a
// challenge the provider gives up on, is returned as it is for the caller to check. Throws
// TransportError like HttpClient::send, and kHttpStatus with the provider's reason when
// authorizing failed. `answer_challenges` false: only the header is added (DELETE on close).
Task<std::unique_ptr<HttpResponse>> send_authorized(HttpClient& http, const HttpTarget& target,
                                                    HttpClient::Method method, std::string_view url,
                                                    const HttpHeaders& headers, std::string body,
                                                    std::chrono::milliseconds header_timeout,
                                                    std::shared_ptr<HttpAbort> abort = nullptr,
                                                    bool answer_challenges = true);

}  // namespace mcpp
