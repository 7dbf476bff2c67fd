#ifndef CITECHECK_SERVER_API_PAGE_TOKEN_H_
#define CITECHECK_SERVER_API_PAGE_TOKEN_H_

// ListJobs page tokens (AIP-132, DESIGN §1 "Listing"): an opaque cursor holding the position
// after which the next page starts (create_time and job_id of the last job returned, not an
// offset), with a MAC under a key every replica shares, bound to the caller and to the filter.
// A token stays valid when the job it points after is removed.
//
//   token = base64url(version(1) | create_time micros (8, big-endian) | job_id
//                     | HMAC-SHA256(key, owner_key | state | the preceding bytes)[0..16))

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/jobs/job_store.h"

namespace citecheck {

std::string EncodePageToken(absl::string_view key, absl::string_view owner_key, v1::JobState filter,
                            const JobPosition& position);

// The position `token` holds. INVALID_ARGUMENT INVALID_PAGE_TOKEN (field page_token) when it
// is not one of ours, was made for another caller or filter, or was altered in any byte.
absl::StatusOr<JobPosition> DecodePageToken(absl::string_view key, absl::string_view owner_key,
                                            v1::JobState filter, absl::string_view token);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_PAGE_TOKEN_H_
