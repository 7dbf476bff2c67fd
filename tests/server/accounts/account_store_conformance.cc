#include "tests/server/accounts/account_store_conformance.h"

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/rpc/error_details.pb.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"

// Compiled into both accounts_test and mysql_test; each instantiates the suite for its store.

namespace citecheck {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// The field of the BadRequest violation of `status`, or "" when it has none.
std::string ViolatedField(const absl::Status& status) {
  const google::rpc::Status rpc = ToRpcStatus(status);
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest bad;
    if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
        bad.ParseFromString(any.value()) && bad.field_violations_size() > 0) {
      return bad.field_violations(0).field();
    }
  }
  return "";
}

}  // namespace

// ---- Fixture ---------------------------------------------------------------------------------

void AccountStoreConformanceTest::SetUp() {
  now_ = Utc(2027, 1, 1, 12);
  Recreate(QuotaRules{kFreeLimit, kDailyLimit});
}

void AccountStoreConformanceTest::TearDown() {
  if (store_ != nullptr) {
    const absl::Status invariants = CheckInvariants();
    EXPECT_TRUE(invariants.ok()) << invariants;
  }
  store_ = nullptr;
  subject_.store.reset();       // the store goes before what it needs,
  subject_ = StoreUnderTest();  // e.g. its database
}

void AccountStoreConformanceTest::Recreate(const QuotaRules& rules) {
  store_ = nullptr;
  subject_.store.reset();       // the old store goes before what it needs
  subject_ = StoreUnderTest();  // and before the new one is made
  absl::StatusOr<StoreUnderTest> made = GetParam().make(rules);
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_NE(made->store, nullptr);
  ASSERT_TRUE(made->check_invariants != nullptr);
  ASSERT_TRUE(made->ledger != nullptr);
  subject_ = *std::move(made);
  store_ = subject_.store.get();
}

absl::StatusOr<Reservation> AccountStoreConformanceTest::Reserve(const Caller& caller,
                                                                 const std::string& job_id,
                                                                 int citations, absl::Time now) {
  ReserveRequest request;
  request.caller = caller;
  request.job_id = job_id;
  request.citations = citations;
  request.now = now;
  return store_->Reserve(request);
}

absl::StatusOr<Reservation> AccountStoreConformanceTest::Reserve(const Caller& caller,
                                                                 const std::string& job_id,
                                                                 int citations) {
  return Reserve(caller, job_id, citations, now_);
}

void AccountStoreConformanceTest::Settle(const std::string& job_id, int index,
                                         Settlement::Kind kind) {
  Settlement s;
  s.job_id = job_id;
  s.index = index;
  s.kind = kind;
  const absl::Status status = store_->Settle({s});
  ASSERT_TRUE(status.ok()) << status;
}

void AccountStoreConformanceTest::Charge(const std::string& job_id, int index) {
  Settle(job_id, index, Settlement::Kind::kCharge);
}

void AccountStoreConformanceTest::Release(const std::string& job_id, int index) {
  Settle(job_id, index, Settlement::Kind::kRelease);
}

int64_t AccountStoreConformanceTest::Credits(const std::string& token) {
  absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForAccount(token), now_);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? b->credits() : -1;
}

int AccountStoreConformanceTest::DailyUsed(const std::string& token, absl::Time now) {
  absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForAccount(token), now);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? b->daily_used() : -1;
}

int AccountStoreConformanceTest::FreeUsed(const Caller& caller) {
  absl::StatusOr<v1::Balance> b = store_->GetBalance(caller, now_);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? b->free_used() : -1;
}

void AccountStoreConformanceTest::GrantCredits(const std::string& token, int64_t credits,
                                               const std::string& order_id) {
  const absl::Status status = store_->GrantCredits(token, credits, order_id, now_).status();
  ASSERT_TRUE(status.ok()) << status;
}

void AccountStoreConformanceTest::GrantPass(const std::string& token, int days,
                                            const std::string& order_id, absl::Time now) {
  const absl::Status status = store_->GrantPass(token, days, order_id, now).status();
  ASSERT_TRUE(status.ok()) << status;
}

