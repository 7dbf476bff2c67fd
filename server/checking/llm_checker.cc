#include "server/checking/llm_checker.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/checking/llm_answer_parser.h"
#include "server/checking/prompts.h"
#include "server/common/errors.h"
#include "server/common/logging.h"
#include "server/llm/llm_metrics.h"

namespace citecheck {
namespace {

double DefaultUniform01() {
  thread_local absl::BitGen gen;
  return absl::Uniform<double>(gen, 0.0, 1.0);
}

const char* KindName(AttemptOutcome::Kind kind) {
  switch (kind) {
    case AttemptOutcome::Kind::kSuccess:
      return "success";
    case AttemptOutcome::Kind::kHttpStatus:
      return "http status";
    case AttemptOutcome::Kind::kConnectionError:
      return "connection error";
    case AttemptOutcome::Kind::kTimeout:
      return "timeout";
    case AttemptOutcome::Kind::kBadAnswer:
      return "bad answer";
  }
  return "unknown";
}

absl::Status DeadlineStatus() {
  return MakeError(absl::StatusCode::kDeadlineExceeded, reason::kJobDeadlineExceeded,
                   "the job's deadline passed while this citation was being checked");
}

absl::Status CancelledStatus() {
  return MakeError(absl::StatusCode::kCancelled, reason::kLlmUnavailable,
                   "the job was cancelled before this citation was checked");
}

}  // namespace

// The state of one Check() call. Used by one thread only.
class LlmChecker::Run {
 public:
  Run(const LlmCheckerOptions& options, const CheckRequest& request)
      : options_(options),
        request_(request),
        clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
        max_attempts_(std::max(options.retry.max_attempts, 1)),
        items_(request.citations.size()) {}

  std::vector<absl::StatusOr<v1::CitationResult>> Execute();

 private:
  enum class Stop { kNone, kCancelled, kDeadline };

  struct Item {
    std::optional<v1::CitationResult> result;
    absl::Status failure = absl::InternalError("not checked");
    // The last outcome on the endpoint was retryable (attempts or budget ran out): the
    // fallback endpoint may be asked.
    bool fallback_eligible = false;
  };

  // Citations asked together, and the attempts each of them has had on the current endpoint.
  struct Group {
    std::vector<int> indices;
    int attempts = 0;
  };

  // Asks `endpoint` about the citations `indices` until each has a result or a failure.
  void RunEndpoint(const LlmEndpoint& endpoint, std::vector<int> indices);
  // Attempts `group` until it is resolved; citations missing from an answer are appended to
  // `queue` as groups of one.
  void RunGroup(const LlmEndpoint& endpoint, Group group, std::deque<Group>& queue);
  // Waits for the endpoint's pause and rate limiter before a send.
  Stop WaitForSend(const LlmEndpoint& endpoint, int64_t tokens);
  // Sleeps `delay` in steps; stops early on a cancel, and at once when the wait would end at
  // or after the deadline.
  Stop Wait(absl::Duration delay);
  bool Cancelled() const {
    return request_.cancelled != nullptr && request_.cancelled->load(std::memory_order_relaxed);
  }
  void Fail(const Group& group, const absl::Status& status, bool fallback_eligible);
  void Halt(const Group& group, Stop why) {
    Fail(group, why == Stop::kDeadline ? DeadlineStatus() : CancelledStatus(), false);
  }
  double Uniform01() const {
    return options_.uniform01 ? options_.uniform01() : DefaultUniform01();
  }
  void Sleep(absl::Duration d) const {
    if (options_.sleep) {
      options_.sleep(d);
    } else {
      absl::SleepFor(d);
    }
  }

