#include "server/checking/delayed_checker.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "server/common/errors.h"

namespace citecheck {

std::vector<absl::StatusOr<v1::CitationResult>> DelayedChecker::Check(const CheckRequest& request) {
  const absl::Time until = std::min(absl::Now() + delay_, request.deadline);
  // Sleep in short steps so that a cancel is noticed promptly.
  while (absl::Now() < until) {
    if (request.cancelled != nullptr && request.cancelled->load()) break;
    absl::SleepFor(std::min(absl::Milliseconds(20), until - absl::Now()));
  }
  if (absl::Now() >= request.deadline) {
    return std::vector<absl::StatusOr<v1::CitationResult>>(
        request.citations.size(),
        MakeError(absl::StatusCode::kDeadlineExceeded, reason::kJobDeadlineExceeded,
                  "the job's deadline passed while this citation was being checked"));
  }
  return inner_->Check(request);
}

}  // namespace citecheck
