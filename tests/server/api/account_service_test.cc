// AccountServiceImpl served in process on a loopback port over a MemoryAccountStore and a
// FakeClock: the admin key check and how each RPC maps the store's answers and errors to gRPC.

#include "server/api/account_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "server/common/errors.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {

constexpr char kKey[] = "s3cret-admin-key";

// ---- AdminKey ------------------------------------------------------------------------------

TEST(AdminKeyTest, TheConfiguredKeyMatches) {
  AdminKey key(kKey);
  EXPECT_TRUE(key.configured());
  EXPECT_TRUE(key.Matches(kKey));
}

TEST(AdminKeyTest, AnotherKeyOfTheSameLengthDoesNotMatch) {
  AdminKey key(kKey);
  std::string other = kKey;
  other.back() = 'X';  // differs in the last byte only
  EXPECT_FALSE(key.Matches(other));
  other = kKey;
  other.front() = 'X';  // in the first byte only
  EXPECT_FALSE(key.Matches(other));
}

TEST(AdminKeyTest, KeysOfOtherLengthsDoNotMatch) {
  AdminKey key(kKey);
  const std::string full = kKey;
  EXPECT_FALSE(key.Matches(full.substr(0, full.size() - 1)));  // a prefix
  EXPECT_FALSE(key.Matches(full + "x"));                       // an extension
  EXPECT_FALSE(key.Matches(full + std::string(1, '\0')));      // a trailing NUL
  EXPECT_FALSE(key.Matches(std::string(1000, 'a')));
  EXPECT_FALSE(key.Matches(""));
}

TEST(AdminKeyTest, NoConfiguredKeyRefusesEverything) {
  AdminKey key("");
  EXPECT_FALSE(key.configured());
  EXPECT_FALSE(key.Matches(""));
  EXPECT_FALSE(key.Matches(kKey));
  EXPECT_FALSE(key.Matches(std::string(1, '\0')));
}

// ---- The service ---------------------------------------------------------------------------

// The error a grpc::Status carries, decoded back into citecheck's absl form.
absl::Status Decode(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return absl::UnknownError("undecodable");
  return FromRpcStatus(rpc);
}

// The BadRequest field violations of `status`, by field name.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return fields;
  for (const auto& detail : rpc.details()) {
    google::rpc::BadRequest bad;
    if (!detail.UnpackTo(&bad)) continue;
    for (const auto& violation : bad.field_violations()) fields.push_back(violation.field());
  }
  return fields;
}

using Metadata = std::vector<std::pair<std::string, std::string>>;

// `service` on a loopback port, with a stub to call it.
class Serving {
 public:
  explicit Serving(AccountServiceImpl* service) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    stub_ = v1::AccountService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  ~Serving() { server_->Shutdown(); }

  grpc::Status GrantCredits(const Metadata& metadata, const v1::GrantCreditsRequest& request,
                            v1::Balance* balance) {
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->GrantCredits(&context, request, balance);
  }
  grpc::Status GrantPass(const Metadata& metadata, const v1::GrantPassRequest& request,
                         v1::Balance* balance) {
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->GrantPass(&context, request, balance);
  }
  grpc::Status GetBalance(const Metadata& metadata, v1::Balance* balance) {
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->GetBalance(&context, v1::GetBalanceRequest(), balance);
  }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

Metadata AdminKeyMetadata(const std::string& admin_key) {
  return admin_key.empty() ? Metadata() : Metadata{{"x-admin-key", admin_key}};
}

class AccountServiceTest : public ::testing::Test {
 protected:
  static QuotaRules Rules() {
    QuotaRules rules;
    rules.free_limit = 5;
    rules.pass_daily_limit = 3;
    return rules;
  }

  static grpc::Status GrantCredits(Serving& serving, const std::string& admin_key,
                                   const std::string& token, int64_t credits,
                                   const std::string& order, v1::Balance* balance) {
    v1::GrantCreditsRequest request;
    request.set_token(token);
    request.set_credits(credits);
    request.set_order_id(order);
    return serving.GrantCredits(AdminKeyMetadata(admin_key), request, balance);
  }

