#ifndef CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_
#define CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/api/blocking_call_pool.h"
#include "server/api/wakeup_queue.h"
#include "server/common/clock.h"
#include "server/jobs/event_hub.h"
#include "server/jobs/job_store.h"

namespace citecheck {

class WatchSession;

struct WatchHubOptions {
  absl::Duration heartbeat = absl::Seconds(5);  // heartbeat on idle streams
  int page_size = 64;                           // events per catch-up read from the store
  int read_threads = 4;                         // the bounded pool for store reads
  int max_queued_reads = 10000;
  // Open streams per owner (Caller::OwnerKey()); more is RESOURCE_EXHAUSTED TOO_MANY_STREAMS.
  // 0 = no limit.
  int max_streams_per_caller = 100;
};

// The WatchJob streams of this process: each stream validates its request and reads the job's
// history from the store on a bounded pool (never on a gRPC callback thread), then follows the
// job's feed in the event hub, falling back to store pages whenever it is behind the feed's
// window; heartbeats on idle streams come from one thread that wakes each stream when its
// heartbeat is due (WakeupQueue: no thread per watcher, no visit to every stream per tick).
//
// Thread-safe. The store, the event hub and the clock must outlive the hub.
class WatchHub {
 public:
  WatchHub(WatchHubOptions options, JobStore* store, EventHub* events, Clock* clock);
  ~WatchHub();  // Stop()

  // Starts the heartbeat thread. REQUIRES: called once.
  void Start();
  // Ends every open stream with UNAVAILABLE (reason SERVER_SHUTTING_DOWN; clients resume on
  // another replica) and refuses new ones. Idempotent.
  void Stop();

  // Opens a stream of `job_id`'s events after `after_sequence` for `owner_key`: NOT_FOUND for
  // a job the owner does not have, OUT_OF_RANGE beyond the job's last sequence,
  // RESOURCE_EXHAUSTED TOO_MANY_STREAMS (QuotaFailure, ErrorInfo metadata "max_streams") when
  // the owner has max_streams_per_caller streams open already. Events are
  // written serialized (WatchJob is a raw method). The reactor deletes itself when the RPC is
  // done.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Open(const std::string& owner_key,
                                                   const std::string& job_id,
                                                   int64_t after_sequence);

  // Open streams (for tests and metrics).
  int open_streams() const;

 private:
  friend class WatchSession;
  void Unregister(const WatchSession* session, const std::string& owner_key);
  std::vector<std::shared_ptr<WatchSession>> Sessions() const;

  const WatchHubOptions options_;
  JobStore* const store_;
  EventHub* const events_;
  Clock* const clock_;
  BlockingCallPool reads_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<WatchSession>> sessions_ ABSL_GUARDED_BY(mu_);
  // Open streams by owner key; owners with none are absent.
  absl::flat_hash_map<std::string, int> streams_by_owner_ ABSL_GUARDED_BY(mu_);
  WakeupQueue wakeups_;  // heartbeats and read retries
};

// A reactor that ends the call at once with `status` (e.g. NOT_FOUND before any event).
grpc::ServerWriteReactor<grpc::ByteBuffer>* FinishedWatch(const grpc::Status& status);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_
