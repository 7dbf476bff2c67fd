#ifndef CITECHECK_SERVER_API_BLOCKING_CALL_POOL_H_
#define CITECHECK_SERVER_API_BLOCKING_CALL_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace citecheck {

// A fixed set of threads for the parts of callback-API handlers that may block (a reservation
// is a database transaction with --store=mysql), so that gRPC's callback threads never wait on
// the database. Bounded: Schedule() refuses work beyond `max_queued` waiting calls instead of
// queueing without limit.
//
// Thread-safe. The destructor runs what was scheduled, then joins.
class BlockingCallPool {
 public:
  BlockingCallPool(int threads, int max_queued);
  ~BlockingCallPool();
  BlockingCallPool(const BlockingCallPool&) = delete;
  BlockingCallPool& operator=(const BlockingCallPool&) = delete;

  // Runs `call` on a pool thread; false (and `call` dropped) when the queue is full or the
  // pool is stopping.
  bool Schedule(absl::AnyInvocable<void() &&> call);

 private:
  void Loop();

  const int max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_BLOCKING_CALL_POOL_H_
