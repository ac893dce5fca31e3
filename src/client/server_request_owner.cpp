// Per-request handlers (RequestOptions::on_elicitation, on_sampling, roots): which outstanding
// client request a server request belongs to, by the rule documented at RequestOptions.
#include "client/client_impl.hpp"

namespace mcpp {

std::shared_ptr<const Client::Impl::ScopedHandlers> Client::Impl::ScopedHandlers::of(
    const RequestOptions& options) {
  if (!options.on_elicitation && !options.on_sampling && !options.roots) return nullptr;
  auto h = std::make_shared<ScopedHandlers>();
  h->elicitation = options.on_elicitation;
  h->sampling = options.on_sampling;
  h->roots = options.roots;
  return h;
}

std::shared_ptr<const Client::Impl::ScopedHandlers> Client::Impl::owner_of(
    const jsonrpc::Message& request, const json::value& related_request) const {
  if (scoped_.empty()) return nullptr;
  // The transport knows (a POST's response stream): that request's handlers, or none.
  if (!related_request.is_null()) {
    auto it = scoped_.find(json::serialize(related_request));
    return it == scoped_.end() ? nullptr : it->second;
  }
  // The server names the request by its progress token.
  if (request.params.is_object()) {
    const json::value* meta = find(request.params.get_object(), "_meta");
    if (const json::value* token = meta ? find(*meta, "progressToken") : nullptr) {
      auto it = scoped_.find(json::serialize(*token));
      if (it != scoped_.end()) return it->second;
    }
  }
  // Only one request can be the cause.
  if (scoped_.size() == 1) return scoped_.begin()->second;
  return nullptr;
}

}  // namespace mcpp
