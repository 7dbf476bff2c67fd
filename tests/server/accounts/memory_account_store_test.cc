#include "server/accounts/memory_account_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/hashing.h"
#include "tests/server/accounts/account_store_conformance.h"
#include "tests/server/accounts/memory_account_books.h"

// MemoryAccountStore runs the shared AccountStore semantics (account_store_conformance.cc); its
// own behaviour is retention: Forget drops settled jobs and keeps the books exact with forward
// entries.

namespace citecheck {
namespace {

const char* KindName(LedgerEntry::Kind kind) {
  switch (kind) {
    case LedgerEntry::Kind::kGrant:
      return "grant";
    case LedgerEntry::Kind::kReserve:
      return "reserve";
    case LedgerEntry::Kind::kCharge:
      return "charge";
    case LedgerEntry::Kind::kRelease:
      return "release";
    case LedgerEntry::Kind::kForward:
      return "forward";
  }
  return "?";
}

const char* SourceName(QuotaSource source) {
  switch (source) {
    case QuotaSource::kCredits:
      return "credits";
    case QuotaSource::kPass:
      return "pass";
    case QuotaSource::kFree:
      return "free";
  }
  return "?";
}

absl::StatusOr<StoreUnderTest> MakeMemoryStore(const QuotaRules& rules) {
  auto store = std::make_unique<MemoryAccountStore>(rules);
  const MemoryAccountStore* raw = store.get();
  StoreUnderTest subject;
  subject.check_invariants = [raw] { return CheckMemoryAccountBooks(*raw); };
  subject.ledger = [raw] {
    std::vector<LedgerRow> rows;
    for (const LedgerEntry& e : MemoryLedger(*raw)) {
      rows.push_back({e.key, KindName(e.kind), SourceName(e.source), e.amount, e.owner});
    }
    return rows;
  };
  subject.store = std::move(store);
  return subject;
}

INSTANTIATE_TEST_SUITE_P(Memory, AccountStoreConformanceTest,
                         ::testing::Values(AccountStoreFactory{"Memory", &MakeMemoryStore}),
                         AccountStoreFactoryName());

// ---- Forget ----------------------------------------------------------------------------------

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr char kToken[] = "alice-token";
constexpr char kAddress[] = "ip4:203.0.113.7";

std::string AccountOwner() { return absl::StrCat("acct:", Sha256Hex(kToken)); }

std::vector<std::string> Keys(const std::vector<LedgerEntry>& ledger) {
  std::vector<std::string> keys;
  for (const LedgerEntry& e : ledger) keys.push_back(e.key);
  return keys;
}

class MemoryAccountForgetTest : public ::testing::Test {
 protected:
  static constexpr int kFreeLimit = 100;
  static constexpr int kDailyLimit = 100;
  static constexpr int kAddressLimit = 8;

  void TearDown() override {
    const absl::Status books = CheckMemoryAccountBooks(store_);
    EXPECT_TRUE(books.ok()) << books;
  }

