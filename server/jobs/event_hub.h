#ifndef CITECHECK_SERVER_JOBS_EVENT_HUB_H_
#define CITECHECK_SERVER_JOBS_EVENT_HUB_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// The live events of one job that someone in this process watches: the highest sequence
// `delivered` such that every event up to it is known here (committed by this replica and
// published, or read back from the store by the poller), and a window of the most recent of
// those events. The store stays the truth: a reader behind the window reads the store, a
// reader ahead of `delivered` (it read the store) waits, skipping what it has seen.
//
// Listeners are told that `delivered` grew; they are called after the feed's lock is released,
// on the publishing thread, must not block, and may be called once more after they
// unsubscribed.
//
// Thread-safe.
class JobFeed {
 public:
  using Listener = std::function<void()>;

  JobFeed(std::string job_id, int64_t delivered, size_t window)
      : job_id_(std::move(job_id)), window_(window), delivered_(delivered) {}

  const std::string& job_id() const { return job_id_; }

  enum class ReadResult {
    kEvents,      // `out` holds the events after `after` (at most `max`)
    kNothingNew,  // after >= delivered: wait for a listener call
    kNeedStore,   // events after `after` are older than the window: read them from the store
  };
  ReadResult Read(int64_t after, size_t max, std::vector<v1::JobEvent>* out) const;

  int64_t delivered() const;
  // True once the job's terminal job_update is delivered.
  bool ended() const;
  // The highest sequence someone knows to exist (>= delivered); the poller fetches up to it.
  int64_t wanted() const;
  // Tells the feed that the job's events reach at least `sequence` (a reader saw them in the
  // store); the hub's poller then fetches them. Returns true when that is news.
  bool Want(int64_t sequence);

  int64_t Subscribe(Listener listener);
  void Unsubscribe(int64_t id);

 private:
  friend class EventHub;

  // Adds published events: those that continue `delivered` join the window, later ones wait
  // (up to a bound) for the gap before them to be filled. Returns true when `delivered` grew,
  // and sets *gap when events are waiting for a gap.
  bool Append(std::vector<v1::JobEvent> events, bool* gap);
  void Notify();

  const std::string job_id_;
  const size_t window_;
  mutable absl::Mutex mu_;
  int64_t delivered_ ABSL_GUARDED_BY(mu_);
  int64_t wanted_ ABSL_GUARDED_BY(mu_) = 0;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::JobEvent> recent_ ABSL_GUARDED_BY(mu_);  // ring, oldest at recent_start_
  size_t recent_start_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, v1::JobEvent> early_ ABSL_GUARDED_BY(mu_);  // after a gap, by sequence
  int64_t next_listener_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::pair<int64_t, std::shared_ptr<Listener>>> listeners_ ABSL_GUARDED_BY(mu_);
};

// The in-process event hub (DESIGN §4a "Events to watchers"): the EventSink a JobStore
// publishes committed events to, and the feeds that watchers of this process follow. Events
// of jobs nobody here watches are dropped at once. A feed that sees a gap (another replica
// committed events in between) asks for a poll; the poller (EventPoller) reads the heads of
// watched jobs from the store and publishes what is missing, so that watchers see every
// event, in order, exactly once.
//
// Thread-safe. Lock order: EventHub::mu_, then a feed's lock (never the reverse); listeners
// run with neither held.
class EventHub final : public EventSink {
 public:
  // `window`: recent events each feed keeps for readers that are not behind.
  explicit EventHub(size_t window = 64) : window_(window) {}

  void Publish(const std::string& job_id, std::vector<v1::JobEvent> events) override;

  // The feed of `head.job_id`, created when nobody here watched it yet (then `delivered` starts
  // at head.last_sequence). The caller keeps it while it watches; the hub holds it weakly.
  std::shared_ptr<JobFeed> Follow(const JobHead& head);

  // The jobs watched here whose feeds may be behind the store, with their `delivered`
  // sequence: every watched job that has not ended (another replica may be recording it).
  std::vector<std::pair<std::string, int64_t>> WatchedJobs() const;

  // Wakes the poller early (a feed saw a gap or was asked for newer events).
  void RequestPoll();
  // Waits until RequestPoll() or `timeout`; true when a poll was requested. Clears the request.
  bool AwaitPollRequest(absl::Duration timeout);

  // Feeds alive (tests check that a feed nobody follows is released).
  int feeds() const;

 private:
  std::shared_ptr<JobFeed> Find(const std::string& job_id) const;

  const size_t window_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<JobFeed>> feeds_ ABSL_GUARDED_BY(mu_);
  bool poll_requested_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_EVENT_HUB_H_
