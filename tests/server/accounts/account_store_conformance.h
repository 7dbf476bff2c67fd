#ifndef CITECHECK_TESTS_SERVER_ACCOUNTS_ACCOUNT_STORE_CONFORMANCE_H_
#define CITECHECK_TESTS_SERVER_ACCOUNTS_ACCOUNT_STORE_CONFORMANCE_H_

// The semantics every AccountStore shares, written once and run against each implementation:
// accounts_test instantiates it for MemoryAccountStore (memory_account_store_test.cc),
// mysql_test for MysqlAccountStore on MariaDB (mysql_account_store_test.cc). What only one store
// has (SQL, connections, hostile bytes in keys, ...) stays in that store's own test file.

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/accounts/account_store.h"

namespace citecheck {

// y-m-d hh:mm:ss UTC.
inline absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

// One movement of a store's ledger. kind: grant, reserve, charge or release; source: credits, pass
// or free.
struct LedgerRow {
  std::string key;  // the idempotency key, e.g. "charge:<job>:<index>"
  std::string kind;
  std::string source;
  int64_t amount = 0;
  std::string owner;  // "acct:<sha256(token)>", or the free usage key
};

// A fresh, empty store and what the conformance tests need to look inside it.
struct StoreUnderTest {
  // Whatever must outlive `store` (e.g. the test database); destroyed after it.
  std::shared_ptr<void> resources;
  std::unique_ptr<AccountStore> store;
  // Verifies the store's books (CheckMemoryAccountBooks, CheckAccountBooks); called after every
  // test.
  std::function<absl::Status()> check_invariants;
  // The ledger in the order it was written.
  std::function<std::vector<LedgerRow>()> ledger;
};

struct AccountStoreFactory {
  std::string name;  // the instantiation's test-name suffix, e.g. "Memory"
  std::function<absl::StatusOr<StoreUnderTest>(const QuotaRules& rules)> make;
};

inline std::ostream& operator<<(std::ostream& os, const AccountStoreFactory& factory) {
  return os << factory.name;
}

// For INSTANTIATE_TEST_SUITE_P's name generator.
struct AccountStoreFactoryName {
  std::string operator()(const ::testing::TestParamInfo<AccountStoreFactory>& info) const {
    return info.param.name;
  }
};

class AccountStoreConformanceTest : public ::testing::TestWithParam<AccountStoreFactory> {
 protected:
  static constexpr int kFreeLimit = 10;
  static constexpr int kDailyLimit = 20;

  void SetUp() override;
  void TearDown() override;

  // Replaces the store by a fresh one following `rules`.
  void Recreate(const QuotaRules& rules);

  absl::StatusOr<Reservation> Reserve(const Caller& caller, const std::string& job_id,
                                      int citations, absl::Time now);
  absl::StatusOr<Reservation> Reserve(const Caller& caller, const std::string& job_id,
                                      int citations);

  void Settle(const std::string& job_id, int index, Settlement::Kind kind);
  void Charge(const std::string& job_id, int index);
  void Release(const std::string& job_id, int index);

  int64_t Credits(const std::string& token);
  int DailyUsed(const std::string& token, absl::Time now);
  int FreeUsed(const Caller& caller);

  void GrantCredits(const std::string& token, int64_t credits, const std::string& order_id);
  void GrantPass(const std::string& token, int days, const std::string& order_id, absl::Time now);

  std::vector<LedgerRow> Ledger();
  int64_t LedgerSize();
  int64_t LedgerCount(const std::string& kind);
  absl::Status CheckInvariants();

  StoreUnderTest subject_;
  AccountStore* store_ = nullptr;  // subject_.store
  absl::Time now_;
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_ACCOUNTS_ACCOUNT_STORE_CONFORMANCE_H_
