#include "server/api/client_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/api/identity.h"

namespace citecheck {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// An x-forwarded-for entry without its port: "192.0.2.1:443" → "192.0.2.1",
// "[2001:db8::1]:443" → "2001:db8::1"; a bare IPv6 address stays as it is.
absl::string_view WithoutPort(absl::string_view entry) {
  entry = absl::StripAsciiWhitespace(entry);
  if (absl::ConsumePrefix(&entry, "[")) return entry.substr(0, entry.find(']'));
  const size_t colon = entry.find(':');
  if (colon != absl::string_view::npos && entry.find(':', colon + 1) == absl::string_view::npos) {
    return entry.substr(0, colon);  // one colon: IPv4 with a port
  }
  return entry;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&text, "[") && !absl::ConsumeSuffix(&text, "]")) return std::nullopt;
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(address.bytes.data(), kV4MappedPrefix, sizeof(kV4MappedPrefix)) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    return address;
  }
  address.v6 = true;
  return address;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
  return text;
}

bool IpAddress::InPrefix(const IpAddress& network, int bits) const {
  if (v6 != network.v6) return false;
  const int whole = bits / 8;
  if (std::memcmp(bytes.data(), network.bytes.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (network.bytes[whole] & mask);
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t slash = entry.find('/');
    std::optional<IpAddress> address = IpAddress::Parse(entry.substr(0, slash));
    int bits = 0;
    bool ok = address.has_value();
    if (ok) {
      const int max_bits = address->v6 ? 128 : 32;
      bits = max_bits;
      if (slash != absl::string_view::npos) {
        ok = absl::SimpleAtoi(entry.substr(slash + 1), &bits) && bits >= 0 && bits <= max_bits;
      }
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", entry, "' is not an IP address or a CIDR (e.g. 10.0.0.0/8)"));
    }
    proxies.networks_.push_back({*address, bits});
  }
  return proxies;
}

bool TrustedProxies::Contains(const IpAddress& address) const {
  for (const Network& network : networks_) {
    if (address.InPrefix(network.address, network.bits)) return true;
  }
  return false;
}

std::string ClientAddress(const std::multimap<std::string, std::string>& metadata,
                          absl::string_view peer, const TrustedProxies& proxies) {
  const std::string peer_text = PeerAddress(peer);
  const std::optional<IpAddress> peer_ip = IpAddress::Parse(peer_text);
  if (!peer_ip.has_value()) return peer_text;
  if (proxies.empty() || !proxies.Contains(*peer_ip)) return peer_ip->ToString();
  // Every x-forwarded-for header, in order, as one list.
  std::vector<absl::string_view> hops;
  auto [begin, end] = metadata.equal_range("x-forwarded-for");
  for (auto it = begin; it != end; ++it) {
    for (absl::string_view hop : absl::StrSplit(it->second, ',', absl::SkipWhitespace())) {
      hops.push_back(hop);
    }
  }
  std::optional<IpAddress> client;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    std::optional<IpAddress> address = IpAddress::Parse(WithoutPort(*hop));
    if (!address.has_value()) break;  // not an address: trust nothing further left
    client = address;
    if (!proxies.Contains(*address)) break;
  }
  return client.has_value() ? client->ToString() : peer_ip->ToString();
}

std::string AddressQuotaKey(absl::string_view client_address) {
  std::optional<IpAddress> address = IpAddress::Parse(client_address);
  if (!address.has_value()) return absl::StrCat("addr:", client_address);
  if (!address->v6) return absl::StrCat("ip4:", address->ToString());
  IpAddress prefix = *address;
  std::memset(prefix.bytes.data() + 8, 0, 8);
  return absl::StrCat("ip6:", prefix.ToString(), "/64");
}

}  // namespace citecheck
