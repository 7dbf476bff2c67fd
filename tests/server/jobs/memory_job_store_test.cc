#include "server/jobs/memory_job_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "tests/server/accounts/memory_account_books.h"
#include "tests/server/jobs/job_store_conformance.h"

// MemoryJobStore: the shared JobStore semantics (job_store_conformance.cc), and retention of the
// account store's reservations and ledger with the jobs.

namespace citecheck {
namespace {

absl::StatusOr<JobStoreUnderTest> MakeMemoryStore(const QuotaRules& rules,
                                                  const JobStoreOptions& options) {
  JobStoreUnderTest subject;
  subject.sink = std::make_unique<RecordingSink>();
  auto accounts = std::make_unique<MemoryAccountStore>(rules);
  MemoryAccountStore* raw = accounts.get();
  subject.store = std::make_unique<MemoryJobStore>(options, raw, subject.sink.get());
  subject.accounts = std::move(accounts);
  subject.check_invariants = [raw] { return CheckMemoryAccountBooks(*raw); };
  return subject;
}

INSTANTIATE_TEST_SUITE_P(Memory, JobStoreConformanceTest,
                         ::testing::Values(JobStoreFactory{"Memory", MakeMemoryStore}),
                         JobStoreFactoryName());

// Retention through MemoryJobStore::Sweep: the account store forgets what the swept jobs held.
class MemoryJobRetentionTest : public JobStoreConformanceTest {
 protected:
  MemoryAccountStore& memory_accounts() { return static_cast<MemoryAccountStore&>(accounts()); }

  // Submits `jobs` jobs of 3 citations over an account with credits, an account with a pass and
  // ten free users behind ten addresses; cancels every seventh, fails the first citation of every
  // fifth and records everything else. Returns the credits charged.
  int64_t RunRound(int round, int jobs) {
    int64_t credits_charged = 0;
    for (int i = 0; i < jobs; ++i) {
      const std::string id = absl::StrCat("r", round, "-j", i);
      Caller caller;
      switch (i % 3) {
        case 0:
          caller = Caller::ForAccount("alice-token");
          break;
        case 1:
          caller = Caller::ForAccount("bob-token");
          break;
        default:
          caller = Caller::ForFreeUser(absl::StrCat("u", i % 10));
          caller.address_key = absl::StrCat("ip4:203.0.113.", i % 10);
          break;
      }
      absl::StatusOr<v1::Job> job = store().Submit(Job(id, caller, 3, 3));
      EXPECT_TRUE(job.ok()) << job.status();
      if (i % 7 == 0) {
        EXPECT_TRUE(store().Cancel(id, caller.OwnerKey(), now()).ok());
      }
    }
    for (std::vector<Chunk> chunks = Claim("w", 64); !chunks.empty(); chunks = Claim("w", 64)) {
      for (const Chunk& chunk : chunks) {
        const int i = std::stoi(chunk.job_id.substr(chunk.job_id.find("-j") + 2));
        const std::vector<int> failing = i % 5 == 0 ? std::vector<int>{0} : std::vector<int>{};
        EXPECT_TRUE(RecordAll("w", chunk, failing).ok());
        if (i % 3 == 0)
          credits_charged += static_cast<int64_t>(chunk.indices.size() - failing.size());
      }
    }
    return credits_charged;
  }
};

TEST_P(MemoryJobRetentionTest, SweptJobsLeaveNoReservationOrJobLedgerEntryBehind) {
  Remake(QuotaRules{1000, 1000, 1000}, JobStoreOptions{});
  constexpr int kJobs = 300;
  Grant("alice-token", 10000);
  ASSERT_TRUE(accounts().GrantPass("bob-token", 30, "pass-1", now()).ok());
  int64_t charged = 0;
  for (int round = 0; round < 3; ++round) {
    charged += RunRound(round, kJobs);
    EXPECT_EQ(MemoryAccountHoldings(memory_accounts()).reservations, kJobs);
    ASSERT_TRUE(CheckMemoryAccountBooks(memory_accounts()).ok())
        << CheckMemoryAccountBooks(memory_accounts());

    Advance(absl::Hours(1));
    absl::StatusOr<int> swept = store().Sweep(now(), 2 * kJobs);
    ASSERT_TRUE(swept.ok()) << swept.status();
    EXPECT_EQ(*swept, kJobs);

    // What is left does not depend on how many jobs ran: the grants and one forward per quota
    // (alice's credits, bob's pass day, ten free users, ten addresses on the day still kept).
    const MemoryAccountStorePeer::Holdings held = MemoryAccountHoldings(memory_accounts());
    EXPECT_EQ(held.reservations, 0);
    EXPECT_EQ(held.job_entries, 0);
    EXPECT_EQ(held.grant_entries, 2);
    EXPECT_EQ(held.forward_entries, 1 + 1 + 10 + 10) << "round " << round;
    for (const LedgerEntry& e : MemoryLedger(memory_accounts())) {
      EXPECT_TRUE(e.kind == LedgerEntry::Kind::kGrant || e.kind == LedgerEntry::Kind::kForward)
          << e.key;
    }
    ASSERT_TRUE(CheckMemoryAccountBooks(memory_accounts()).ok())
        << CheckMemoryAccountBooks(memory_accounts());
    EXPECT_EQ(Credits("alice-token"), 10000 - charged);
  }
}

INSTANTIATE_TEST_SUITE_P(Memory, MemoryJobRetentionTest,
                         ::testing::Values(JobStoreFactory{"Memory", MakeMemoryStore}),
                         JobStoreFactoryName());

}  // namespace
}  // namespace citecheck
