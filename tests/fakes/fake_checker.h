#ifndef CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_
#define CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/checking/checker.h"
#include "server/checking/heuristic_checker.h"
#include "tests/fakes/call_threads.h"

namespace citecheck {

// A Checker with switches: every citation is valid ("fake" source type) unless told otherwise;
// in-text citations get the heuristic matcher's verdicts (deterministic and realistic).
//  - Hold(): calls (Check and MatchInline alike) block until Release() or until their job is
//    cancelled (to observe concurrency, order and cancellation); Let(n) lets n calls through
//    while held, so a test decides exactly how much of a job is checked;
//  - FailCitationsContaining(s, reason): citations containing `s` fail with that reason;
//  - FailInlineContaining(s, reason): in-text citations whose text contains `s` fail so;
//  - counts calls, citations seen, and the largest number of calls running at once;
//  - FakeChecker(/*asynchronous=*/true): Asynchronous(), and StartCheck/StartMatchInline run
//    the call on a thread of their own and return at once (as an event-loop checker does).
// Thread-safe. REQUIRES: no call running when destroyed (the asynchronous calls' threads are
// joined then).
class FakeChecker final : public Checker {
 public:
  explicit FakeChecker(bool asynchronous = false) : asynchronous_(asynchronous) {}

  bool Asynchronous() const override { return asynchronous_; }
  void StartCheck(CheckRequest request, CheckDone done) override;
  void StartMatchInline(InlineCheckRequest request, MatchDone done) override;
  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;
  std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) override;
  std::string ModelName() const override { return "fake"; }
  bool SupportsModel(const std::string& model) const override {
    return model.empty() || model == "fake" || model == "fake-fallback";
  }

  void Hold();
  void Release();
  // While held: lets the next `n` calls through (any of those waiting when several wait).
  void Let(int n);
  void FailCitationsContaining(std::string needle, std::string reason);
  void FailInlineContaining(std::string needle, std::string reason);

  // Calls of Check and MatchInline together; running() and max_concurrent() count both too.
  int calls() const;
  // Calls that saw their job cancelled.
  int cancelled_calls() const;
  int inline_calls() const;
  int max_concurrent() const;
  int running() const;
  // Every citation passed to Check, in call order.
  std::vector<std::string> seen() const;
  // Every in-text citation text passed to MatchInline, in call order.
  std::vector<std::string> seen_inline() const;
  // Blocks until `n` calls are running (held) or `timeout` passes; true if reached.
  bool AwaitRunning(int n, absl::Duration timeout) const;

 private:
  using Failures = std::vector<std::pair<std::string, std::string>>;  // needle, reason

  // Counts a call, waits while held; returns the failure switches as they are then.
  Failures Enter(bool inline_call, std::vector<std::string> texts,
                 const std::atomic<bool>* cancelled) ABSL_LOCKS_EXCLUDED(mu_);

  const bool asynchronous_;
  HeuristicChecker heuristic_;
  mutable absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int let_through_ ABSL_GUARDED_BY(mu_) = 0;  // calls Let() still lets pass while held
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int cancelled_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int inline_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_concurrent_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> seen_inline_ ABSL_GUARDED_BY(mu_);
  Failures failures_ ABSL_GUARDED_BY(mu_);
  Failures inline_failures_ ABSL_GUARDED_BY(mu_);
  CallThreads call_threads_;  // last: joined before the members the calls use
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_
