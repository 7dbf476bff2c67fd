#include "server/jobs/memory_job_store.h"

#include <memory>

#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "tests/server/accounts/memory_account_books.h"
#include "tests/server/jobs/job_store_conformance.h"

// MemoryJobStore: the shared JobStore semantics (job_store_conformance.cc).

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

}  // namespace
}  // namespace citecheck
