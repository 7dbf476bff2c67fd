#ifndef CITECHECK_SERVER_JOBS_CHUNK_EXECUTOR_H_
#define CITECHECK_SERVER_JOBS_CHUNK_EXECUTOR_H_

#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// A bounded pool of workers that claim chunks and run them: at most `workers` chunks run at
// once (the server's LLM concurrency), and at most `max_queued_chunks` chunks wait. Fairness
// between jobs is the claim source's job (JobStore::Claim takes jobs in turns).
//
// Admission is separate from claiming so that SubmitBatch can say no (QUEUE_FULL) before it
// reserves any quota: TryAdmit(n) takes room for n chunks, each claimed or dropped chunk gives
// one back (Release). Nothing here blocks a caller: TryAdmit fails instead of waiting.
//
// Thread-safe. The claim and run functions are called on worker threads, never under mu_.
class ChunkExecutor {
 public:
  struct Options {
    int workers = 16;                        // chunks running at once
    int max_queued_chunks = 10000;           // chunks admitted but not yet claimed
    absl::Duration idle_poll = absl::Seconds(1);  // an idle worker re-checks this often
  };
  using ClaimFn = std::function<std::optional<Chunk>()>;
  using RunFn = std::function<void(Chunk)>;

  ChunkExecutor(Options options, ClaimFn claim, RunFn run);
  ~ChunkExecutor();  // Shutdown()
  ChunkExecutor(const ChunkExecutor&) = delete;
  ChunkExecutor& operator=(const ChunkExecutor&) = delete;

  // Starts the workers. REQUIRES: called once.
  void Start();
  // Stops claiming, lets running chunks finish, joins the workers. Idempotent.
  void Shutdown();

  // Takes room for `chunks` queued chunks; false (nothing taken) when it would exceed the bound.
  bool TryAdmit(int chunks);
  // Gives back room for `chunks` (claimed, dropped by a cancel, or never created).
  void Release(int chunks);
  // Tells idle workers that new chunks may be claimable.
  void Notify();

  int queued() const;   // admitted, not yet claimed
  int running() const;  // being run now

 private:
  void WorkerLoop();

  const Options options_;
  const ClaimFn claim_;
  const RunFn run_;
  mutable absl::Mutex mu_;
  int queued_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by Notify
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_CHUNK_EXECUTOR_H_
