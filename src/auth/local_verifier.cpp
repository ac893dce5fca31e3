// A TokenVerifier backed by the authorization server in the same process (`mcpp serve --auth
// builtin`): no HTTP round trip, and revoked tokens are refused at once.
#include "auth/jwt.hpp"
#include "auth/token_claims.hpp"
#include "mcpp/auth/authorization_server.hpp"
#include "mcpp/auth/resource_server.hpp"

namespace mcpp::auth {

namespace {

class LocalVerifier final : public TokenVerifier {
 public:
  LocalVerifier(const AuthorizationServer& as, std::vector<std::string> resources)
      : as_(as), resources_(std::move(resources)) {}

  Task<TokenCheck> verify(std::string token) override {
    TokenCheck check;
    try {
      check.info = info_from(as_.verify_access_token(token, resources_));
    } catch (const std::exception& e) {
      check.error = e.what();
    }
    co_return check;
  }

 private:
  const AuthorizationServer& as_;
  std::vector<std::string> resources_;
};

}  // namespace

std::shared_ptr<TokenVerifier> make_local_verifier(const AuthorizationServer& as,
                                                   std::vector<std::string> resources) {
  if (resources.empty()) throw std::invalid_argument("local verifier: no resource");
  return std::make_shared<LocalVerifier>(as, std::move(resources));
}

}  // namespace mcpp::auth