std::vector<LedgerRow> AccountStoreConformanceTest::Ledger() { return subject_.ledger(); }

int64_t AccountStoreConformanceTest::LedgerSize() { return static_cast<int64_t>(Ledger().size()); }

int64_t AccountStoreConformanceTest::LedgerCount(const std::string& kind) {
  int64_t count = 0;
  for (const LedgerRow& row : Ledger()) {
    if (row.kind == kind) ++count;
  }
  return count;
}

absl::Status AccountStoreConformanceTest::CheckInvariants() { return subject_.check_invariants(); }

namespace {

// ---- Credits ---------------------------------------------------------------------------------

TEST_P(AccountStoreConformanceTest, CreditsAcceptWholeBatchWhenBalanceSuffices) {
  GrantCredits("tok", 10, "o1");
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 4);
  EXPECT_EQ(r->locked, 0);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(r->user_status.credits_remaining(), 6);
  EXPECT_EQ(Credits("tok"), 6);
}

TEST_P(AccountStoreConformanceTest, CreditsAcceptUpToBalanceAndLockTheRest) {
  GrantCredits("tok", 3, "o1");
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 3);
  EXPECT_EQ(r->locked, 2);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(r->user_status.credits_remaining(), 0);
  EXPECT_EQ(Credits("tok"), 0);
}

TEST_P(AccountStoreConformanceTest, ZeroCreditsAcceptNothingAndLockEverything) {
  GrantCredits("tok", 2, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job1", 2).ok());
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job2", 4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->locked, 4);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_EQ(r->user_status.credits_remaining(), 0);
}

TEST_P(AccountStoreConformanceTest, UnknownTokenIsAnAccountWithZeroCredits) {
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("nobody"), "job", 3);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->locked, 3);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_CREDITS);

  absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForAccount("nobody"), now_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(b->credits(), 0);
  EXPECT_FALSE(b->pass_active());
}

TEST_P(AccountStoreConformanceTest, EmptyBatchReservesNothingAndLocksNothing) {
  GrantCredits("tok", 5, "o1");
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->locked, 0);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(Credits("tok"), 5);
}

TEST_P(AccountStoreConformanceTest, MalformedReserveRequestsAreRejected) {
  EXPECT_EQ(Reserve(Caller::ForAccount("tok"), "", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reserve(Caller::ForAccount("tok"), "job", -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Free allowance --------------------------------------------------------------------------

TEST_P(AccountStoreConformanceTest, FreeFloorRaisesUsageAndBatchIsCheckedUpToTheLimit) {
  absl::StatusOr<Reservation> r = Reserve(Caller::ForFreeUser("u", /*floor=*/8), "job1", 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 2);
  EXPECT_EQ(r->locked, 3);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(r->user_status.free_used_total(), 10);
  EXPECT_EQ(r->user_status.free_limit(), kFreeLimit);

  absl::StatusOr<Reservation> again = Reserve(Caller::ForFreeUser("u"), "job2", 2);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->accepted, 0);
  EXPECT_EQ(again->locked, 2);
  EXPECT_EQ(again->limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(again->user_status.free_used_total(), 10);
}

TEST_P(AccountStoreConformanceTest, FreeUsagePersistsAcrossReservations) {
  absl::StatusOr<Reservation> first = Reserve(Caller::ForFreeUser("u"), "job1", 6);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->accepted, 6);
  EXPECT_EQ(first->limit_type, v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(first->user_status.free_used_total(), 6);

  absl::StatusOr<Reservation> second = Reserve(Caller::ForFreeUser("u"), "job2", 6);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->accepted, 4);
  EXPECT_EQ(second->locked, 2);
  EXPECT_EQ(second->user_status.free_used_total(), 10);

  absl::StatusOr<Reservation> third = Reserve(Caller::ForFreeUser("u"), "job3", 2);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->accepted, 0);
  EXPECT_EQ(third->locked, 2);
}

TEST_P(AccountStoreConformanceTest, FreeFloorIsStoredForLaterReservations) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u", 7), "job1", 1).ok());  // used 8
  absl::StatusOr<Reservation> r = Reserve(Caller::ForFreeUser("u"), "job2", 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 2);
  EXPECT_EQ(r->user_status.free_used_total(), 10);
}

TEST_P(AccountStoreConformanceTest, FreeFloorNeverLowersUsageAndNegativeFloorIsIgnored) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u"), "job1", 4).ok());
  absl::StatusOr<Reservation> lower = Reserve(Caller::ForFreeUser("u", 1), "job2", 1);
  ASSERT_TRUE(lower.ok()) << lower.status();
  EXPECT_EQ(lower->user_status.free_used_total(), 5);
  absl::StatusOr<Reservation> negative = Reserve(Caller::ForFreeUser("u", -100), "job3", 1);
  ASSERT_TRUE(negative.ok()) << negative.status();
  EXPECT_EQ(negative->accepted, 1);
  EXPECT_EQ(negative->user_status.free_used_total(), 6);
}

