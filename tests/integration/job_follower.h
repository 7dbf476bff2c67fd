#ifndef CITECHECK_TESTS_INTEGRATION_JOB_FOLLOWER_H_
#define CITECHECK_TESTS_INTEGRATION_JOB_FOLLOWER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

namespace citecheck::testing {

// What one WatchJob stream delivered.
struct WatchStream {
  std::string address;
  int64_t after_sequence = 0;
  std::vector<v1::JobEvent> events;  // heartbeats excluded, exactly as received
  int heartbeats = 0;
  bool ended = false;  // the stream is over; `status` is its final status
  grpc::Status status;
};

// Follows one job like a client that resumes: raw WatchJob streams (no client library: nothing
// is filtered), each opened after the last sequence received, on the address `where()` names
// at that moment ("" = no replica to ask yet), until the terminal job_update has arrived and its
// stream ended. Every event is kept as it came, so tests see any gap or duplicate.
//
// Thread-safe: Start() runs it on its own thread; the accessors may be called meanwhile.
class JobFollower {
 public:
  // `token` identifies the caller ("authorization: Bearer <token>").
  JobFollower(std::string job_id, std::string token, std::function<std::string()> where);
  ~JobFollower();  // Stop()

  // Follows until the end or `timeout` (then the open stream is cancelled). Returns whether
  // the terminal job_update arrived.
  bool Run(absl::Duration timeout);
  // Run() on a thread of its own; Join() waits for it.
  void Start(absl::Duration timeout);
  bool Join();
  // Cancels the open stream and makes Run() return.
  void Stop();

  // The events received so far, across streams, in arrival order (heartbeats excluded).
  std::vector<v1::JobEvent> events() const;
  // Every stream so far, the open one last (not `ended` yet).
  std::vector<WatchStream> streams() const;
  int64_t last_sequence() const;
  bool ended() const;

  // Success when the events are exactly sequences 1..N, in order, with no gap and no
  // duplicate, the last (and only the last) being the terminal job_update.
  ::testing::AssertionResult Complete() const;

 private:
  // One stream from the last sequence received; returns its final status.
  void FollowOnce(const std::string& address);

  const std::string job_id_;
  const std::string token_;
  const std::function<std::string()> where_;
  std::thread thread_;
  bool thread_result_ = false;

  mutable absl::Mutex mu_;
  std::vector<WatchStream> streams_ ABSL_GUARDED_BY(mu_);
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // the terminal job_update arrived
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* open_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_JOB_FOLLOWER_H_
