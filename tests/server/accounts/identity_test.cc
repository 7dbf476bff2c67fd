#include "server/accounts/identity.h"

#include <string>

#include "gtest/gtest.h"
#include "server/common/hashing.h"

namespace citecheck {
namespace {

Caller Account(const std::string& token) {
  Caller c;
  c.kind = Caller::Kind::kAccount;
  c.token = token;
  return c;
}

Caller Free(const std::string& id) {
  Caller c;
  c.kind = Caller::Kind::kFree;
  c.free_key = id;
  return c;
}

Caller Anonymous(const std::string& ip) {
  Caller c;
  c.kind = Caller::Kind::kAnonymous;
  c.free_key = ip;
  return c;
}

TEST(CallerTest, AccountOwnerKeyIsTheTokenHashNotTheToken) {
  const Caller c = Account("secret-token");
  EXPECT_EQ(c.OwnerKey(), "acct:" + Sha256Hex("secret-token"));
  EXPECT_EQ(c.OwnerKey().find("secret-token"), std::string::npos);
  EXPECT_FALSE(c.is_free());
}

TEST(CallerTest, AccountsHaveNoFreeUsageKey) { EXPECT_EQ(Account("t").FreeUsageKey(), ""); }

TEST(CallerTest, FreeAndAnonymousCallersAreKeyedByTheirIdOrAddress) {
  EXPECT_EQ(Free("u1").OwnerKey(), "free:u1");
  EXPECT_EQ(Free("u1").FreeUsageKey(), "free:u1");
  EXPECT_EQ(Anonymous("10.0.0.1").OwnerKey(), "anon:10.0.0.1");
  EXPECT_EQ(Anonymous("10.0.0.1").FreeUsageKey(), "anon:10.0.0.1");
  EXPECT_TRUE(Free("u1").is_free());
  EXPECT_TRUE(Anonymous("10.0.0.1").is_free());
}

TEST(CallerTest, FreeIdAndAddressWithTheSameTextAreDifferentOwners) {
  EXPECT_NE(Free("10.0.0.1").OwnerKey(), Anonymous("10.0.0.1").OwnerKey());
  EXPECT_NE(Free("10.0.0.1").FreeUsageKey(), Anonymous("10.0.0.1").FreeUsageKey());
}

TEST(CallerTest, DifferentTokensAreDifferentOwners) {
  EXPECT_NE(Account("a").OwnerKey(), Account("b").OwnerKey());
  EXPECT_EQ(Account("a").OwnerKey(), Account("a").OwnerKey());
}

}  // namespace
}  // namespace citecheck