TEST_P(AccountStoreConformanceTest, FreeUsersAndAnonymousAddressesCountSeparately) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u1"), "job1", 10).ok());
  absl::StatusOr<Reservation> other = Reserve(Caller::ForFreeUser("u2"), "job2", 3);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->accepted, 3);
  absl::StatusOr<Reservation> anon = Reserve(Caller::ForAnonymous("u1"), "job3", 3);
  ASSERT_TRUE(anon.ok()) << anon.status();
  EXPECT_EQ(anon->accepted, 3);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u1")), 10);
  EXPECT_EQ(FreeUsed(Caller::ForAnonymous("u1")), 3);
}

TEST_P(AccountStoreConformanceTest, FreeBalanceShowsUsageAndLimit) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u"), "job", 3).ok());
  absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForFreeUser("u"), now_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(b->free_used(), 3);
  EXPECT_EQ(b->free_limit(), kFreeLimit);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u", 6)), 6);  // a floor shows in the balance
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u", -1)), 3);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("never-seen")), 0);
}

// ---- Free allowance per client address -------------------------------------------------------

constexpr int kAddressLimit = 12;
constexpr char kAddress[] = "ip4:192.0.2.1";

// A free user `id` calling from the client address whose quota key is `address`.
Caller FreeAt(const std::string& id, const std::string& address = kAddress) {
  Caller caller = Caller::ForFreeUser(id);
  caller.address_key = address;
  return caller;
}

QuotaRules RulesWithAddressLimit(int address_limit) {
  QuotaRules rules;
  rules.free_limit = 10;
  rules.pass_daily_limit = 20;
  rules.free_address_daily_limit = address_limit;
  return rules;
}

// Reserves and returns how many citations were accepted (-1, with a test failure, on an error).
int AcceptedOf(const absl::StatusOr<Reservation>& reservation) {
  EXPECT_TRUE(reservation.ok()) << reservation.status();
  return reservation.ok() ? reservation->accepted : -1;
}

TEST_P(AccountStoreConformanceTest, FreeIdsOfOneAddressShareItsDailyCap) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 10)), 10);
  // A second id from the same address gets what the address has left today.
  absl::StatusOr<Reservation> second = Reserve(FreeAt("u2"), "job2", 10);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->accepted, 2);
  EXPECT_EQ(second->locked, 8);
  EXPECT_EQ(second->limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(second->user_status.free_used_total(), 2);  // its own count: what it was given
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u2")), 2);
  // A third, and an anonymous caller of that address: nothing left.
  absl::StatusOr<Reservation> third = Reserve(FreeAt("u3"), "job3", 1);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->accepted, 0);
  EXPECT_EQ(third->locked, 1);
  EXPECT_EQ(third->limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
  Caller anonymous = Caller::ForAnonymous("192.0.2.1");
  anonymous.address_key = kAddress;
  EXPECT_EQ(AcceptedOf(Reserve(anonymous, "job4", 1)), 0);
  // Another address is not affected.
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u4", "ip4:192.0.2.2"), "job5", 10)), 10);
}

