#ifndef CITECHECK_SERVER_JOBS_EVENT_LOG_H_
#define CITECHECK_SERVER_JOBS_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// The ordered, append-only event log of one job: sequence numbers 1, 2, 3, ... with no gaps.
// Watchers keep a cursor (the last sequence they delivered) and read forward from it, so a
// slow watcher costs nothing but its cursor: the log holds each event once, whoever reads it.
//
// Listeners are told that the log grew; they then read what they need. They are called on the
// appending thread after the log's lock is released, must not block, and must tolerate being
// called after they unsubscribed (a call may be in progress while Unsubscribe runs).
//
// Thread-safe.
class EventLog {
 public:
  using Listener = std::function<void()>;

  explicit EventLog(std::string job_id) : job_id_(std::move(job_id)) {}
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  const std::string& job_id() const { return job_id_; }

  // Appends `event` with the next sequence number (set here, with job_id). `terminal` marks
  // the job's last event: nothing may be appended after it. Returns the sequence number.
  // Listeners are notified after the lock is released.
  int64_t Append(v1::JobEvent event, bool terminal);

  // Appends several events at once (one notification). The last one is terminal if
  // `last_is_terminal`.
  void AppendAll(std::vector<v1::JobEvent> events, bool last_is_terminal);

  // Copies up to `max` events with sequence > `after` into `out` (cleared first).
  void Read(int64_t after, size_t max, std::vector<v1::JobEvent>* out) const;

  // The sequence number of the latest event (0 when empty).
  int64_t last_sequence() const;
  // True once the terminal event was appended.
  bool closed() const;

  // Registers `listener`; returns an id for Unsubscribe.
  int64_t Subscribe(Listener listener);
  void Unsubscribe(int64_t id);

 private:
  void Notify();

  const std::string job_id_;
  mutable absl::Mutex mu_;
  std::vector<v1::JobEvent> events_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_listener_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::pair<int64_t, std::shared_ptr<Listener>>> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_EVENT_LOG_H_
