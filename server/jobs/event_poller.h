#ifndef CITECHECK_SERVER_JOBS_EVENT_POLLER_H_
#define CITECHECK_SERVER_JOBS_EVENT_POLLER_H_

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/jobs/event_hub.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// The one poller of a replica (DESIGN §4a "Events to watchers"): every `interval` (and at once
// when a feed asks) it reads the heads (last_sequence) of the jobs watched in this process and
// publishes to the hub the events other replicas committed since what the feeds delivered, in
// sequence order. It never polls a global id (ids commit out of order): only per-job heads and
// per-job sequences, which are gap-free.
//
// Thread-safe. The store and the hub must outlive the poller.
class EventPoller {
 public:
  EventPoller(JobStore* store, EventHub* hub, absl::Duration interval)
      : store_(store), hub_(hub), interval_(interval) {}
  ~EventPoller();  // Stop()

  void Start();
  void Stop();

  // One round: what Start()'s thread does every interval (for tests).
  void PollOnce();

 private:
  JobStore* const store_;
  EventHub* const hub_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_EVENT_POLLER_H_
