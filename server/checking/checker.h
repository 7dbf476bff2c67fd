#ifndef CITECHECK_SERVER_CHECKING_CHECKER_H_
#define CITECHECK_SERVER_CHECKING_CHECKER_H_

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/common/errors.h"

namespace citecheck {

// The failure of a citation (or in-text citation) whose job's deadline passed before it could
// be checked, whether a checker gave up on it or the job layer never started it:
// DEADLINE_EXCEEDED, reason JOB_DEADLINE_EXCEEDED. The one place this error is made.
inline absl::Status JobDeadlineExceededError() {
  return MakeError(absl::StatusCode::kDeadlineExceeded, reason::kJobDeadlineExceeded,
                   "the job's deadline passed before this citation could be checked");
}

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

// One in-text citation of a document to match (see inline_extractor.h).
struct InlineQuery {
  // InlineCitation.index: its position among the document's in-text citations. The LLM knows it
  // by the id "c" + (index + 1).
  int index = 0;
  // InlineCitation.text, as the extractor wrote it.
  std::string text;
};

// One chunk of a document's in-text citations, matched against the document's whole reference
// list. All of one job.
struct InlineCheckRequest {
  // The style; never STYLE_UNSPECIFIED.
  v1::Style style = v1::STYLE_APA7;
  // The whole reference list (reference i is the job's citation i, CitationResult.index i).
  std::vector<std::string> references;
  // The in-text citations to match, in document order.
  std::vector<InlineQuery> citations;
  // As in CheckRequest.
  std::string model;
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;
};

// Receive what Check() and MatchInline() would have returned, from StartCheck() and
// StartMatchInline().
using CheckDone = absl::AnyInvocable<void(std::vector<absl::StatusOr<v1::CitationResult>>) &&>;
using MatchDone = absl::AnyInvocable<void(std::vector<absl::StatusOr<v1::InlineCitation>>) &&>;

// Checks chunks of citations, and matches documents' in-text citations against their reference
// lists. Implementations: HeuristicChecker (offline rules), LlmChecker (an OpenAI-compatible
// endpoint), DelayedChecker (a slowed-down wrapper) and, in tests, FakeChecker.
//
// Two ways to call it: Check()/MatchInline() block until the answer; StartCheck()/
// StartMatchInline() hand it to a callback. A checker whose Asynchronous() is true runs its
// work on its own event loop, so its Start calls return at once and the caller needs no thread
// per check; the others run the blocking call inside Start (the defaults below).
//
// Thread-safe: every method may be called concurrently from any number of threads.
class Checker {
 public:
  virtual ~Checker() = default;

  // True when StartCheck() and StartMatchInline() return without waiting for the check (its
  // callback runs later on a thread of the checker's). REQUIRES for true: the callbacks given
  // to them must not block.
  virtual bool Asynchronous() const { return false; }

  // Checks like Check() and calls `done` exactly once with what Check() would return, on the
  // calling thread before returning or (Asynchronous()) on a thread of the checker's.
  // request.cancelled, when set, must stay valid until `done` has run.
  virtual void StartCheck(CheckRequest request, CheckDone done) { std::move(done)(Check(request)); }
  // The same for MatchInline().
  virtual void StartMatchInline(InlineCheckRequest request, MatchDone done) {
    std::move(done)(MatchInline(request));
  }

  // Returns exactly one entry per citation of `request`, in the same order: a result (its
  // `index` left 0; the caller sets it) or, for a citation that could not be checked, an error
  // status whose ErrorInfo reason says why (e.g. LLM_UNAVAILABLE, JOB_DEADLINE_EXCEEDED).
  virtual std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) = 0;

  // Returns exactly one entry per in-text citation of `request`, in the same order: its verdict
  // (index and text copied from the query; match, reference_indices — 0-based indices into
  // request.references —, problem and correction filled; offset left 0 for the caller) or, for
  // one that could not be checked, an error status whose ErrorInfo reason says why (the same
  // reasons as Check()).
  virtual std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) = 0;

  // The model name reported in Job.model ("heuristic" for the built-in checker).
  virtual std::string ModelName() const = 0;

  // True when `model` may be asked for in SubmitBatchRequest.model.
  virtual bool SupportsModel(const std::string& model) const = 0;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_CHECKER_H_