  static grpc::Status GrantPass(Serving& serving, const std::string& admin_key,
                                const std::string& token, int days, const std::string& order,
                                v1::Balance* balance) {
    v1::GrantPassRequest request;
    request.set_token(token);
    request.set_days(days);
    request.set_order_id(order);
    return serving.GrantPass(AdminKeyMetadata(admin_key), request, balance);
  }

  grpc::Status Balance(const Metadata& metadata, v1::Balance* balance) {
    return serving_.GetBalance(metadata, balance);
  }

  void ExpectAdminKeyRequired(const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(ErrorReason(Decode(status)), reason::kAdminKeyRequired);
    EXPECT_EQ(status.error_message().find(kKey), std::string::npos);
  }

  FakeClock clock_;
  MemoryAccountStore store_{Rules()};
  AccountServiceImpl service_{&store_, &clock_, kKey};
  Serving serving_{&service_};
};

TEST_F(AccountServiceTest, GetBalanceOfAFreeUserIsItsFreeUsage) {
  v1::Balance balance;
  ASSERT_TRUE(Balance({{"x-free-user-id", "someone"}}, &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(balance.free_used(), 0);
  EXPECT_EQ(balance.free_limit(), 5);
  // An old client's claimed usage shows.
  ASSERT_TRUE(
      Balance({{"x-free-user-id", "someone"}, {"x-free-used", absl::Base64Escape("3")}}, &balance)
          .ok());
  EXPECT_EQ(balance.free_used(), 3);
}

TEST_F(AccountServiceTest, GetBalanceOfAnAnonymousCallerIsFree) {
  v1::Balance balance;
  ASSERT_TRUE(Balance({}, &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(balance.free_limit(), 5);
}

TEST_F(AccountServiceTest, GetBalanceOfAnUnknownTokenIsAnEmptyCreditAccount) {
  v1::Balance balance;
  ASSERT_TRUE(Balance({{"authorization", "Bearer nobody"}}, &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(balance.credits(), 0);
  EXPECT_FALSE(balance.pass_active());
}

TEST_F(AccountServiceTest, GrantCreditsWithTheKeyAddsCreditsOncePerOrder) {
  v1::Balance balance;
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 5, "o-1", &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(balance.credits(), 5);
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 5, "o-1", &balance).ok());
  EXPECT_EQ(balance.credits(), 5);  // the same order again grants nothing
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 2, "o-2", &balance).ok());
  EXPECT_EQ(balance.credits(), 7);
  ASSERT_TRUE(Balance({{"x-user-token", "tok"}}, &balance).ok());
  EXPECT_EQ(balance.credits(), 7);
}

TEST_F(AccountServiceTest, GrantsWithoutTheRightKeyArePermissionDeniedAndChangeNothing) {
  v1::Balance balance;
  ExpectAdminKeyRequired(GrantCredits(serving_, "", "tok", 5, "o-1", &balance));
  ExpectAdminKeyRequired(GrantCredits(serving_, "wrong", "tok", 5, "o-1", &balance));
  ExpectAdminKeyRequired(
      GrantCredits(serving_, std::string(kKey) + "x", "tok", 5, "o-1", &balance));
  ExpectAdminKeyRequired(GrantPass(serving_, "", "tok", 7, "p-1", &balance));
  ExpectAdminKeyRequired(GrantPass(serving_, "wrong", "tok", 7, "p-1", &balance));
  // A token is not an admin key.
  {
    v1::GrantCreditsRequest request;
    request.set_token("tok");
    request.set_credits(5);
    request.set_order_id("o-1");
    ExpectAdminKeyRequired(serving_.GrantCredits(
        Metadata{{"authorization", std::string("Bearer ") + kKey}}, request, &balance));
  }
  ASSERT_TRUE(Balance({{"x-user-token", "tok"}}, &balance).ok());
  EXPECT_EQ(balance.credits(), 0);
  EXPECT_FALSE(balance.pass_active());
  // Nothing was recorded: the refused order ids are still free to use.
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 1, "o-1", &balance).ok());
  EXPECT_EQ(balance.credits(), 1);
}

TEST_F(AccountServiceTest, WithoutAConfiguredKeyEveryGrantIsRefused) {
  AccountServiceImpl no_key(&store_, &clock_, "");
  Serving serving(&no_key);
  v1::Balance balance;
  ExpectAdminKeyRequired(GrantCredits(serving, "", "tok", 5, "o-1", &balance));
  ExpectAdminKeyRequired(GrantCredits(serving, kKey, "tok", 5, "o-1", &balance));
  ExpectAdminKeyRequired(GrantPass(serving, kKey, "tok", 7, "p-1", &balance));
  // GetBalance needs no key.
  ASSERT_TRUE(serving.GetBalance(Metadata{{"x-user-token", "tok"}}, &balance).ok());
  EXPECT_EQ(balance.credits(), 0);
}

TEST_F(AccountServiceTest, StoreErrorsPassThroughWithTheirField) {
  v1::Balance balance;
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 5, "o-1", &balance).ok());
  grpc::Status reused = GrantCredits(serving_, kKey, "tok", 6, "o-1", &balance);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(Decode(reused)), reason::kOrderIdReused);
  EXPECT_EQ(ViolatedFields(reused), std::vector<std::string>{"order_id"});

  grpc::Status zero = GrantCredits(serving_, kKey, "tok", 0, "o-2", &balance);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(Decode(zero)), reason::kInvalidGrant);
  EXPECT_EQ(ViolatedFields(zero), std::vector<std::string>{"credits"});

  grpc::Status no_token = GrantCredits(serving_, kKey, "", 5, "o-3", &balance);
  EXPECT_EQ(no_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(no_token), std::vector<std::string>{"token"});

  grpc::Status days = GrantPass(serving_, kKey, "tok", 5, "p-1", &balance);
  EXPECT_EQ(days.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(Decode(days)), reason::kInvalidGrant);
  EXPECT_EQ(ViolatedFields(days), std::vector<std::string>{"days"});
}

