#ifndef CITECHECK_SERVER_COMMON_PROTO_TIME_H_
#define CITECHECK_SERVER_COMMON_PROTO_TIME_H_

// The one conversion between absl::Time / absl::Duration and google.protobuf.Timestamp /
// Duration (server and client alike), and the precision durable state keeps (microseconds, as
// MySQL's DATETIME(6)). Header-only: it needs nothing but Abseil and the protobuf runtime.

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace citecheck {

// `t` as a Timestamp, rounded towards the past to the nanosecond (nanos in [0, 1e9)).
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

// `d` (finite) as a Duration, truncated towards zero to the nanosecond; seconds and nanos carry
// the same sign, as the type requires.
inline void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

inline absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// `t` truncated (towards the past) to whole microseconds: every time a store keeps, so that
// every store and every replica reports the same instants.
inline absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_PROTO_TIME_H_
