#ifndef CITECHECK_SERVER_API_WAKEUP_QUEUE_H_
#define CITECHECK_SERVER_API_WAKEUP_QUEUE_H_

#include <memory>
#include <optional>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace citecheck {

// Something a WakeupQueue wakes at the time it asked for.
class Wakeable {
 public:
  virtual ~Wakeable() = default;
  // Called on the queue's thread at or after `due`, the time this entry asked for (a target that
  // added itself again for an earlier time can tell the older entry by it); must not block.
  // Returns when to be woken next (in the past means at once), or nullopt to leave the queue.
  virtual std::optional<absl::Time> Wake(absl::Time now, absl::Time due) = 0;
};

// Wakes many targets, each at the time it asks for, from one thread: a priority queue of
// (due time, target) in which each target has one entry, so that the cost is one wake-up per
// due time instead of a visit to every target on every tick. Targets are held weakly (one that
// was destroyed simply leaves the queue). A target that wants to be woken earlier than it asked
// cannot move its entry: it Add()s another and leaves the queue when the older one is woken.
// One that wants a later time simply asks for it when woken (lazy rescheduling: heartbeats move
// later on every write without touching the queue).
//
// Time is the injected clock's; the thread sleeps in real time for at most `max_sleep` at once,
// so a fake clock's jumps are noticed within that.
//
// Thread-safe. Add() may be called from any thread, also from Wake().
class WakeupQueue {
 public:
  WakeupQueue(Clock* clock, absl::Duration max_sleep);
  ~WakeupQueue();  // Stop()
  WakeupQueue(const WakeupQueue&) = delete;
  WakeupQueue& operator=(const WakeupQueue&) = delete;

  // Starts the thread. REQUIRES: called once.
  void Start();
  // Stops and joins the thread; targets are no longer woken. Idempotent.
  void Stop();

  // Wakes `target` at `due` (a target already in the queue gets a second entry).
  void Add(std::weak_ptr<Wakeable> target, absl::Time due);

  // Entries waiting (for tests).
  size_t size() const;

 private:
  struct Entry {
    absl::Time due;
    std::weak_ptr<Wakeable> target;
    bool operator>(const Entry& other) const { return due > other.due; }
  };
  void Loop();

  Clock* const clock_;
  const absl::Duration max_sleep_;
  mutable absl::Mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_WAKEUP_QUEUE_H_
