#include "server/accounts/identity.h"

#include <string>

#include "gtest/gtest.h"
#include "server/common/hashing.h"

namespace citecheck {
namespace {

TEST(CallerTest, AccountOwnerKeyIsTheTokenHashNotTheToken) {
  const Caller c = Caller::ForAccount("secret-token");
  EXPECT_EQ(c.OwnerKey(), "acct:" + Sha256Hex("secret-token"));
  EXPECT_EQ(c.OwnerKey().find("secret-token"), std::string::npos);
  EXPECT_FALSE(c.is_free());
}

TEST(CallerTest, AccountsHaveNoFreeUsageKey) {
  EXPECT_EQ(Caller::ForAccount("t").FreeUsageKey(), "");
}

TEST(CallerTest, FreeAndAnonymousCallersAreKeyedByTheirIdOrAddress) {
  EXPECT_EQ(Caller::ForFreeUser("u1").OwnerKey(), "free:u1");
  EXPECT_EQ(Caller::ForFreeUser("u1").FreeUsageKey(), "free:u1");
  EXPECT_EQ(Caller::ForAnonymous("10.0.0.1").OwnerKey(), "anon:10.0.0.1");
  EXPECT_EQ(Caller::ForAnonymous("10.0.0.1").FreeUsageKey(), "anon:10.0.0.1");
  EXPECT_TRUE(Caller::ForFreeUser("u1").is_free());
  EXPECT_TRUE(Caller::ForAnonymous("10.0.0.1").is_free());
}

TEST(CallerTest, FreeIdAndAddressWithTheSameTextAreDifferentOwners) {
  EXPECT_NE(Caller::ForFreeUser("10.0.0.1").OwnerKey(),
            Caller::ForAnonymous("10.0.0.1").OwnerKey());
  EXPECT_NE(Caller::ForFreeUser("10.0.0.1").FreeUsageKey(),
            Caller::ForAnonymous("10.0.0.1").FreeUsageKey());
}

TEST(CallerTest, DifferentTokensAreDifferentOwners) {
  EXPECT_NE(Caller::ForAccount("a").OwnerKey(), Caller::ForAccount("b").OwnerKey());
  EXPECT_EQ(Caller::ForAccount("a").OwnerKey(), Caller::ForAccount("a").OwnerKey());
}

}  // namespace
}  // namespace citecheck
