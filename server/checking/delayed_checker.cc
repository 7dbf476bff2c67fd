#include "server/checking/delayed_checker.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace citecheck {
namespace {

// Waits until `delay` has passed, the deadline has come or the job is cancelled; true when the
// deadline has passed.
bool WaitAndCheckDeadline(absl::Duration delay, absl::Time deadline,
                          const std::atomic<bool>* cancelled) {
  const absl::Time until = std::min(absl::Now() + delay, deadline);
  // Sleep in short steps so that a cancel is noticed promptly.
  while (absl::Now() < until) {
    if (cancelled != nullptr && cancelled->load()) break;
    absl::SleepFor(std::min(absl::Milliseconds(20), until - absl::Now()));
  }
  return absl::Now() >= deadline;
}

}  // namespace

std::vector<absl::StatusOr<v1::CitationResult>> DelayedChecker::Check(const CheckRequest& request) {
  if (WaitAndCheckDeadline(delay_, request.deadline, request.cancelled)) {
    return std::vector<absl::StatusOr<v1::CitationResult>>(request.citations.size(),
                                                           JobDeadlineExceededError());
  }
  return inner_->Check(request);
}

std::vector<absl::StatusOr<v1::InlineCitation>> DelayedChecker::MatchInline(
    const InlineCheckRequest& request) {
  if (WaitAndCheckDeadline(delay_, request.deadline, request.cancelled)) {
    return std::vector<absl::StatusOr<v1::InlineCitation>>(request.citations.size(),
                                                           JobDeadlineExceededError());
  }
  return inner_->MatchInline(request);
}

}  // namespace citecheck