TEST_P(AccountStoreConformanceTest, TheAddressCapResetsAtUtcMidnight) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  const absl::Time late = Utc(2027, 1, 1, 23, 59, 59);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 10, late)), 10);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u2"), "job2", 5, late)), 2);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u3"), "job3", 10, Utc(2027, 1, 2, 0, 0, 1))), 10);
  // The per-id allowance is for good, not per day.
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job4", 5, Utc(2027, 1, 3))), 0);
}

TEST_P(AccountStoreConformanceTest, ReleasesGiveTheAddressBackItsCitationsOfThatDay) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  const absl::Time day1 = Utc(2027, 1, 1, 12), day2 = Utc(2027, 1, 2, 12);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 10, day1)), 10);
  Release("job1", 9);
  Release("job1", 8);
  Release("job1", 7);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u2"), "job2", 10, day1)), 5);  // 12 - (10 - 3)
  // A release of day 1's reservation on day 2 gives nothing to day 2's count.
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u3"), "job3", 10, day2)), 10);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u4"), "job4", 2, day2)), 2);
  Release("job2", 4);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u5"), "job5", 1, day2)), 0);
}

TEST_P(AccountStoreConformanceTest, AReplayedReservationCountsForItsAddressOnce) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 5)), 5);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 5)), 5);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u2"), "job2", 10)), 7);
}

TEST_P(AccountStoreConformanceTest, AccountsCallersWithoutAddressAndAZeroLimitAreNotCapped) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  GrantCredits("tok", 100, "o1");
  Caller account = Caller::ForAccount("tok");
  account.address_key = kAddress;
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u1"), "job1", 10)), 10);
  EXPECT_EQ(AcceptedOf(Reserve(FreeAt("u2"), "job2", 2)), 2);  // the cap is reached
  EXPECT_EQ(AcceptedOf(Reserve(account, "job3", 30)), 30);
  EXPECT_EQ(AcceptedOf(Reserve(Caller::ForFreeUser("u3"), "job4", 10)), 10);

  Recreate(RulesWithAddressLimit(0));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(AcceptedOf(Reserve(FreeAt(absl::StrCat("v", i)), absl::StrCat("job-v", i), 10)), 10);
  }
}

TEST_P(AccountStoreConformanceTest, ConcurrentFreeIdsOfOneAddressNeverExceedItsCap) {
  Recreate(RulesWithAddressLimit(kAddressLimit));
  constexpr int kThreads = 8;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &accepted] {
      for (int j = 0; j < 5; ++j) {
        accepted += AcceptedOf(
            Reserve(FreeAt(absl::StrCat("id-", t, "-", j)), absl::StrCat("job-", t, "-", j), 2));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), kAddressLimit);
}

// ---- Settlement ------------------------------------------------------------------------------

TEST_P(AccountStoreConformanceTest, ReleaseGivesCreditsBack) {
  GrantCredits("tok", 5, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 5).ok());
  EXPECT_EQ(Credits("tok"), 0);
  Charge("job", 0);
  Release("job", 1);
  Release("job", 2);
  EXPECT_EQ(Credits("tok"), 2);
  ASSERT_TRUE(CheckInvariants().ok()) << CheckInvariants();
}

TEST_P(AccountStoreConformanceTest, ReleaseGivesFreeAllowanceBack) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u"), "job1", 10).ok());
  Release("job1", 9);
  Release("job1", 8);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u")), 8);
  absl::StatusOr<Reservation> r = Reserve(Caller::ForFreeUser("u"), "job2", 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 2);
}

TEST_P(AccountStoreConformanceTest, ReleaseGivesPassDailyCountBack) {
  GrantPass("tok", 1, "p1", now_);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 20).ok());
  EXPECT_EQ(DailyUsed("tok", now_), 20);
  Release("job", 0);
  Release("job", 1);
  EXPECT_EQ(DailyUsed("tok", now_), 18);
  EXPECT_TRUE(Reserve(Caller::ForAccount("tok"), "job2", 2).ok());
}

