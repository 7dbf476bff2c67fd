#include "server/api/identity.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using Metadata = std::multimap<std::string, std::string>;

TEST(IdentityTest, BearerTokenMakesAnAccount) {
  Caller caller = IdentifyCaller(Metadata{{"authorization", "Bearer tok-123"}}, "ipv4:1.2.3.4:5");
  EXPECT_EQ(caller.kind, Caller::Kind::kAccount);
  EXPECT_EQ(caller.token, "tok-123");
  EXPECT_EQ(caller.OwnerKey().rfind("acct:", 0), 0u);
  EXPECT_EQ(caller.OwnerKey().find("tok-123"), std::string::npos);  // hashed, never raw
}

TEST(IdentityTest, XUserTokenMakesAnAccountAndWinsOverFreeUserId) {
  Caller caller = IdentifyCaller(Metadata{{"x-user-token", "tok"}, {"x-free-user-id", "someone"}},
                                 "ipv4:1.2.3.4:5");
  EXPECT_EQ(caller.kind, Caller::Kind::kAccount);
  EXPECT_EQ(caller.token, "tok");
}

TEST(IdentityTest, PresentableTokensAreTheOnesIdentifyCallerReadsBack) {
  for (const std::string& token : std::vector<std::string>{
           "t", "tok-123", "a token with inner spaces ~!", std::string(kMaxTokenBytes, 'k')}) {
    EXPECT_TRUE(IsPresentableToken(token)) << token;
    EXPECT_EQ(IdentifyCaller(Metadata{{"x-user-token", token}}, "ipv4:1.2.3.4:5").token, token);
    EXPECT_EQ(
        IdentifyCaller(Metadata{{"authorization", "Bearer " + token}}, "ipv4:1.2.3.4:5").token,
        token);
  }
  // Stripped by IdentifyCaller, never in a metadata value, or too long.
  for (const std::string& token : std::vector<std::string>{
           "", " lead", "trail ", "new\nline", "tab\tbed", std::string("nul\0byte", 8), "del\x7f",
           "t\xc3\xb6ken", std::string(kMaxTokenBytes + 1, 'k')}) {
    EXPECT_FALSE(IsPresentableToken(token)) << absl::CEscape(token);
  }
}

TEST(IdentityTest, NonBearerAuthorizationIsIgnored) {
  Caller caller = IdentifyCaller(Metadata{{"authorization", "Basic abc"}}, "ipv4:9.9.9.9:1");
  EXPECT_EQ(caller.kind, Caller::Kind::kAnonymous);
  EXPECT_EQ(caller.free_key, "9.9.9.9");
}

TEST(IdentityTest, FreeUserIdThatIsBase64OfAUuidIsDecoded) {
  const std::string uuid = "123e4567-e89b-12d3-a456-426614174000";
  Caller caller =
      IdentifyCaller(Metadata{{"x-free-user-id", absl::Base64Escape(uuid)}}, "ipv4:1.1.1.1:1");
  EXPECT_EQ(caller.kind, Caller::Kind::kFree);
  EXPECT_EQ(caller.free_key, uuid);
  EXPECT_EQ(caller.FreeUsageKey(), "free:" + uuid);
}

TEST(IdentityTest, FreeUserIdThatIsNotBase64OfAUuidIsUsedAsIs) {
  EXPECT_EQ(DecodeFreeUserId("plain-id"), "plain-id");
  EXPECT_EQ(DecodeFreeUserId(absl::Base64Escape("not a uuid")), absl::Base64Escape("not a uuid"));
  EXPECT_EQ(DecodeFreeUserId("invalid-base64-!"), "invalid-base64-!");
}

TEST(IdentityTest, AnonymousCallersAreKeyedByAddressWithoutPort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:50000"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:50000"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:%5B::1%5D:50000"), "::1");
  Caller a = IdentifyCaller(Metadata{}, "ipv4:10.0.0.7:1111");
  Caller b = IdentifyCaller(Metadata{}, "ipv4:10.0.0.7:2222");
  EXPECT_EQ(a.kind, Caller::Kind::kAnonymous);
  EXPECT_EQ(a.OwnerKey(), b.OwnerKey());  // same address, other port: same caller
  EXPECT_NE(a.OwnerKey(), IdentifyCaller(Metadata{}, "ipv4:10.0.0.8:1111").OwnerKey());
}

TEST(IdentityTest, EmptyHeadersCountAsAbsent) {
  Caller caller =
      IdentifyCaller(Metadata{{"authorization", ""}, {"x-user-token", " "}, {"x-free-user-id", ""}},
                     "ipv4:1.2.3.4:5");
  EXPECT_EQ(caller.kind, Caller::Kind::kAnonymous);
}

TEST(IdentityTest, FreeUsedIsBase64OfANonNegativeInteger) {
  EXPECT_EQ(DecodeFreeUsed(absl::Base64Escape("8")), 8);
  EXPECT_EQ(DecodeFreeUsed(absl::Base64Escape("0")), 0);
  EXPECT_EQ(DecodeFreeUsed(absl::Base64Escape("-5")), std::nullopt);  // LTU=: the old bypass
  EXPECT_EQ(DecodeFreeUsed(absl::Base64Escape("abc")), std::nullopt);
  EXPECT_EQ(DecodeFreeUsed("!!!"), std::nullopt);
  EXPECT_EQ(DecodeFreeUsed(""), std::nullopt);
  EXPECT_EQ(DecodeFreeUsed(absl::Base64Escape("99999999999")), std::nullopt);
  Caller caller = IdentifyCaller(
      Metadata{{"x-free-user-id", "u"}, {"x-free-used", absl::Base64Escape("8")}}, "ipv4:1:1");
  EXPECT_EQ(caller.free_used_floor, 8);
}

}  // namespace
}  // namespace citecheck
