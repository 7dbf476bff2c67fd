#ifndef CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_
#define CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "grpcpp/support/server_callback.h"
#include "server/common/clock.h"
#include "server/jobs/event_log.h"

namespace citecheck {

class WatchSession;

// Keeps track of the open WatchJob streams: sends heartbeats on idle ones from one ticker
// thread (no thread per watcher) and ends them all at shutdown.
//
// Thread-safe.
class WatchHub {
 public:
  WatchHub(absl::Duration heartbeat, Clock* clock);
  ~WatchHub();  // Stop()

  // Starts the heartbeat ticker. REQUIRES: called once.
  void Start();
  // Ends every open stream with UNAVAILABLE (reason SERVER_SHUTTING_DOWN; clients resume on
  // another replica) and refuses new ones. Idempotent.
  void Stop();
  bool stopping() const;

  // Opens a stream that replays `log` after `after_sequence` and follows it. The reactor
  // deletes itself when the RPC is done. REQUIRES: 0 <= after_sequence <= last sequence.
  grpc::ServerWriteReactor<v1::JobEvent>* Open(std::shared_ptr<EventLog> log,
                                               int64_t after_sequence);

  // Open streams (for tests and metrics).
  int open_streams() const;

 private:
  friend class WatchSession;
  void Unregister(const WatchSession* session);
  void TickerLoop();

  const absl::Duration heartbeat_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<WatchSession>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_ticker_;
  std::thread ticker_;
};

// A reactor that ends the call at once with `status` (e.g. NOT_FOUND before any event).
grpc::ServerWriteReactor<v1::JobEvent>* FinishedWatch(const grpc::Status& status);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_WATCH_JOB_REACTOR_H_
