#include "server/api/client_address.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "server/api/identity.h"

namespace citecheck {
namespace {

using Metadata = std::multimap<std::string, std::string>;

TrustedProxies Proxies(const std::string& list) {
  absl::StatusOr<TrustedProxies> proxies = TrustedProxies::Parse(list);
  EXPECT_TRUE(proxies.ok()) << proxies.status();
  return proxies.ok() ? *proxies : TrustedProxies();
}

TEST(IpAddressTest, ParsesBothFamiliesInOneCanonicalSpelling) {
  EXPECT_EQ(IpAddress::Parse("192.0.2.1")->ToString(), "192.0.2.1");
  EXPECT_EQ(IpAddress::Parse(" 2001:DB8:0:0::1 ")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("[2001:db8::1]")->ToString(), "2001:db8::1");
  // IPv4-mapped IPv6 is the IPv4 address, so that one client has one key.
  std::optional<IpAddress> mapped = IpAddress::Parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(mapped->ToString(), "192.0.2.1");
  for (const char* bad : {"", "192.0.2.1:80", "[2001:db8::1]:80", "fe80::1%eth0", "example.com",
                          "192.0.2", "[2001:db8::1", "unix:/tmp/s", "1.2.3.4.5"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
}

TEST(IpAddressTest, PrefixesCompareWholeAndPartialBytesOfOneFamily) {
  const IpAddress net = *IpAddress::Parse("10.1.0.0");
  EXPECT_TRUE(IpAddress::Parse("10.1.255.3")->InPrefix(net, 16));
  EXPECT_FALSE(IpAddress::Parse("10.2.0.3")->InPrefix(net, 16));
  EXPECT_TRUE(IpAddress::Parse("10.1.127.0")->InPrefix(net, 17));
  EXPECT_FALSE(IpAddress::Parse("10.1.128.0")->InPrefix(net, 17));
  EXPECT_TRUE(IpAddress::Parse("203.0.113.9")->InPrefix(net, 0));
  EXPECT_FALSE(IpAddress::Parse("::a01:0")->InPrefix(net, 16));  // another family
}

TEST(TrustedProxiesTest, ParsesCidrsAndSingleAddressesAndNamesTheBadEntry) {
  TrustedProxies proxies = Proxies(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8,");
  EXPECT_FALSE(proxies.empty());
  EXPECT_TRUE(proxies.Contains(*IpAddress::Parse("10.200.1.1")));
  EXPECT_TRUE(proxies.Contains(*IpAddress::Parse("192.0.2.7")));
  EXPECT_FALSE(proxies.Contains(*IpAddress::Parse("192.0.2.8")));
  EXPECT_TRUE(proxies.Contains(*IpAddress::Parse("fd12::1")));
  EXPECT_FALSE(proxies.Contains(*IpAddress::Parse("2001:db8::1")));
  EXPECT_TRUE(Proxies("").empty());
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/-1", "10.0.0.0/x", "proxy.local",
                          "10.0.0.0/8, nonsense"}) {
    absl::StatusOr<TrustedProxies> parsed = TrustedProxies::Parse(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(TrustedProxies::Parse("10.0.0.0/8, nonsense").status().message().find("'nonsense'"),
            absl::string_view::npos);
}

TEST(ClientAddressTest, WithoutTrustedProxiesThePeerIsTheClientWhateverXForwardedForSays) {
  const Metadata forged = {{"x-forwarded-for", "198.51.100.1"}};
  EXPECT_EQ(ClientAddress(forged, "ipv4:203.0.113.5:4000", TrustedProxies()), "203.0.113.5");
  EXPECT_EQ(ClientAddress(forged, "ipv6:[2001:db8::5]:4000", TrustedProxies()), "2001:db8::5");
  // A peer that is no trusted proxy: ignored too.
  EXPECT_EQ(ClientAddress(forged, "ipv4:203.0.113.5:4000", Proxies("10.0.0.0/8")), "203.0.113.5");
  EXPECT_EQ(ClientAddress(forged, "unix:/run/citecheck.sock", Proxies("10.0.0.0/8")),
            "unix:/run/citecheck.sock");
}

TEST(ClientAddressTest, BehindATrustedProxyTheRightMostUntrustedHopIsTheClient) {
  const TrustedProxies proxies = Proxies("10.0.0.0/8");
  const std::string peer = "ipv4:10.0.0.2:4000";
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "198.51.100.1"}}, peer, proxies), "198.51.100.1");
  // What the client wrote in front of the proxy's entry counts for nothing.
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "1.1.1.1, 2.2.2.2, 198.51.100.1"}}, peer, proxies),
            "198.51.100.1");
  // Chained proxies are skipped; ports and brackets are dropped; spellings are canonical.
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "198.51.100.1:5555, 10.9.9.9"}}, peer, proxies),
            "198.51.100.1");
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "[2001:DB8::7]:443"}}, peer, proxies),
            "2001:db8::7");
  // Several headers are one list, in order.
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "198.51.100.1"}, {"x-forwarded-for", "10.1.1.1"}},
                          peer, proxies),
            "198.51.100.1");
  // Every hop a proxy: the left-most. No header, or garbage where the client should be: the peer.
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "10.3.3.3, 10.4.4.4"}}, peer, proxies), "10.3.3.3");
  EXPECT_EQ(ClientAddress({}, peer, proxies), "10.0.0.2");
  EXPECT_EQ(ClientAddress({{"x-forwarded-for", "1.1.1.1, unknown"}}, peer, proxies), "10.0.0.2");
}

