#ifndef CITECHECK_CLIENT_CITECHECK_CLIENT_H_
#define CITECHECK_CLIENT_CITECHECK_CLIENT_H_

// A thin synchronous client of citecheck.v1 (CitationService and AccountService), shared by the
// `citecheck` CLI and the integration tests. It adds the identity metadata to every call, gives
// unary calls a deadline and makes Watch survive dropped streams.
//
// Thread safety: every method may be called concurrently from several threads.
// Errors: methods return the grpc::Status of the call unchanged; decode its details with the
// helpers of client/error_details.h (ErrorReason, FieldViolations, RetryDelay, ...).

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "citecheck/v1/citecheck.pb.h"
#include "client/error_details.h"  // IWYU pragma: export

namespace citecheck::client {

struct ClientOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;         // sent as "authorization: Bearer <token>" when non-empty
  std::string free_user_id;  // sent as "x-free-user-id" when non-empty
  std::string admin_key;     // sent as "x-admin-key" when non-empty
  // Sent as is with every call, e.g. {"x-free-used", "OA=="}. Keys must be lowercase.
  std::vector<std::pair<std::string, std::string>> extra_metadata;
  absl::Duration rpc_timeout = absl::Seconds(30);  // deadline of every unary call
  int max_reconnects = 20;                         // Watch: resumptions after a dropped stream
  // Transport security. TLS when `tls` is set or any file below is given.
  bool tls = false;
  std::string ca_file;          // PEM roots that verify the server; empty = the system's roots
  std::string cert_file;        // client certificate chain for mTLS (PEM), with key_file
  std::string key_file;         // its private key (PEM)
  std::string tls_server_name;  // name checked against the server's certificate; empty = host
};

// Whether `options` asks for TLS.
bool UsesTls(const ClientOptions& options);

// The channel credentials for `options`: insecure, or TLS with the files read now.
// INVALID_ARGUMENT naming the flag (--cert_file, --key_file, --ca_file) when a file cannot be
// read or only one of cert_file and key_file is given.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options);

// A channel to options.server with ChannelCredentialsFor(options).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ClientOptions& options);

// True for SUCCEEDED, FAILED and CANCELLED.
bool IsTerminal(v1::JobState state);

class CitecheckClient {
 public:
  // Backoff between Watch reconnections: 100 ms, doubling, capped at 2 s; a RetryInfo in the
  // dropping status raises the wait (still capped). The backoff restarts from 100 ms after an
  // attempt that delivered at least one new event.
  static constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

  // Opens a channel to options.server (OpenChannel). Use Create() when the TLS files may be
  // unusable: here such a channel fails every call with UNAVAILABLE (it never falls back to
  // plaintext).
  explicit CitecheckClient(ClientOptions options);
  // Opens a channel to options.server; OpenChannel's errors.
  static absl::StatusOr<std::unique_ptr<CitecheckClient>> Create(ClientOptions options);
  // Uses `channel` (e.g. an in-process channel); options.server is ignored.
  CitecheckClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options);
  ~CitecheckClient();

  CitecheckClient(const CitecheckClient&) = delete;
  CitecheckClient& operator=(const CitecheckClient&) = delete;

  const ClientOptions& options() const { return options_; }

  // Unary calls; each has the options.rpc_timeout deadline and the identity metadata. On error
  // the output message is left unspecified.
  grpc::Status SubmitBatch(const v1::SubmitBatchRequest& request, v1::Job* job);
  grpc::Status GetJob(const std::string& job_id, v1::Job* job);
  grpc::Status CancelJob(const std::string& job_id, v1::Job* job);
  grpc::Status ListJobs(const v1::ListJobsRequest& request, v1::ListJobsResponse* response);
  grpc::Status GetBalance(v1::Balance* balance);
  grpc::Status GrantCredits(const std::string& token, int64_t credits, const std::string& order_id,
                            v1::Balance* balance);
  grpc::Status GrantPass(const std::string& token, int days, const std::string& order_id,
                         v1::Balance* balance);

  // Streams the job's events with sequence > after_sequence to on_event, in order, heartbeats
  // included (on_event may test event.has_heartbeat()).
  // Resumption: if, before the terminal job_update was delivered, the stream drops with
  // UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN or CANCELLED (not caused by this client),
  // Watch waits (see kInitialBackoff) and reopens it after the last sequence
  // delivered, so on_event sees every event exactly once (replayed duplicates are dropped). At
  // most options.max_reconnects resumptions are made over the whole Watch; then the last error
  // is returned.
  // Returns OK once the terminal job_update (state SUCCEEDED, FAILED or CANCELLED) was delivered
  // and the stream ended (an error after the terminal event is ignored), and also when the
  // stream ends OK without it: the server ends a stream OK only after the job's terminal event,
  // so that happens when after_sequence was already at or past it. Any other error (e.g.
  // NOT_FOUND, OUT_OF_RANGE) is returned at once. If on_event returns false, or CancelWatches()
  // is called, the watch stops and returns CANCELLED.
  // The stream has no deadline and does not wait for the channel to become ready.
  grpc::Status Watch(const std::string& job_id, int64_t after_sequence,
                     const std::function<bool(const v1::JobEvent&)>& on_event);

  // Reconnections made by the last Watch to finish (or the one running, as it goes).
  int last_watch_reconnects() const { return last_watch_reconnects_.load(); }

  // Stops every Watch running on this client (they return CANCELLED). Safe from any thread,
  // e.g. a signal-watching one. Watches started afterwards are not affected.
  void CancelWatches();

 private:
  // Progress of one Watch across its streams.
  struct WatchProgress {
    uint64_t generation = 0;    // cancel_generation_ when the Watch started
    int64_t last_sequence = 0;  // of the last non-heartbeat event delivered (or after_sequence)
    bool terminal = false;      // the terminal job_update was delivered
    bool stopped = false;       // on_event returned false or CancelWatches() was called
    int delivered = 0;          // new events delivered by the current stream
  };

  // Adds the identity metadata and, when `deadline`, the unary deadline.
  void PrepareContext(grpc::ClientContext* context, bool deadline) const;
  // Runs one WatchJob stream from progress->last_sequence, updating *progress.
  grpc::Status WatchOnce(const std::string& job_id,
                         const std::function<bool(const v1::JobEvent&)>& on_event,
                         WatchProgress* progress);
  // Sleeps `delay` unless CancelWatches() moves past `generation` first. Returns false when
  // cancelled.
  bool SleepUnlessCancelled(absl::Duration delay, uint64_t generation);

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CitationService::Stub> citations_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::atomic<int> last_watch_reconnects_{0};

  absl::Mutex mu_;
  // Incremented by CancelWatches(); a Watch started at generation g stops once it changes.
  uint64_t cancel_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<grpc::ClientContext*> active_streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck::client

#endif  // CITECHECK_CLIENT_CITECHECK_CLIENT_H_