  const LlmCheckerOptions& options_;
  const CheckRequest& request_;
  Clock* const clock_;
  const int max_attempts_;
  std::vector<Item> items_;
};

std::vector<absl::StatusOr<v1::CitationResult>> LlmChecker::Run::Execute() {
  std::vector<int> all(items_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);

  const LlmEndpoint* first = &options_.primary;
  const LlmEndpoint* second = options_.fallback ? &*options_.fallback : nullptr;
  if (!request_.model.empty() && request_.model != options_.primary.model) {
    if (second != nullptr && request_.model == second->model) {
      first = second;
      second = nullptr;
    } else {
      first = nullptr;
    }
  }

  if (first == nullptr) {
    for (Item& item : items_) {
      item.failure = MakeError(absl::StatusCode::kFailedPrecondition, reason::kLlmRejected,
                               "the requested model is not served by this checker");
    }
  } else if (!all.empty()) {
    RunEndpoint(*first, std::move(all));
    if (second != nullptr) {
      std::vector<int> again;
      for (size_t i = 0; i < items_.size(); ++i) {
        if (!items_[i].result && items_[i].fallback_eligible) again.push_back(static_cast<int>(i));
      }
      if (!again.empty()) {
        spdlog::info("LLM {} ({}): {} citation(s) failed; asking the fallback {} ({})",
                     first->label, first->model, again.size(), second->label, second->model);
        RunEndpoint(*second, std::move(again));
      }
    }
  }

  std::vector<absl::StatusOr<v1::CitationResult>> out;
  out.reserve(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) {
    Item& item = items_[i];
    if (!item.result) {
      out.emplace_back(std::move(item.failure));
      continue;
    }
    if (item.result->original().empty()) item.result->set_original(request_.citations[i]);
    out.emplace_back(std::move(*item.result));
  }
  return out;
}

void LlmChecker::Run::RunEndpoint(const LlmEndpoint& endpoint, std::vector<int> indices) {
  std::deque<Group> queue;
  queue.push_back(Group{std::move(indices), 0});
  while (!queue.empty()) {
    Group group = std::move(queue.front());
    queue.pop_front();
    RunGroup(endpoint, std::move(group), queue);
  }
}

void LlmChecker::Run::RunGroup(const LlmEndpoint& endpoint, Group group,
                               std::deque<Group>& queue) {
  const int count = static_cast<int>(group.indices.size());
  std::vector<std::string> citations;
  citations.reserve(group.indices.size());
  for (int index : group.indices) citations.push_back(request_.citations[index]);

  LlmRequest llm_request;
  llm_request.model = endpoint.model;
  llm_request.system_prompt = std::string(SystemPrompt(request_.style));
  llm_request.user_message = NumberedCitations(citations);
  const int64_t tokens =
      static_cast<int64_t>(llm_request.system_prompt.size() + llm_request.user_message.size()) / 4 +
      options_.completion_tokens_per_citation * count;

  while (true) {
    if (Cancelled()) return Halt(group, Stop::kCancelled);
    if (Stop stop = WaitForSend(endpoint, tokens); stop != Stop::kNone) return Halt(group, stop);
    const absl::Duration left = request_.deadline - clock_->Now();
    if (left <= absl::ZeroDuration()) return Halt(group, Stop::kDeadline);
    llm_request.timeout = std::min(options_.attempt_timeout, left);

    const absl::Time sent = absl::Now();
    LlmResponse response = endpoint.client->Complete(llm_request);
    const absl::Duration took = absl::Now() - sent;
    const bool cancelled_meanwhile = Cancelled();
    ++group.attempts;
    AttemptOutcome outcome = std::move(response.outcome);

    if (outcome.kind == AttemptOutcome::Kind::kSuccess) {
      ParsedAnswer parsed = ParseLlmAnswer(response.content, request_.style, count);
      if (parsed.any_block) {
        RecordLlmAttempt(endpoint.metrics, outcome, true, cancelled_meanwhile, took);
        if (endpoint.budget != nullptr) endpoint.budget->OnSuccess();
        for (auto& [number, result] : parsed.results) {
          items_[group.indices[number - 1]].result = std::move(result);
        }
        int exhausted = 0;
        for (int number : parsed.missing) {
          const int index = group.indices[number - 1];
          if (group.attempts < max_attempts_) {
            queue.push_back(Group{{index}, group.attempts});
          } else {
            Fail(Group{{index}, group.attempts}, FailureStatus(AttemptOutcome::BadAnswer()),
                 true);
            ++exhausted;
          }
        }
        if (!parsed.missing.empty()) {
          spdlog::debug("LLM {} ({}): the answer lacked {} of {} citation(s); {} asked again",
                        endpoint.label, endpoint.model, parsed.missing.size(), count,
                        parsed.missing.size() - exhausted);
        }
        return;
      }
      const int status = outcome.http_status;
      outcome = AttemptOutcome::BadAnswer();
      outcome.http_status = status;
      outcome.detail = "no parsable citation block in the answer";
    }

    RecordLlmAttempt(endpoint.metrics, outcome, false, cancelled_meanwhile, took);
    const absl::Time now = clock_->Now();
    RetryDecision decision =
        DecideRetry(outcome, group.attempts, options_.retry, now, [this] { return Uniform01(); });
    if (decision.pause_endpoint_until && endpoint.pause != nullptr) {
      endpoint.pause->PauseUntil(*decision.pause_endpoint_until);
    }
    const bool retryable = IsRetryable(outcome);
    if (retryable && endpoint.budget != nullptr) endpoint.budget->OnFailure();
    spdlog::debug("LLM {} ({}): attempt {} for {} citation(s) failed: {} {} {} {}",
                  endpoint.label, endpoint.model, group.attempts, count, KindName(outcome.kind),
                  outcome.http_status, outcome.error_code, outcome.detail);

    // A timeout the deadline cut short is the deadline's doing.
    if (outcome.kind == AttemptOutcome::Kind::kTimeout && now >= request_.deadline) {
      return Halt(group, Stop::kDeadline);
    }
    const bool budget_refused =
        decision.retry && endpoint.budget != nullptr && !endpoint.budget->AllowRetry();
    if (!decision.retry || budget_refused) {
      spdlog::warn("LLM {} ({}): {} citation(s) failed after {} attempt(s): {} (HTTP {}){}",
                   endpoint.label, endpoint.model, count, group.attempts,
                   ErrorReason(decision.failure), outcome.http_status,
                   budget_refused ? "; retry budget exhausted" : "");
      return Fail(group, decision.failure, retryable);
    }
    if (Stop stop = Wait(decision.delay); stop != Stop::kNone) return Halt(group, stop);
  }
}

LlmChecker::Run::Stop LlmChecker::Run::WaitForSend(const LlmEndpoint& endpoint, int64_t tokens) {
  if (endpoint.pause != nullptr) {
    if (Stop stop = Wait(endpoint.pause->WaitDuration(clock_->Now())); stop != Stop::kNone) {
      return stop;
    }
  }
  if (endpoint.rate_limiter != nullptr) {
    if (Stop stop = Wait(endpoint.rate_limiter->Reserve(tokens, clock_->Now()));
        stop != Stop::kNone) {
      return stop;
    }
    // Another request may have paused the endpoint meanwhile.
    if (endpoint.pause != nullptr) return Wait(endpoint.pause->WaitDuration(clock_->Now()));
  }
  return Stop::kNone;
}

LlmChecker::Run::Stop LlmChecker::Run::Wait(absl::Duration delay) {
  if (Cancelled()) return Stop::kCancelled;
  if (delay <= absl::ZeroDuration()) return Stop::kNone;
  const absl::Time end = clock_->Now() + delay;
  if (end >= request_.deadline) return Stop::kDeadline;  // no attempt could follow the wait
  absl::Duration slept = absl::ZeroDuration();
  while (true) {
    const absl::Duration left = std::min(end - clock_->Now(), delay - slept);
    if (left <= absl::ZeroDuration()) return Stop::kNone;
    const absl::Duration step = std::min(left, options_.sleep_step);
    Sleep(step);
    slept += step;
    if (Cancelled()) return Stop::kCancelled;
  }
}

void LlmChecker::Run::Fail(const Group& group, const absl::Status& status,
                           bool fallback_eligible) {
  for (int index : group.indices) {
    if (items_[index].result) continue;
    items_[index].failure = status;
    items_[index].fallback_eligible = fallback_eligible;
  }
}

LlmChecker::LlmChecker(LlmCheckerOptions options) : options_(std::move(options)) {
  if (options_.sleep_step <= absl::ZeroDuration()) options_.sleep_step = absl::Milliseconds(50);
}

std::vector<absl::StatusOr<v1::CitationResult>> LlmChecker::Check(const CheckRequest& request) {
  return Run(options_, request).Execute();
}

std::string LlmChecker::ModelName() const { return options_.primary.model; }

bool LlmChecker::SupportsModel(const std::string& model) const {
  return model.empty() || model == options_.primary.model ||
         (options_.fallback && model == options_.fallback->model);
}

}  // namespace citecheck
