#ifndef CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_
#define CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/checking/checker.h"

namespace citecheck {

// A Checker with switches: every citation is valid ("fake" source type) unless told otherwise.
//  - Hold(): calls block until Release() or until their job is cancelled (to observe
//    concurrency, order and cancellation);
//  - FailCitationsContaining(s, reason): citations containing `s` fail with that reason;
//  - counts calls, citations seen, and the largest number of calls running at once.
// Thread-safe.
class FakeChecker final : public Checker {
 public:
  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;
  std::string ModelName() const override { return "fake"; }
  bool SupportsModel(const std::string& model) const override {
    return model.empty() || model == "fake" || model == "fake-fallback";
  }

  void Hold();
  void Release();
  void FailCitationsContaining(std::string needle, std::string reason);

  int calls() const;
  // Calls that saw their job cancelled.
  int cancelled_calls() const;
  int max_concurrent() const;
  int running() const;
  // Every citation passed to Check, in call order.
  std::vector<std::string> seen() const;
  // Blocks until `n` calls are running (held) or `timeout` passes; true if reached.
  bool AwaitRunning(int n, absl::Duration timeout) const;

 private:
  mutable absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int cancelled_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_concurrent_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_FAKE_CHECKER_H_
