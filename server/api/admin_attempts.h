#ifndef CITECHECK_SERVER_API_ADMIN_ATTEMPTS_H_
#define CITECHECK_SERVER_API_ADMIN_ATTEMPTS_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace citecheck {

struct AdminAttemptOptions {
  // Failed admin-key attempts per client address per minute (a token bucket holding this many,
  // refilled at this rate); 0 = not limited.
  int max_failures_per_minute = 10;
  // How often the failures of the interval are logged, in one warning line.
  absl::Duration log_interval = absl::Minutes(1);
};

// Throttles and summarizes wrong x-admin-key guesses per client address (Caller::address_key
// form, so an IPv6 client counts by its /64). Each admin call takes one token of its address's
// bucket before the key is compared (Admit) and gives it back when the key matched (Succeeded),
// so concurrent guesses cannot overtake the count and a client with the key never loses one.
// An address without a token is refused without its key being compared, so a guesser learns
// nothing more, at most max_failures_per_minute guesses per minute.
//
// Failures are not logged one by one (a guesser would flood the log): a background thread logs,
// every log_interval that had any, one warning line with the refusals by reason, the throttled
// calls and the addresses with the most. Never a key.
//
// Memory: one bucket per address that failed recently; buckets refilled to the full are
// dropped as the table grows, and beyond kMaxTrackedAddresses new addresses share one bucket.
// Thread-safe.
class AdminAttemptLimiter {
 public:
  static constexpr int kMaxTrackedAddresses = 65536;

  AdminAttemptLimiter(AdminAttemptOptions options, const Clock* clock);
  // Logs what the current interval holds and stops the thread.
  ~AdminAttemptLimiter();

  AdminAttemptLimiter(const AdminAttemptLimiter&) = delete;
  AdminAttemptLimiter& operator=(const AdminAttemptLimiter&) = delete;

  // Before an admin key is compared: OK (a token taken), or RESOURCE_EXHAUSTED
  // TOO_MANY_ADMIN_ATTEMPTS with a RetryInfo saying when the address may try again.
  absl::Status Admit(const std::string& address);
  // The key matched: the token comes back.
  void Succeeded(const std::string& address);
  // The key did not match, for reason `why` (e.g. "wrong x-admin-key"), calling `method`.
  void Failed(const std::string& address, absl::string_view method, absl::string_view why);

  // The summary line of what happened since the last call ("" when nothing did), starting a
  // new interval. The thread logs it; tests read it.
  std::string TakeSummary();

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  // The bucket of `address` (or the shared overflow bucket), refilled up to now.
  Bucket& RefilledBucket(const std::string& address, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts one refused call (failed or throttled) of `address` in the current interval.
  void CountAddress(const std::string& address) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LogLoop();

  const AdminAttemptOptions options_;
  const Clock* const clock_;
  const double per_second_;  // refill rate

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  // Full buckets are dropped when the table reaches prune_at_ (then twice what is left), and at
  // the bound at most once a second.
  size_t prune_at_ ABSL_GUARDED_BY(mu_) = 1024;
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The current interval.
  absl::Time interval_start_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> failures_by_why_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> attempts_by_address_ ABSL_GUARDED_BY(mu_);
  int64_t throttled_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread logger_;  // last: started once everything else is
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_ADMIN_ATTEMPTS_H_