TEST_P(AccountStoreConformanceTest, PassReleaseDecrementsTheDayOfTheReservation) {
  GrantPass("tok", 7, "p1", now_);
  const absl::Time late = Utc(2027, 1, 1, 23, 59);
  const absl::Time next_day = Utc(2027, 1, 2, 0, 1);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "yesterday", 5, late).ok());
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "today", 3, next_day).ok());
  Release("yesterday", 0);
  EXPECT_EQ(DailyUsed("tok", next_day), 3);
  EXPECT_EQ(DailyUsed("tok", late), 4);
}

TEST_P(AccountStoreConformanceTest, ChargingTwiceChargesOnce) {
  GrantCredits("tok", 5, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 2).ok());
  Charge("job", 0);
  Charge("job", 0);
  Release("job", 0);  // already charged: no-op, nothing given back
  EXPECT_EQ(Credits("tok"), 3);
  EXPECT_EQ(LedgerCount("charge"), 1);
}

TEST_P(AccountStoreConformanceTest, ReleasingTwiceReleasesOnceAndChargeAfterReleaseIsNoOp) {
  GrantCredits("tok", 5, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 2).ok());
  Release("job", 1);
  Release("job", 1);
  Charge("job", 1);
  EXPECT_EQ(Credits("tok"), 4);
}

TEST_P(AccountStoreConformanceTest, SettlingWhatWasNeverReservedIsNoOp) {
  GrantCredits("tok", 3, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 5).ok());  // indices 0..2 reserved
  const int64_t before = LedgerSize();
  Release("job", 3);  // locked
  Release("job", 4);  // locked
  Release("job", -1);
  Charge("job", 99);
  Release("no-such-job", 0);
  Charge("no-such-job", 0);
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(Credits("tok"), 0);
}

TEST_P(AccountStoreConformanceTest, SettleAppliesEveryEntryOfABatch) {
  GrantCredits("tok", 4, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 4).ok());
  std::vector<Settlement> batch = {{"job", 0, Settlement::Kind::kCharge},
                                   {"job", 1, Settlement::Kind::kRelease},
                                   {"job", 1, Settlement::Kind::kRelease},
                                   {"job", 2, Settlement::Kind::kRelease}};
  ASSERT_TRUE(store_->Settle(batch).ok());
  EXPECT_EQ(Credits("tok"), 2);
}

TEST_P(AccountStoreConformanceTest, ReservingTwiceForOneJobReservesOnce) {
  GrantCredits("tok", 10, "o1");
  absl::StatusOr<Reservation> first = Reserve(Caller::ForAccount("tok"), "job", 4);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Reservation> second = Reserve(Caller::ForAccount("tok"), "job", 7);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->accepted, 4);
  EXPECT_EQ(second->locked, 0);
  EXPECT_EQ(second->user_status.credits_remaining(), 6);
  EXPECT_EQ(Credits("tok"), 6);
  EXPECT_EQ(LedgerCount("reserve"), 1);
}

TEST_P(AccountStoreConformanceTest, ReplayedFreeReservationDoesNotCountAgain) {
  ASSERT_TRUE(Reserve(Caller::ForFreeUser("u"), "job", 4).ok());
  absl::StatusOr<Reservation> again = Reserve(Caller::ForFreeUser("u"), "job", 4);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->accepted, 4);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u")), 4);
}

TEST_P(AccountStoreConformanceTest, JobIdReservedByAnotherOwnerIsRefused) {
  GrantCredits("tok", 10, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 4).ok());
  absl::StatusOr<Reservation> other = Reserve(Caller::ForFreeUser("u"), "job", 4);
  EXPECT_FALSE(other.ok());
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u")), 0);
}

