#ifndef CITECHECK_SERVER_JOBS_JOB_PROTOS_H_
#define CITECHECK_SERVER_JOBS_JOB_PROTOS_H_

// Small conversions between citecheck's internal values and the v1 protos.

#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace citecheck {

// True for SUCCEEDED, FAILED and CANCELLED.
inline bool IsTerminalState(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

inline void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1000000000;
  int64_t rest = nanos % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest));
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_PROTOS_H_