  Reservation Reserve(const Caller& caller, const std::string& job_id, int citations,
                      absl::Time now) {
    absl::StatusOr<Reservation> reserved = store_.Reserve({caller, job_id, citations, now});
    EXPECT_TRUE(reserved.ok()) << reserved.status();
    return reserved.ok() ? *reserved : Reservation();
  }
  Reservation Reserve(const Caller& caller, const std::string& job_id, int citations) {
    return Reserve(caller, job_id, citations, now_);
  }
  // Charges the first `charged` citations of the job and releases the next `released`.
  void SettleJob(const std::string& job_id, int charged, int released) {
    std::vector<Settlement> settlements;
    for (int i = 0; i < charged; ++i) settlements.push_back({job_id, i, Settlement::Kind::kCharge});
    for (int i = charged; i < charged + released; ++i) {
      settlements.push_back({job_id, i, Settlement::Kind::kRelease});
    }
    ASSERT_TRUE(store_.Settle(settlements).ok());
  }
  void GrantCredits(int64_t credits, const std::string& order_id) {
    ASSERT_TRUE(store_.GrantCredits(kToken, credits, order_id, now_).ok());
  }
  v1::Balance Balance(const Caller& caller, absl::Time now) {
    absl::StatusOr<v1::Balance> balance = store_.GetBalance(caller, now);
    EXPECT_TRUE(balance.ok()) << balance.status();
    return balance.ok() ? *balance : v1::Balance();
  }
  static Caller FreeFromAddress(const std::string& id) {
    Caller caller = Caller::ForFreeUser(id);
    caller.address_key = kAddress;
    return caller;
  }
  const LedgerEntry* Find(const std::vector<LedgerEntry>& ledger, const std::string& key) {
    for (const LedgerEntry& e : ledger) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
  // The books break when the forward `key` is off by each of `deltas`, and hold again after.
  void ExpectBooksCatchWrongForward(const std::string& key, std::vector<int64_t> deltas) {
    for (int64_t delta : deltas) {
      ASSERT_TRUE(AddToMemoryForward(store_, key, delta)) << key;
      EXPECT_FALSE(CheckMemoryAccountBooks(store_).ok()) << key << " off by " << delta;
      ASSERT_TRUE(AddToMemoryForward(store_, key, -delta));
      EXPECT_TRUE(CheckMemoryAccountBooks(store_).ok()) << CheckMemoryAccountBooks(store_);
    }
  }

  const Caller alice_ = Caller::ForAccount(kToken);
  absl::Time now_ = Utc(2027, 1, 1, 12);
  MemoryAccountStore store_{QuotaRules{kFreeLimit, kDailyLimit, kAddressLimit}};
};

TEST_F(MemoryAccountForgetTest, DropsSettledJobsAndKeepsOnesWithCitationsStillReserved) {
  GrantCredits(10, "o1");
  Reserve(alice_, "settled", 3);
  SettleJob("settled", 2, 1);
  Reserve(alice_, "open", 2);
  SettleJob("open", 1, 0);  // index 1 still reserved

  store_.Forget({"settled", "open", "never-reserved"});

  MemoryAccountStorePeer::Holdings held = MemoryAccountHoldings(store_);
  EXPECT_EQ(held.reservations, 1);
  EXPECT_EQ(held.job_entries, 2);  // open's reserve and charge
  EXPECT_EQ(held.grant_entries, 1);
  EXPECT_EQ(held.forward_entries, 1);
  const std::vector<LedgerEntry> ledger = MemoryLedger(store_);
  const std::string forward_key = absl::StrCat("forward:credits:", AccountOwner());
  EXPECT_THAT(Keys(ledger), ElementsAre("grant:o1", "reserve:open", "charge:open:0", forward_key));
  const LedgerEntry* forward = Find(ledger, forward_key);
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->kind, LedgerEntry::Kind::kForward);
  EXPECT_EQ(forward->source, QuotaSource::kCredits);
  EXPECT_EQ(forward->owner, AccountOwner());
  EXPECT_EQ(forward->amount, 2);
  EXPECT_EQ(Balance(alice_, now_).credits(), 10 - 2 - 2);  // 2 charged, 1 charged + 1 reserved