TEST_P(AccountStoreConformanceTest, LedgerKeysNameTheMovementAndNeverTheToken) {
  GrantCredits("secret-token", 3, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("secret-token"), "job", 2).ok());
  Charge("job", 0);
  Release("job", 1);
  const std::string owner = "acct:" + Sha256Hex("secret-token");
  const std::vector<LedgerRow> ledger = Ledger();
  ASSERT_EQ(ledger.size(), 4u);
  EXPECT_EQ(ledger[0].key, "grant:o1");
  EXPECT_EQ(ledger[0].kind, "grant");
  EXPECT_EQ(ledger[0].source, "credits");
  EXPECT_EQ(ledger[0].amount, 3);
  EXPECT_EQ(ledger[1].key, "reserve:job");
  EXPECT_EQ(ledger[1].kind, "reserve");
  EXPECT_EQ(ledger[1].source, "credits");
  EXPECT_EQ(ledger[1].amount, 2);
  EXPECT_EQ(ledger[2].key, "charge:job:0");
  EXPECT_EQ(ledger[2].kind, "charge");
  EXPECT_EQ(ledger[2].source, "credits");
  EXPECT_EQ(ledger[2].amount, 1);
  EXPECT_EQ(ledger[3].key, "release:job:1");
  EXPECT_EQ(ledger[3].kind, "release");
  EXPECT_EQ(ledger[3].source, "credits");
  EXPECT_EQ(ledger[3].amount, 1);
  for (const LedgerRow& e : ledger) {
    EXPECT_EQ(e.owner, owner);
    EXPECT_EQ(e.owner.find("secret-token"), std::string::npos);
  }
}

// ---- Passes ----------------------------------------------------------------------------------

TEST_P(AccountStoreConformanceTest, PassAcceptsBatchAndReportsDailyUsage) {
  GrantPass("tok", 7, "p1", now_);
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 15);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 15);
  EXPECT_EQ(r->locked, 0);
  EXPECT_EQ(r->limit_type, v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_PASS);
  EXPECT_EQ(r->user_status.daily_used(), 15);
  EXPECT_EQ(r->user_status.daily_limit(), kDailyLimit);
  EXPECT_EQ(FromProto(r->user_status.reset_time()), Utc(2027, 1, 2));
  EXPECT_EQ(FromProto(r->user_status.pass_expire_time()), now_ + absl::Hours(24 * 7));
}

TEST_P(AccountStoreConformanceTest, PassRejectsWholeBatchThatWouldCrossTheDailyLimit) {
  GrantPass("tok", 1, "p1", now_);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job1", 15).ok());
  absl::StatusOr<Reservation> over = Reserve(Caller::ForAccount("tok"), "job2", 6);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(over.status()), "DAILY_LIMIT_REACHED");
  EXPECT_EQ(ErrorMetadata(over.status())["reset_time"], "2027-01-02T00:00:00Z");
  const google::rpc::Status rpc = ToRpcStatus(over.status());
  bool quota_failure = false, retry_info = false;
  for (const auto& any : rpc.details()) {
    quota_failure |= any.type_url() == "type.googleapis.com/google.rpc.QuotaFailure";
    retry_info |= any.type_url() == "type.googleapis.com/google.rpc.RetryInfo";
  }
  EXPECT_TRUE(quota_failure);
  EXPECT_TRUE(retry_info);
  EXPECT_EQ(DailyUsed("tok", now_), 15);  // nothing of the rejected batch was counted

  // A rejected job reserved nothing; the same job id may try again with a batch that fits.
  absl::StatusOr<Reservation> fits = Reserve(Caller::ForAccount("tok"), "job2", 5);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->user_status.daily_used(), 20);
}

TEST_P(AccountStoreConformanceTest, PassDailyUsageResetsAtUtcMidnight) {
  GrantPass("tok", 7, "p1", now_);
  const absl::Time last_second = Utc(2027, 1, 1, 23, 59, 59);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job1", 20, last_second).ok());
  EXPECT_FALSE(Reserve(Caller::ForAccount("tok"), "job2", 1, last_second).ok());
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job3", 20, Utc(2027, 1, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->user_status.daily_used(), 20);
  EXPECT_EQ(FromProto(r->user_status.reset_time()), Utc(2027, 1, 3));
}

