#include "tests/fakes/fake_checker.h"

#include <algorithm>

#include "server/common/errors.h"

namespace citecheck {
namespace {

// The reason of the first failure switch whose needle `text` contains, or nullptr.
const std::string* FailureFor(const std::vector<std::pair<std::string, std::string>>& failures,
                              const std::string& text) {
  for (const auto& [needle, reason] : failures) {
    if (text.find(needle) != std::string::npos) return &reason;
  }
  return nullptr;
}

absl::Status FakeFailure(const std::string& reason) {
  return MakeError(absl::StatusCode::kUnavailable, reason, "fake failure");
}

}  // namespace

void FakeChecker::StartCheck(CheckRequest request, CheckDone done) {
  if (!asynchronous_) return Checker::StartCheck(std::move(request), std::move(done));
  call_threads_.Run([this, request = std::move(request), done = std::move(done)]() mutable {
    std::move(done)(Check(request));
  });
}

void FakeChecker::StartMatchInline(InlineCheckRequest request, MatchDone done) {
  if (!asynchronous_) return Checker::StartMatchInline(std::move(request), std::move(done));
  call_threads_.Run([this, request = std::move(request), done = std::move(done)]() mutable {
    std::move(done)(MatchInline(request));
  });
}

FakeChecker::Failures FakeChecker::Enter(bool inline_call, std::vector<std::string> texts,
                                         const std::atomic<bool>* cancelled) {
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (inline_call) ++inline_calls_;
  ++running_;
  max_concurrent_ = std::max(max_concurrent_, running_);
  std::vector<std::string>& seen = inline_call ? seen_inline_ : seen_;
  for (std::string& text : texts) seen.push_back(std::move(text));
  // Held calls wait for Release() or Let(), or return early when their job is cancelled (as the LLM
  // checker does; its results are then discarded by the caller).
  auto stopped = [cancelled] { return cancelled != nullptr && cancelled->load(); };
  auto may_pass = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !held_ || let_through_ > 0; };
  while (!may_pass() && !stopped()) {
    mu_.AwaitWithTimeout(absl::Condition(&may_pass), absl::Milliseconds(5));
  }
  if (held_ && !stopped()) --let_through_;  // Let() let this one through
  if (stopped()) ++cancelled_calls_;
  --running_;
  return inline_call ? inline_failures_ : failures_;
}

std::vector<absl::StatusOr<v1::CitationResult>> FakeChecker::Check(const CheckRequest& request) {
  const Failures failures = Enter(/*inline_call=*/false, request.citations, request.cancelled);
  std::vector<absl::StatusOr<v1::CitationResult>> out;
  for (const std::string& citation : request.citations) {
    if (const std::string* reason = FailureFor(failures, citation); reason != nullptr) {
      out.push_back(FakeFailure(*reason));
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

std::vector<absl::StatusOr<v1::InlineCitation>> FakeChecker::MatchInline(
    const InlineCheckRequest& request) {
  std::vector<std::string> texts;
  for (const InlineQuery& query : request.citations) texts.push_back(query.text);
  const Failures failures = Enter(/*inline_call=*/true, std::move(texts), request.cancelled);
  std::vector<absl::StatusOr<v1::InlineCitation>> out = heuristic_.MatchInline(request);
  for (size_t i = 0; i < out.size(); ++i) {
    if (const std::string* reason = FailureFor(failures, request.citations[i].text);
        reason != nullptr) {
      out[i] = FakeFailure(*reason);
    }
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
  let_through_ = 0;
}

void FakeChecker::Let(int n) {
  absl::MutexLock lock(&mu_);
  let_through_ += n;
}

void FakeChecker::FailCitationsContaining(std::string needle, std::string reason) {
  absl::MutexLock lock(&mu_);
  failures_.emplace_back(std::move(needle), std::move(reason));
}

void FakeChecker::FailInlineContaining(std::string needle, std::string reason) {
  absl::MutexLock lock(&mu_);
  inline_failures_.emplace_back(std::move(needle), std::move(reason));
}

int FakeChecker::cancelled_calls() const {
  absl::MutexLock lock(&mu_);
  return cancelled_calls_;
}

int FakeChecker::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeChecker::inline_calls() const {
  absl::MutexLock lock(&mu_);
  return inline_calls_;
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

std::vector<std::string> FakeChecker::seen_inline() const {
  absl::MutexLock lock(&mu_);
  return seen_inline_;
}

bool FakeChecker::AwaitRunning(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace citecheck
