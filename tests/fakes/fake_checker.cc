#include "tests/fakes/fake_checker.h"

#include <algorithm>

#include "server/common/errors.h"

namespace citecheck {

std::vector<absl::StatusOr<v1::CitationResult>> FakeChecker::Check(const CheckRequest& request) {
  std::vector<std::pair<std::string, std::string>> failures;
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
    ++running_;
    max_concurrent_ = std::max(max_concurrent_, running_);
    for (const auto& c : request.citations) seen_.push_back(c);
    // Held calls wait for Release(), or return early when their job is cancelled (as the LLM
    // checker does; its results are then discarded by the caller).
    auto cancelled = [&request] {
      return request.cancelled != nullptr && request.cancelled->load();
    };
    while (held_ && !cancelled()) {
      auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !held_; };
      mu_.AwaitWithTimeout(absl::Condition(&released), absl::Milliseconds(5));
    }
    if (cancelled()) ++cancelled_calls_;
    --running_;
    failures = failures_;
  }
  std::vector<absl::StatusOr<v1::CitationResult>> out;
  for (const std::string& citation : request.citations) {
    auto failure = std::find_if(failures.begin(), failures.end(), [&](const auto& f) {
      return citation.find(f.first) != std::string::npos;
    });
    if (failure != failures.end()) {
      out.push_back(MakeError(absl::StatusCode::kUnavailable, failure->second, "fake failure"));
      continue;
    }
    v1::CitationResult result;
    result.set_original(citation);
    result.set_source_type("fake");
    result.set_valid(true);
    out.push_back(std::move(result));
  }
  return out;
}

void FakeChecker::Hold() {
  absl::MutexLock lock(&mu_);
  held_ = true;
}

void FakeChecker::Release() {
  absl::MutexLock lock(&mu_);
  held_ = false;
}

void FakeChecker::FailCitationsContaining(std::string needle, std::string reason) {
  absl::MutexLock lock(&mu_);
  failures_.emplace_back(std::move(needle), std::move(reason));
}

int FakeChecker::cancelled_calls() const {
  absl::MutexLock lock(&mu_);
  return cancelled_calls_;
}

int FakeChecker::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeChecker::max_concurrent() const {
  absl::MutexLock lock(&mu_);
  return max_concurrent_;
}

int FakeChecker::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

std::vector<std::string> FakeChecker::seen() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

bool FakeChecker::AwaitRunning(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace citecheck
