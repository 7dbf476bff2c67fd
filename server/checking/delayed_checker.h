#ifndef CITECHECK_SERVER_CHECKING_DELAYED_CHECKER_H_
#define CITECHECK_SERVER_CHECKING_DELAYED_CHECKER_H_

#include <memory>

#include "absl/time/time.h"
#include "server/checking/checker.h"

namespace citecheck {

// Wraps a checker and makes every call (Check and MatchInline alike) take at least `delay` (flag
// --checker_delay), the way a remote LLM would. For demos and tests of streaming, cancellation and
// fairness with the offline checker. The wait ends early when the job is cancelled (the answer is
// discarded anyway) or when its deadline comes (every citation then fails with
// JOB_DEADLINE_EXCEEDED and the wrapped checker is not called).
//
// Thread-safe if the wrapped checker is.
class DelayedChecker final : public Checker {
 public:
  DelayedChecker(std::unique_ptr<Checker> inner, absl::Duration delay)
      : inner_(std::move(inner)), delay_(delay) {}

  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;
  std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) override;
  std::string ModelName() const override { return inner_->ModelName(); }
  bool SupportsModel(const std::string& model) const override {
    return inner_->SupportsModel(model);
  }

 private:
  const std::unique_ptr<Checker> inner_;
  const absl::Duration delay_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_DELAYED_CHECKER_H_