TEST_P(AccountStoreConformanceTest, CreditsAreUntouchedWhilePassIsActive) {
  GrantCredits("tok", 50, "o1");
  GrantPass("tok", 1, "p1", now_);
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job1", 10);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->user_status.kind(), v1::USER_KIND_PASS);
  Charge("job1", 0);
  EXPECT_EQ(Credits("tok"), 50);

  // The pass expires: credits pay again.
  const absl::Time after = now_ + absl::Hours(24);
  absl::StatusOr<Reservation> paid = Reserve(Caller::ForAccount("tok"), "job2", 10, after);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_EQ(paid->user_status.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(paid->user_status.credits_remaining(), 40);
}

TEST_P(AccountStoreConformanceTest, PassExtendsFromItsExpiryWhileActiveAndFromNowAfterwards) {
  absl::StatusOr<v1::Balance> b = store_->GrantPass("tok", 1, "p1", now_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(FromProto(b->pass_expire_time()), now_ + absl::Hours(24));
  EXPECT_EQ(b->pass_type(), "1day");

  // Stacks on the active pass.
  b = store_->GrantPass("tok", 7, "p2", now_ + absl::Hours(1));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(FromProto(b->pass_expire_time()), now_ + absl::Hours(24 * 8));
  EXPECT_EQ(b->pass_type(), "7day");
  EXPECT_TRUE(b->pass_active());
  EXPECT_EQ(b->kind(), v1::USER_KIND_PASS);

  // After expiry a new pass starts from now.
  const absl::Time later = now_ + absl::Hours(24 * 100);
  b = store_->GrantPass("tok", 30, "p3", later);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(FromProto(b->pass_expire_time()), later + absl::Hours(24 * 30));
  EXPECT_EQ(b->pass_type(), "30day");
}

TEST_P(AccountStoreConformanceTest, BalanceDescribesActiveAndExpiredPasses) {
  GrantCredits("tok", 5, "o1");
  GrantPass("tok", 1, "p1", now_);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 3).ok());
  absl::StatusOr<v1::Balance> active = store_->GetBalance(Caller::ForAccount("tok"), now_);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->kind(), v1::USER_KIND_PASS);
  EXPECT_EQ(active->credits(), 5);
  EXPECT_TRUE(active->pass_active());
  EXPECT_EQ(active->pass_type(), "1day");
  EXPECT_EQ(active->daily_used(), 3);
  EXPECT_EQ(active->daily_limit(), kDailyLimit);
  EXPECT_EQ(FromProto(active->reset_time()), Utc(2027, 1, 2));

  const absl::Time expired_at = now_ + absl::Hours(24);
  absl::StatusOr<v1::Balance> expired = store_->GetBalance(Caller::ForAccount("tok"), expired_at);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->kind(), v1::USER_KIND_CREDITS);
  EXPECT_FALSE(expired->pass_active());
  EXPECT_EQ(expired->credits(), 5);
  EXPECT_EQ(FromProto(expired->pass_expire_time()), expired_at);
}

// ---- Grants ----------------------------------------------------------------------------------

TEST_P(AccountStoreConformanceTest, SameCreditOrderTwiceGrantsOnce) {
  absl::StatusOr<v1::Balance> first = store_->GrantCredits("tok", 10, "o1", now_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->credits(), 10);
  ASSERT_TRUE(Reserve(Caller::ForAccount("tok"), "job", 4).ok());
  absl::StatusOr<v1::Balance> again = store_->GrantCredits("tok", 10, "o1", now_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->credits(), 6);  // the current balance, nothing granted
}

