#ifndef CITECHECK_SERVER_CHECKING_CHECKER_H_
#define CITECHECK_SERVER_CHECKING_CHECKER_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// One chunk of citations to check, all of one job.
struct CheckRequest {
  // The style to check against; never STYLE_UNSPECIFIED.
  v1::Style style = v1::STYLE_APA7;
  // The citations, in batch order (already converted from text/HTML).
  std::vector<std::string> citations;
  // The model asked for ("" = the checker's primary model).
  std::string model;
  // No attempt may run past this instant (the job's deadline).
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the job manager when the job is cancelled; a checker should stop retrying and may
  // return early (what it returns is then discarded). May be null.
  const std::atomic<bool>* cancelled = nullptr;
};

// Checks chunks of citations. Implementations: HeuristicChecker (offline rules) and, later, an
// LLM checker over HTTP.
//
// Thread-safe: Check() is called concurrently from the executor's workers.
class Checker {
 public:
  virtual ~Checker() = default;

  // Returns exactly one entry per citation of `request`, in the same order: a result (its
  // `index` left 0; the caller sets it) or, for a citation that could not be checked, an error
  // status whose ErrorInfo reason says why (e.g. LLM_UNAVAILABLE, JOB_DEADLINE_EXCEEDED).
  virtual std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) = 0;

  // The model name reported in Job.model ("heuristic" for the built-in checker).
  virtual std::string ModelName() const = 0;

  // True when `model` may be asked for in SubmitBatchRequest.model.
  virtual bool SupportsModel(const std::string& model) const = 0;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_CHECKER_H_
