#ifndef CITECHECK_TESTS_FAKES_FLAKY_JOB_STORE_H_
#define CITECHECK_TESTS_FAKES_FLAKY_JOB_STORE_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/errors.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// A JobStore that forwards to another one, with switches:
//  - FailRecords(n): the next n Record calls fail with UNAVAILABLE DATABASE_UNAVAILABLE, as a
//    restarting database would, changing nothing;
//  - FailHeartbeats(on): heartbeats fail with UNAVAILABLE while on;
//  - HoldClaims(): Claim calls wait (before they claim anything) until ReleaseClaims();
//    AwaitHeldClaim() waits until one is waiting, as a slow database would keep it.
// Thread-safe.
class FlakyJobStore final : public JobStore {
 public:
  explicit FlakyJobStore(JobStore* store) : store_(store) {}

  void FailRecords(int n) { failing_records_ = n; }
  void FailHeartbeats(bool on) { failing_heartbeats_ = on; }
  int record_calls() const { return record_calls_; }
  void HoldClaims() {
    absl::MutexLock lock(&mu_);
    holding_claims_ = true;
  }
  void ReleaseClaims() {
    absl::MutexLock lock(&mu_);
    holding_claims_ = false;
  }
  // False when no Claim call came to wait within `timeout`.
  bool AwaitHeldClaim(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto waiting = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_claims_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&waiting), timeout);
  }

  absl::StatusOr<v1::Job> Submit(const NewJob& job) override { return store_->Submit(job); }
  absl::StatusOr<std::vector<Chunk>> Claim(const std::string& owner, int max_chunks,
                                           absl::Time now) override {
    {
      absl::MutexLock lock(&mu_);
      ++held_claims_;
      auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !holding_claims_; };
      mu_.Await(absl::Condition(&released));
      --held_claims_;
    }
    return store_->Claim(owner, max_chunks, now);
  }
  absl::StatusOr<RecordResult> Record(const std::string& owner, std::vector<ChunkOutcome> outcomes,
                                      absl::Time now) override {
    ++record_calls_;
    if (failing_records_.fetch_sub(1) > 0) return Unavailable();
    return store_->Record(owner, std::move(outcomes), now);
  }
  absl::Status HandBack(const std::string& owner, absl::Span<const Chunk> chunks) override {
    return store_->HandBack(owner, chunks);
  }
  absl::StatusOr<v1::Job> Cancel(const std::string& job_id, const std::string& owner_key,
                                 absl::Time now) override {
    return store_->Cancel(job_id, owner_key, now);
  }
  absl::StatusOr<v1::Job> Get(const std::string& job_id, const std::string& owner_key) override {
    return store_->Get(job_id, owner_key);
  }
  absl::StatusOr<JobHead> Head(const std::string& job_id, const std::string& owner_key) override {
    return store_->Head(job_id, owner_key);
  }
  absl::StatusOr<std::vector<v1::JobEvent>> ReadEvents(const std::string& job_id, int64_t after,
                                                       int limit) override {
    return store_->ReadEvents(job_id, after, limit);
  }
  absl::StatusOr<std::vector<JobHead>> ReadHeads(absl::Span<const std::string> ids) override {
    return store_->ReadHeads(ids);
  }
  absl::StatusOr<JobPage> List(const std::string& owner_key, const JobListQuery& query) override {
    return store_->List(owner_key, query);
  }
  absl::StatusOr<int> ExpireDeadlines(absl::Time now, int max_jobs) override {
    return store_->ExpireDeadlines(now, max_jobs);
  }
  absl::StatusOr<int> Sweep(absl::Time cutoff, int max_jobs) override {
    return store_->Sweep(cutoff, max_jobs);
  }
  absl::StatusOr<ReplicaRegistration> RegisterReplica(const std::string& name,
                                                      absl::Time now) override {
    return store_->RegisterReplica(name, now);
  }
  absl::Status Heartbeat(const std::string& name, int64_t incarnation, absl::Time now) override {
    if (failing_heartbeats_) return Unavailable();
    return store_->Heartbeat(name, incarnation, now);
  }
  absl::StatusOr<int> SweepDeadReplicas(const std::string& self, absl::Time now,
                                        absl::Duration dead_after) override {
    return store_->SweepDeadReplicas(self, now, dead_after);
  }
  absl::Status UnregisterReplica(const std::string& name, int64_t incarnation) override {
    return store_->UnregisterReplica(name, incarnation);
  }
  absl::StatusOr<int> ReleaseOrphanReservations(absl::Time now) override {
    return store_->ReleaseOrphanReservations(now);
  }
  absl::StatusOr<std::string> PageTokenKey() override { return store_->PageTokenKey(); }
  absl::StatusOr<int64_t> QueuedChunks() override { return store_->QueuedChunks(); }

 private:
  static absl::Status Unavailable() {
    return MakeError(absl::StatusCode::kUnavailable, reason::kDatabaseUnavailable,
                     "the database is restarting (fake)");
  }

  JobStore* const store_;
  std::atomic<int> failing_records_{0};
  std::atomic<bool> failing_heartbeats_{false};
  std::atomic<int> record_calls_{0};
  absl::Mutex mu_;
  bool holding_claims_ ABSL_GUARDED_BY(mu_) = false;
  int held_claims_ ABSL_GUARDED_BY(mu_) = 0;  // Claim calls inside the mutex's wait
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_FLAKY_JOB_STORE_H_