TEST_F(AccountServiceTest, GrantsToATokenNoCallerCanPresentAreInvalidAndGrantNothing) {
  v1::Balance balance;
  for (const std::string& token :
       std::vector<std::string>{"tok\n", " tok", "t\xc3\xb6k", std::string(1025, 't')}) {
    for (const grpc::Status& status : {GrantCredits(serving_, kKey, token, 5, "o-1", &balance),
                                       GrantPass(serving_, kKey, token, 7, "p-1", &balance)}) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(ErrorReason(Decode(status)), reason::kInvalidGrant);
      EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"token"});
    }
  }
  // The order ids were not used up.
  ASSERT_TRUE(GrantCredits(serving_, kKey, "tok", 5, "o-1", &balance).ok());
  EXPECT_EQ(balance.credits(), 5);
  ASSERT_TRUE(GrantPass(serving_, kKey, "tok", 7, "p-1", &balance).ok());
  EXPECT_TRUE(balance.pass_active());
}

TEST_F(AccountServiceTest, GrantPassStartsAtTheClocksNowAndExtendsAnActivePass) {
  const absl::Time start = clock_.Now();
  v1::Balance balance;
  ASSERT_TRUE(GrantPass(serving_, kKey, "tok", 7, "p-1", &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_PASS);
  EXPECT_TRUE(balance.pass_active());
  EXPECT_EQ(balance.pass_type(), "7day");
  EXPECT_EQ(balance.daily_limit(), 3);
  EXPECT_EQ(balance.pass_expire_time().seconds(), absl::ToUnixSeconds(start + absl::Hours(168)));

  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(GrantPass(serving_, kKey, "tok", 7, "p-2", &balance).ok());
  EXPECT_EQ(balance.pass_expire_time().seconds(), absl::ToUnixSeconds(start + absl::Hours(336)));
  // The same order again: unchanged.
  ASSERT_TRUE(GrantPass(serving_, kKey, "tok", 7, "p-2", &balance).ok());
  EXPECT_EQ(balance.pass_expire_time().seconds(), absl::ToUnixSeconds(start + absl::Hours(336)));

  // GetBalance reads at the clock's time: past the expiry the pass is over.
  clock_.Advance(absl::Hours(336));
  ASSERT_TRUE(Balance({{"x-user-token", "tok"}}, &balance).ok());
  EXPECT_FALSE(balance.pass_active());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
}

}  // namespace
}  // namespace citecheck
