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

// A length-delimited protobuf field numbered `number` (1 to 15; wire type 2) holding `value`,
// whatever its bytes (e.g. a string that is not UTF-8, which the generated serializers refuse to
// write). Appended to a serialized message it sets that field (the last value wins) or, for a
// repeated field, adds an element.
std::string BytesField(int number, const std::string& value);

// Bytes no request parses from: a field number 0 tag, then a truncated varint.
inline const std::string kNotAProtobuf = std::string("\x00\xff\xff\xff", 4);
// A string that is not UTF-8: a lone continuation byte and a truncated sequence.
inline const std::string kNotUtf8 = "abc\x80\xe2\x82";

// A GetJobRequest for `job_id`, serialized; CancelJob and WatchJob carry the id as field 1 too.
std::string JobIdRequest(const std::string& job_id);

// A plaintext channel to `address` (a new connection per call of this function).
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

// Calls the unary `method` with `request_bytes` and `metadata` on `channel`; returns the status
// and, when OK and `response` is given, the response bytes.
grpc::Status RawUnaryCall(grpc::Channel& channel, const std::string& method,
                          const std::string& request_bytes, const Metadata& metadata = {},
                          std::string* response = nullptr,
                          absl::Duration timeout = absl::Seconds(10));
// (RawUnaryCall on an address, without metadata: tests/integration/server_process.h.)

// Calls the server-streaming `method` with `request_bytes` and reads at most `max_messages`
// messages (then cancels); returns the final status and the number of messages read in
// *messages.
grpc::Status RawServerStream(grpc::Channel& channel, const std::string& method,
                             const std::string& request_bytes, const Metadata& metadata,
                             int max_messages, int* messages = nullptr,
                             absl::Duration timeout = absl::Seconds(10));

// RawServerStream of WatchJob.
inline grpc::Status RawWatch(grpc::Channel& channel, const std::string& request_bytes,
                             const Metadata& metadata, int max_messages, int* messages = nullptr,
                             absl::Duration timeout = absl::Seconds(10)) {
  return RawServerStream(channel, kWatchJob, request_bytes, metadata, max_messages, messages,
                         timeout);
}

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
