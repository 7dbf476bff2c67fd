#ifndef CITECHECK_SERVER_JOBS_JOB_PROTOS_H_
#define CITECHECK_SERVER_JOBS_JOB_PROTOS_H_

// Small conversions between citecheck's internal values and the v1 protos.

#include "citecheck/v1/citecheck.pb.h"
#include "server/common/proto_time.h"

namespace citecheck {

// True for SUCCEEDED, FAILED and CANCELLED.
inline bool IsTerminalState(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_PROTOS_H_
