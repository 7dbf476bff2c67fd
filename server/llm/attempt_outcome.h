#ifndef CITECHECK_SERVER_LLM_ATTEMPT_OUTCOME_H_
#define CITECHECK_SERVER_LLM_ATTEMPT_OUTCOME_H_

// What happened to one attempt at asking the LLM about one citation, as the HTTP client reports
// it to the retry policy (server/llm/retry_policy.h). A plain value; no behaviour.

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace citecheck {

// Response headers keyed by LOWER-CASE name (e.g. "retry-after-ms"); values as received.
using HttpHeaders = absl::flat_hash_map<std::string, std::string>;

struct AttemptOutcome {
  enum class Kind {
    // A 2xx whose answer parsed: nothing to retry.
    kSuccess,
    // The server answered with a non-2xx status (`http_status`).
    kHttpStatus,
    // No answer: DNS, connect, TLS or reset errors.
    kConnectionError,
    // The request timed out before an answer arrived.
    kTimeout,
    // A 2xx whose body could not be parsed into a result; treated like a 5xx.
    kBadAnswer,
  };

  Kind kind = Kind::kSuccess;
  // The HTTP status when there was a response (kSuccess, kHttpStatus, kBadAnswer); else 0.
  int http_status = 0;
  // The response headers (empty without a response). Names must be lower-case.
  HttpHeaders headers;
  // `error.code` from an error body such as {"error":{"code":"insufficient_quota",...}};
  // empty when absent or unparsable.
  std::string error_code;
  // Free text for logs (e.g. the provider's error message or the transport error). It is never
  // copied into a failure status: provider messages can echo secrets such as part of the key.
  std::string detail;

  static AttemptOutcome Success() {
    AttemptOutcome o;
    o.http_status = 200;
    return o;
  }
  static AttemptOutcome Http(int status, HttpHeaders headers = {}, std::string error_code = "") {
    AttemptOutcome o;
    o.kind = Kind::kHttpStatus;
    o.http_status = status;
    o.headers = std::move(headers);
    o.error_code = std::move(error_code);
    return o;
  }
  static AttemptOutcome ConnectionError() {
    AttemptOutcome o;
    o.kind = Kind::kConnectionError;
    return o;
  }
  static AttemptOutcome Timeout() {
    AttemptOutcome o;
    o.kind = Kind::kTimeout;
    return o;
  }
  static AttemptOutcome BadAnswer() {
    AttemptOutcome o;
    o.kind = Kind::kBadAnswer;
    o.http_status = 200;
    return o;
  }
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_ATTEMPT_OUTCOME_H_
