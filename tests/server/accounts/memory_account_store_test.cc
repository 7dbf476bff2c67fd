#include "server/accounts/memory_account_store.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/accounts/account_store_conformance.h"
#include "tests/server/accounts/memory_account_books.h"

// MemoryAccountStore runs the shared AccountStore semantics (account_store_conformance.cc); it
// has no behaviour of its own beyond them.

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

}  // namespace
}  // namespace citecheck
