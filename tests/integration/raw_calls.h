#ifndef CITECHECK_TESTS_INTEGRATION_RAW_CALLS_H_
#define CITECHECK_TESTS_INTEGRATION_RAW_CALLS_H_

// Calls with raw request bytes and arbitrary metadata, as a client with its own serializer (or a
// hostile one) would send them: the generated stubs would refuse to send invalid UTF-8 in a
// string field, and the client library adds only the metadata it knows.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace citecheck::testing {

using Metadata = std::vector<std::pair<std::string, std::string>>;

// The full method names of every citecheck RPC.
inline constexpr char kSubmitBatch[] = "/citecheck.v1.CitationService/SubmitBatch";
inline constexpr char kWatchJob[] = "/citecheck.v1.CitationService/WatchJob";
inline constexpr char kGetJob[] = "/citecheck.v1.CitationService/GetJob";
inline constexpr char kCancelJob[] = "/citecheck.v1.CitationService/CancelJob";
inline constexpr char kListJobs[] = "/citecheck.v1.CitationService/ListJobs";
inline constexpr char kGetBalance[] = "/citecheck.v1.AccountService/GetBalance";
inline constexpr char kGrantCredits[] = "/citecheck.v1.AccountService/GrantCredits";
inline constexpr char kGrantPass[] = "/citecheck.v1.AccountService/GrantPass";

// A plaintext channel to `address` (a new connection per call of this function).
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

// Calls the unary `method` with `request_bytes` and `metadata` on `channel`; returns the status
// and, when OK and `response` is given, the response bytes.
grpc::Status RawUnaryCall(grpc::Channel& channel, const std::string& method,
                          const std::string& request_bytes, const Metadata& metadata = {},
                          std::string* response = nullptr,
                          absl::Duration timeout = absl::Seconds(10));
// (RawUnaryCall on an address, without metadata: tests/integration/server_process.h.)

// Calls WatchJob with `request_bytes` and reads at most `max_messages` messages (then cancels);
// returns the final status and the number of messages read in *messages.
grpc::Status RawWatch(grpc::Channel& channel, const std::string& request_bytes,
                      const Metadata& metadata, int max_messages, int* messages = nullptr,
                      absl::Duration timeout = absl::Seconds(10));

// A WatchJob stream held open by the test, through the generated stub.
class OpenWatch {
 public:
  OpenWatch(v1::CitationService::Stub& stub, const std::string& job_id, const Metadata& metadata,
            absl::Duration timeout = absl::Seconds(30));
  ~OpenWatch();  // cancels the stream when still open

  // Reads the next event; false when the stream ended (then Finish() says how).
  bool Next(v1::JobEvent* event);
  // Reads until the stream ends; the status it ended with.
  grpc::Status Finish();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader_;
  bool finished_ = false;
  grpc::Status status_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_RAW_CALLS_H_
