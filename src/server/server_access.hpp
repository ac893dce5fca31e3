// How libmcpp's own layers (sessions, transports) reach a Server's implementation; Server::Impl
// is not part of the public API, so this header is private to the server layer and those above.
#pragma once

#include <memory>

#include "mcpp/server.hpp"

namespace mcpp::detail {

struct ServerAccess {
  static const std::shared_ptr<Server::Impl>& impl(const Server& server) { return server.impl_; }
};

}  // namespace mcpp::detail