TEST(AddressQuotaKeyTest, Ipv4ByAddressIpv6ByItsSlash64OthersAsIs) {
  EXPECT_EQ(AddressQuotaKey("192.0.2.1"), "ip4:192.0.2.1");
  EXPECT_EQ(AddressQuotaKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "ip6:2001:db8:1:2::/64");
  EXPECT_EQ(AddressQuotaKey("2001:db8:1:2::99"), AddressQuotaKey("2001:db8:1:2:ffff::1"));
  EXPECT_NE(AddressQuotaKey("2001:db8:1:2::1"), AddressQuotaKey("2001:db8:1:3::1"));
  EXPECT_EQ(AddressQuotaKey("unix:/run/s"), "addr:unix:/run/s");
}

TEST(ClientAddressTest, FreeAndAnonymousCallersCarryTheirAddressKeyAccountsNone) {
  const TrustedProxies proxies = Proxies("10.0.0.0/8");
  const Metadata forwarded = {{"x-forwarded-for", "198.51.100.1"}};
  Caller free = IdentifyCaller(Metadata{{"x-free-user-id", "u1"}, *forwarded.begin()},
                               "ipv4:10.0.0.2:1", proxies);
  EXPECT_EQ(free.kind, Caller::Kind::kFree);
  EXPECT_EQ(free.address_key, "ip4:198.51.100.1");
  Caller anonymous = IdentifyCaller(forwarded, "ipv4:10.0.0.2:1", proxies);
  EXPECT_EQ(anonymous.kind, Caller::Kind::kAnonymous);
  EXPECT_EQ(anonymous.free_key, "198.51.100.1");
  EXPECT_EQ(anonymous.address_key, "ip4:198.51.100.1");
  // The same header from an untrusted peer changes nothing.
  EXPECT_EQ(IdentifyCaller(forwarded, "ipv4:203.0.113.5:1", proxies).address_key,
            "ip4:203.0.113.5");
  Caller account = IdentifyCaller(Metadata{{"x-user-token", "tok"}, *forwarded.begin()},
                                  "ipv4:10.0.0.2:1", proxies);
  EXPECT_EQ(account.kind, Caller::Kind::kAccount);
  EXPECT_EQ(account.address_key, "");
}

}  // namespace
}  // namespace citecheck
