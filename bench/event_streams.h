#ifndef CITECHECK_BENCH_EVENT_STREAMS_H_
#define CITECHECK_BENCH_EVENT_STREAMS_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.grpc.pb.h"

namespace citecheck::bench {

// One event as a watcher received it.
struct Arrival {
  int target = 0;  // index of the server the stream was opened on
  std::string job_id;
  int64_t sequence = 0;
  absl::Time event_time;  // the event's `time` (stamped by the replica that recorded it)
  absl::Time arrived;     // when this process read it off the stream
  bool terminal = false;  // the job's terminal job_update
};

// Many WatchJob streams at once without a thread each (gRPC's callback API), for benchmarks:
// every event read (heartbeats excepted) is kept with the time it arrived. Streams to one
// server are spread over a few channels (separate HTTP/2 connections).
//
// Thread-safe. Destroying the set cancels the streams still open and waits for them to end.
class EventStreams {
 public:
  // `targets`: server addresses; `token`: the owner's account token.
  EventStreams(const std::vector<std::string>& targets, const std::string& token,
               int channels_per_target = 4);
  ~EventStreams();

  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // Opens a stream of `job_id`'s events from the start on server `target`.
  void Open(int target, const std::string& job_id);

  // Waits until every stream opened so far has ended; false at `deadline`.
  bool AwaitAllEnded(absl::Time deadline);
  // Waits until every open stream received at least `events` events; false at `deadline`.
  bool AwaitEachReceived(int events, absl::Time deadline);
  // Cancels every stream still open and waits for them to end.
  void CancelAll();

  // Everything received so far, in no particular order.
  std::vector<Arrival> Arrivals() const;
  // Streams that ended with an error other than the CANCELLED of CancelAll.
  int failed_streams() const;
  std::string first_error() const;

 private:
  class Stream;
  friend class Stream;
  void Received(Arrival arrival, Stream* stream);
  void Ended(Stream* stream, const grpc::Status& status);

  const std::string token_;
  std::vector<std::vector<std::unique_ptr<v1::CitationService::Stub>>> stubs_;  // per target

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<Arrival> arrivals_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int opened_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// The q-quantile (0..1) of `values` (sorted in place); 0 when empty. Nearest rank.
double Quantile(std::vector<double>& values, double q);

}  // namespace citecheck::bench

#endif  // CITECHECK_BENCH_EVENT_STREAMS_H_
