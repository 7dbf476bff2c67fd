#ifndef CITECHECK_SERVER_JOBS_CANCEL_REGISTRY_H_
#define CITECHECK_SERVER_JOBS_CANCEL_REGISTRY_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace citecheck {

// Why the checks of a job's running chunks should stop.
enum class StopReason {
  kNone = 0,
  kJobEnded = 1,  // cancelled or expired (here or on another replica): drop the answers
  kAbandon = 2,   // shutdown grace over, or the replica's lease was lost: hand the chunks back
};

// The jobs whose chunks run on this replica, each with one stop flag that every running chunk
// of the job shares (CheckRequest::cancelled). Fed by local cancels and by what the replica
// reads from the database (another replica cancelled the job), so that running checks stop
// within one poll of the cancel.
//
// Thread-safe.
class CancelRegistry {
 public:
  struct Entry {
    std::atomic<bool> stop{false};
    std::atomic<int> reason{static_cast<int>(StopReason::kNone)};
    StopReason Reason() const { return static_cast<StopReason>(reason.load()); }
  };

  // A chunk of `job_id` starts running: its entry (created with its first chunk).
  std::shared_ptr<Entry> Enter(const std::string& job_id);
  // A chunk of `job_id` is done; the entry goes with the job's last running chunk.
  void Leave(const std::string& job_id);

  // Stops the running chunks of `job_id` (if any) for `reason`. The first reason sticks.
  void Stop(const std::string& job_id, StopReason reason);
  // Stops every running chunk for `reason`.
  void StopAll(StopReason reason);

  // The jobs with running chunks whose stop flag is not set.
  std::vector<std::string> RunningJobs() const;

 private:
  struct Running {
    std::shared_ptr<Entry> entry;
    int chunks = 0;
  };
  static void Set(Entry& entry, StopReason reason);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Running> jobs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_CANCEL_REGISTRY_H_
