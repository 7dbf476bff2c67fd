#ifndef CITECHECK_SERVER_API_CLIENT_ADDRESS_H_
#define CITECHECK_SERVER_API_CLIENT_ADDRESS_H_

// Where a call comes from: the peer's IP address, or, behind a trusted reverse proxy, the client
// that proxy names in `x-forwarded-for`. Free usage is capped per client address per UTC day
// (QuotaRules::free_address_daily_limit), so the address must not be something a client can
// choose: x-forwarded-for counts only when the peer is a configured proxy.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace citecheck {

// An IPv4 or IPv6 address. IPv4 addresses are held as such, also when written IPv4-mapped
// ("::ffff:192.0.2.1").
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes = {};  // network order; IPv4 uses the first 4

  // "192.0.2.1", "2001:db8::1", "[2001:db8::1]", "::ffff:192.0.2.1"; nullopt for anything else
  // (ports, zones, names).
  static std::optional<IpAddress> Parse(absl::string_view text);
  // The canonical text (inet_ntop): one spelling per address.
  std::string ToString() const;
  // True when the first `bits` bits equal those of `network` (same family).
  bool InPrefix(const IpAddress& network, int bits) const;
};

// The proxies whose x-forwarded-for is believed (flag --trusted_proxies). Immutable, hence
// thread-safe.
class TrustedProxies {
 public:
  TrustedProxies() = default;  // none: x-forwarded-for is always ignored

  // A comma-separated list of CIDRs or single addresses ("10.0.0.0/8, 192.0.2.7, fd00::/8");
  // empty = none. INVALID_ARGUMENT naming the entry that is not one.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  bool Contains(const IpAddress& address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    IpAddress address;
    int bits = 0;
  };
  std::vector<Network> networks_;
};

// The client's address for a call from gRPC peer `peer` ("ipv4:192.0.2.1:5000",
// "ipv6:[2001:db8::1]:5000"; see PeerAddress) with `metadata` (keys lower case):
//  - the peer's address, when the peer is not a trusted proxy;
//  - else the right-most x-forwarded-for entry that is not a trusted proxy (entries a client
//    put in front of the proxy's own are skipped that way), or the left-most when every entry
//    is one; the peer's address when there is no usable entry.
// Entries may carry a port ("192.0.2.1:443", "[2001:db8::1]:443"). The result is canonical
// text for an IP address, else the peer string's address part as is (e.g. "unix:/path").
std::string ClientAddress(const std::multimap<std::string, std::string>& metadata,
                          absl::string_view peer, const TrustedProxies& proxies);

// The key under which `client_address`'s free usage is counted: "ip4:192.0.2.1" for IPv4,
// "ip6:2001:db8:1:2::/64" for IPv6 (its /64: one subscriber's usual allocation, so that
// rotating addresses inside it gains nothing), "addr:<text>" for anything else.
std::string AddressQuotaKey(absl::string_view client_address);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_CLIENT_ADDRESS_H_
