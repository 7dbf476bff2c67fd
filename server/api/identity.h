#ifndef CITECHECK_SERVER_API_IDENTITY_H_
#define CITECHECK_SERVER_API_IDENTITY_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/accounts/identity.h"
#include "server/api/client_address.h"

namespace citecheck {

// Decides who is calling from gRPC metadata (DESIGN §1), first match wins:
//  1. `authorization: Bearer <token>` or `x-user-token: <token>` → an account;
//  2. `x-free-user-id: <id>` → a free user (valid base64 of a UUID is decoded, else as is);
//  3. otherwise anonymous, keyed by the client's IP address (api/client_address.h: the peer
//     of gRPC's "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678" form without the port, or the
//     x-forwarded-for client when the peer is one of `proxies`).
// Free and anonymous callers get Caller::address_key = AddressQuotaKey(client address).
// `x-free-used: <base64 int>` sets Caller::free_used_floor when readable; else it is ignored.
// Empty header values count as absent. `metadata` keys are lower case.
Caller IdentifyCaller(const std::multimap<std::string, std::string>& metadata,
                      absl::string_view peer, const TrustedProxies& proxies = TrustedProxies());

// The longest account token a grant accepts: far below the metadata limit within which a caller
// presents it.
inline constexpr size_t kMaxTokenBytes = 1024;

// True when a caller can present `token` so that IdentifyCaller reads it back: 1 to
// kMaxTokenBytes bytes of printable ASCII (space to '~', as gRPC metadata values are), neither
// beginning nor ending with a space (IdentifyCaller strips them). Credits or a pass granted to
// any other token could never be spent.
bool IsPresentableToken(absl::string_view token);

// The same, reading the metadata and peer of a live call.
Caller IdentifyCaller(const grpc::ServerContextBase& context,
                      const TrustedProxies& proxies = TrustedProxies());

// AddressQuotaKey (api/client_address.h) of a live call's client address.
std::string ClientAddressKey(const grpc::ServerContextBase& context, const TrustedProxies& proxies);

// The metadata of a live call as a map with std::string keys and values.
std::multimap<std::string, std::string> CallMetadata(const grpc::ServerContextBase& context);

// The value of `x-free-used`: base64 of a non-negative decimal integer; nullopt when unreadable.
std::optional<int> DecodeFreeUsed(absl::string_view value);

// `x-free-user-id`: the decoded UUID when `value` is base64 of one, else `value` itself.
std::string DecodeFreeUserId(absl::string_view value);

// The address part of a gRPC peer string ("ipv4:127.0.0.1:50000" → "127.0.0.1").
std::string PeerAddress(absl::string_view peer);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_IDENTITY_H_