TEST_P(AccountStoreConformanceTest, SamePassOrderTwiceExtendsOnce) {
  GrantPass("tok", 7, "p1", now_);
  absl::StatusOr<v1::Balance> again = store_->GrantPass("tok", 7, "p1", now_ + absl::Hours(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(FromProto(again->pass_expire_time()), now_ + absl::Hours(24 * 7));
}

TEST_P(AccountStoreConformanceTest, OrderIdReusedForOtherContentIsRejected) {
  GrantCredits("tok", 10, "o1");
  GrantPass("tok", 7, "p1", now_);
  const absl::Status cases[] = {
      store_->GrantCredits("tok", 11, "o1", now_).status(),    // other amount
      store_->GrantCredits("other", 10, "o1", now_).status(),  // other token
      store_->GrantPass("tok", 7, "o1", now_).status(),        // other kind
      store_->GrantPass("tok", 30, "p1", now_).status(),       // other days
      store_->GrantCredits("tok", 7, "p1", now_).status(),     // other kind
  };
  for (const absl::Status& status : cases) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(ErrorReason(status), "ORDER_ID_REUSED") << status;
  }
  EXPECT_EQ(Credits("tok"), 10);
  EXPECT_EQ(Credits("other"), 0);
}

TEST_P(AccountStoreConformanceTest, InvalidGrantsNameTheirField) {
  struct Case {
    const char* name;
    absl::Status status;
    const char* field;
  };
  const Case cases[] = {
      {"zero credits", store_->GrantCredits("tok", 0, "o1", now_).status(), "credits"},
      {"negative credits", store_->GrantCredits("tok", -5, "o1", now_).status(), "credits"},
      {"empty token", store_->GrantCredits("", 5, "o1", now_).status(), "token"},
      {"empty order", store_->GrantCredits("tok", 5, "", now_).status(), "order_id"},
      {"zero days", store_->GrantPass("tok", 0, "p1", now_).status(), "days"},
      {"two days", store_->GrantPass("tok", 2, "p1", now_).status(), "days"},
      {"pass empty token", store_->GrantPass("", 7, "p1", now_).status(), "token"},
      {"pass empty order", store_->GrantPass("tok", 7, "", now_).status(), "order_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(c.status), "INVALID_GRANT");
    EXPECT_EQ(ViolatedField(c.status), c.field);
  }
  // Nothing was recorded, so the order ids are still free.
  EXPECT_EQ(LedgerSize(), 0);
  EXPECT_TRUE(store_->GrantCredits("tok", 5, "o1", now_).ok());
}

// ---- Concurrency (threads sharing one store) ----------------------------------------------

TEST_P(AccountStoreConformanceTest, ConcurrentReservesNeverAcceptMoreThanTheCredits) {
  GrantCredits("tok", 100, "o1");
  constexpr int kThreads = 8;
  constexpr int kJobsPerThread = 25;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &accepted] {
      for (int j = 0; j < kJobsPerThread; ++j) {
        absl::StatusOr<Reservation> r =
            Reserve(Caller::ForAccount("tok"), absl::StrCat("job-", t, "-", j), 1 + (t + j) % 3);
        ASSERT_TRUE(r.ok()) << r.status();
        accepted += r->accepted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 100);
  EXPECT_EQ(Credits("tok"), 0);
  ASSERT_TRUE(CheckInvariants().ok()) << CheckInvariants();
}

TEST_P(AccountStoreConformanceTest, ConcurrentReservesAndSettlementsKeepTheBooksBalanced) {
  GrantCredits("tok", 100, "o1");
  constexpr int kThreads = 8;
  std::atomic<int> charged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &charged] {
      for (int j = 0; j < 30; ++j) {
        const std::string job = absl::StrCat("job-", t, "-", j);
        absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), job, 3);
        ASSERT_TRUE(r.ok()) << r.status();
        for (int i = 0; i < r->accepted; ++i) {
          // Charge even indices, release odd ones; every settlement is sent twice.
          const Settlement::Kind kind =
              i % 2 == 0 ? Settlement::Kind::kCharge : Settlement::Kind::kRelease;
          std::vector<Settlement> s = {{job, i, kind}, {job, i, kind}};
          const absl::Status settled = store_->Settle(s);
          ASSERT_TRUE(settled.ok()) << settled;
          if (kind == Settlement::Kind::kCharge) ++charged;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Credits("tok"), 100 - charged.load());
  ASSERT_TRUE(CheckInvariants().ok()) << CheckInvariants();
}

TEST_P(AccountStoreConformanceTest, ConcurrentFreeReservesNeverExceedTheAllowance) {
  constexpr int kThreads = 8;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &accepted] {
      for (int j = 0; j < 5; ++j) {
        absl::StatusOr<Reservation> r =
            Reserve(Caller::ForFreeUser("u"), absl::StrCat("job-", t, "-", j), 2);
        ASSERT_TRUE(r.ok()) << r.status();
        accepted += r->accepted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), kFreeLimit);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser("u")), kFreeLimit);
}

}  // namespace
}  // namespace citecheck