  // Once its last citation is settled, the kept job goes too, and the forward grows.
  ASSERT_TRUE(store_.Settle({{"open", 1, Settlement::Kind::kCharge}}).ok());
  store_.Forget({"open"});
  held = MemoryAccountHoldings(store_);
  EXPECT_EQ(held.reservations, 0);
  EXPECT_EQ(held.job_entries, 0);
  EXPECT_THAT(Keys(MemoryLedger(store_)), ElementsAre("grant:o1", forward_key));
  EXPECT_EQ(Find(MemoryLedger(store_), forward_key)->amount, 4);
  EXPECT_EQ(Balance(alice_, now_).credits(), 6);
}

TEST_F(MemoryAccountForgetTest, AJobWithNothingChargedLeavesNoForward) {
  GrantCredits(2, "o1");
  Reserve(alice_, "released", 2);
  EXPECT_EQ(Reserve(alice_, "locked", 3).accepted, 0);  // no credits left
  SettleJob("released", 0, 2);
  store_.Forget({"released", "locked"});
  const MemoryAccountStorePeer::Holdings held = MemoryAccountHoldings(store_);
  EXPECT_EQ(held.reservations, 0);
  EXPECT_EQ(held.forward_entries, 0);
  EXPECT_THAT(Keys(MemoryLedger(store_)), ElementsAre("grant:o1"));
  EXPECT_EQ(Balance(alice_, now_).credits(), 2);
}

TEST_F(MemoryAccountForgetTest, SettleAfterForgetIsANoOp) {
  GrantCredits(10, "o1");
  Reserve(alice_, "j1", 2);
  SettleJob("j1", 1, 1);
  store_.Forget({"j1"});
  const std::vector<LedgerEntry> before = MemoryLedger(store_);

  ASSERT_TRUE(store_
                  .Settle({{"j1", 0, Settlement::Kind::kRelease},
                           {"j1", 1, Settlement::Kind::kRelease},
                           {"j1", 1, Settlement::Kind::kCharge}})
                  .ok());

  EXPECT_THAT(Keys(MemoryLedger(store_)), ElementsAreArray(Keys(before)));
  EXPECT_EQ(Balance(alice_, now_).credits(), 9);
  EXPECT_EQ(MemoryAccountHoldings(store_).reservations, 0);
}

TEST_F(MemoryAccountForgetTest, AForgottenIdReservedAgainIsANewJob) {
  GrantCredits(10, "o1");
  Reserve(alice_, "j1", 2);
  EXPECT_EQ(Reserve(alice_, "j1", 2).accepted, 2);  // a replay: reserves once
  EXPECT_EQ(Balance(alice_, now_).credits(), 8);
  SettleJob("j1", 2, 0);
  store_.Forget({"j1"});

  // The store keeps no trace of j1: the contract is that callers never reuse a forgotten id.
  EXPECT_EQ(Reserve(alice_, "j1", 2).accepted, 2);
  EXPECT_EQ(Balance(alice_, now_).credits(), 6);
  EXPECT_EQ(MemoryAccountHoldings(store_).reservations, 1);
}

TEST_F(MemoryAccountForgetTest, TheLedgerStaysInRecordingOrder) {
  GrantCredits(10, "o1");
  Reserve(alice_, "j1", 1);
  SettleJob("j1", 1, 0);
  Reserve(alice_, "j2", 2);
  GrantCredits(5, "o2");
  store_.Forget({"j1"});
  ASSERT_TRUE(store_.Settle({{"j2", 0, Settlement::Kind::kCharge}}).ok());
  const std::string forward_key = absl::StrCat("forward:credits:", AccountOwner());
  EXPECT_THAT(Keys(MemoryLedger(store_)),
              ElementsAre("grant:o1", "reserve:j2", "grant:o2", forward_key, "charge:j2:0"));

  // A forward that grows moves to where it grew.
  ASSERT_TRUE(store_.Settle({{"j2", 1, Settlement::Kind::kRelease}}).ok());
  Reserve(alice_, "j3", 1);
  store_.Forget({"j2"});
  const std::vector<LedgerEntry> ledger = MemoryLedger(store_);
  EXPECT_THAT(Keys(ledger), ElementsAre("grant:o1", "grant:o2", "reserve:j3", forward_key));
  EXPECT_EQ(ledger.back().amount, 2);
  for (size_t i = 1; i < ledger.size(); ++i) {
    EXPECT_LT(ledger[i - 1].sequence, ledger[i].sequence);
  }
}

TEST_F(MemoryAccountForgetTest, CreditBooksStayExactAndCatchAWrongForward) {
  GrantCredits(20, "o1");
  Reserve(alice_, "j1", 4);
  SettleJob("j1", 3, 1);
  Reserve(alice_, "j2", 5);
  SettleJob("j2", 2, 1);  // 2 still reserved
  Reserve(alice_, "j3", 2);
  SettleJob("j3", 2, 0);
  store_.Forget({"j1", "j2", "j3"});

  EXPECT_EQ(MemoryAccountHoldings(store_).reservations, 1);
  EXPECT_EQ(Balance(alice_, now_).credits(), 20 - 3 - 4 - 2);
  ASSERT_TRUE(CheckMemoryAccountBooks(store_).ok()) << CheckMemoryAccountBooks(store_);
  ExpectBooksCatchWrongForward(absl::StrCat("forward:credits:", AccountOwner()), {1, -1});
}

TEST_F(MemoryAccountForgetTest, PassBooksStayExactPerDayAndCatchAWrongForward) {
  ASSERT_TRUE(store_.GrantPass(kToken, 7, "p1", now_).ok());
  const absl::Time tomorrow = now_ + absl::Hours(24);
  Reserve(alice_, "d1", 5, now_);
  SettleJob("d1", 4, 1);
  Reserve(alice_, "d2", 3, tomorrow);
  SettleJob("d2", 1, 2);
  Reserve(alice_, "d2-open", 2, tomorrow);
  store_.Forget({"d1", "d2", "d2-open"});

  EXPECT_EQ(Balance(alice_, now_).daily_used(), 4);
  EXPECT_EQ(Balance(alice_, tomorrow).daily_used(), 1 + 2);
  const std::vector<LedgerEntry> ledger = MemoryLedger(store_);
  const std::string day1 = absl::StrCat("forward:pass:", AccountOwner(), ":2027-01-01");
  const std::string day2 = absl::StrCat("forward:pass:", AccountOwner(), ":2027-01-02");
  ASSERT_NE(Find(ledger, day1), nullptr);
  EXPECT_EQ(Find(ledger, day1)->amount, 4);
  EXPECT_EQ(Find(ledger, day1)->day, absl::CivilDay(2027, 1, 1));
  ASSERT_NE(Find(ledger, day2), nullptr);
  EXPECT_EQ(Find(ledger, day2)->amount, 1);
  ASSERT_TRUE(CheckMemoryAccountBooks(store_).ok()) << CheckMemoryAccountBooks(store_);
  ExpectBooksCatchWrongForward(day1, {1, -1});
  ExpectBooksCatchWrongForward(day2, {1, -1});
}

TEST_F(MemoryAccountForgetTest, FreeAndAddressBooksStayExactAndCatchAWrongForward) {
  Reserve(FreeFromAddress("u1"), "f1", 3);
  SettleJob("f1", 2, 1);
  Reserve(FreeFromAddress("u2"), "f2", 3);
  SettleJob("f2", 3, 0);
  Reserve(FreeFromAddress("u2"), "f3", 1);  // still reserved
  store_.Forget({"f1", "f2", "f3"});

  // What the address used still counts against its cap: 5 charged + 1 reserved of 8.
  EXPECT_EQ(Reserve(FreeFromAddress("u3"), "f4", 5).accepted, kAddressLimit - 6);
  EXPECT_EQ(Balance(Caller::ForFreeUser("u2"), now_).free_used(), 4);
  const std::vector<LedgerEntry> ledger = MemoryLedger(store_);
  const std::string address = absl::StrCat("forward:address:", kAddress, ":2027-01-01");
  ASSERT_NE(Find(ledger, address), nullptr);
  EXPECT_EQ(Find(ledger, address)->amount, 5);
  EXPECT_EQ(Find(ledger, address)->address, kAddress);
  EXPECT_EQ(Find(ledger, address)->owner, "");
  ASSERT_NE(Find(ledger, "forward:free:free:u1"), nullptr);
  EXPECT_EQ(Find(ledger, "forward:free:free:u1")->amount, 2);
  ASSERT_TRUE(CheckMemoryAccountBooks(store_).ok()) << CheckMemoryAccountBooks(store_);
  ExpectBooksCatchWrongForward(address, {1, -1});
  // A free count may exceed what was reserved (a floor raises it), never fall below it.
  ExpectBooksCatchWrongForward("forward:free:free:u2", {1});
}

TEST_F(MemoryAccountForgetTest, AddressForwardsGoWithTheirDay) {
  Reserve(FreeFromAddress("u1"), "f1", 2);
  SettleJob("f1", 2, 0);
  Reserve(FreeFromAddress("u2"), "f2", 2);
  SettleJob("f2", 2, 0);
  store_.Forget({"f1"});
  EXPECT_EQ(MemoryAccountHoldings(store_).forward_entries, 2);  // u1's and the address's

  // Two days later the first day's address count is no longer kept, nor its forward.
  Reserve(FreeFromAddress("u3"), "f3", 1, now_ + absl::Hours(48));
  EXPECT_EQ(MemoryAccountHoldings(store_).forward_entries, 1);
  for (const LedgerEntry& e : MemoryLedger(store_)) {
    EXPECT_FALSE(absl::StartsWith(e.key, "forward:address:")) << e.key;
  }
  // A job of a day no longer kept folds into its free user's forward only.
  store_.Forget({"f2"});
  EXPECT_EQ(MemoryAccountHoldings(store_).forward_entries, 2);
  EXPECT_NE(Find(MemoryLedger(store_), "forward:free:free:u2"), nullptr);
}

}  // namespace
}  // namespace citecheck
