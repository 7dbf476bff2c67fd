#include "server/checking/llm_checker.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/checking/inline_answer_parser.h"
#include "server/checking/inline_prompts.h"
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

absl::Status CancelledStatus() {
  return MakeError(absl::StatusCode::kCancelled, reason::kLlmUnavailable,
                   "the job was cancelled before this citation was checked");
}

// What one kind of request needs from a Run: how to ask about some of its items and how to read
// the answer. Items are numbered by their position in the Check/MatchInline request.
template <typename Result>
class Exchange {
 public:
  // An answer read: results by position in the asked `indices`, and the positions missing.
  struct Reading {
    bool usable = false;
    std::map<int, Result> results;
    std::vector<int> missing;
    std::string defect;  // why it is not usable, for logs
  };

  virtual ~Exchange() = default;
  virtual size_t size() const = 0;
  // Fills the prompts of a request about the items `indices`.
  virtual void Build(const std::vector<int>& indices, LlmRequest* request) const = 0;
  // Completion tokens a request about `count` items is assumed to use.
  virtual int64_t CompletionTokens(int count) const = 0;
  virtual Reading Read(absl::string_view content, const std::vector<int>& indices) const = 0;
  // Completes the result of item `index` before it is returned.
  virtual void Finish(int index, Result* result) const = 0;
};

// Reference-list citations: prompts.h and llm_answer_parser.h.
class CitationExchange final : public Exchange<v1::CitationResult> {
 public:
  CitationExchange(const CheckRequest& request, const LlmCheckerOptions& options)
      : request_(request), options_(options) {}

  size_t size() const override { return request_.citations.size(); }
  void Build(const std::vector<int>& indices, LlmRequest* request) const override {
    std::vector<std::string> citations;
    citations.reserve(indices.size());
    for (int index : indices) citations.push_back(request_.citations[index]);
    request->system_prompt = std::string(SystemPrompt(request_.style));
    request->user_message = NumberedCitations(citations);
  }
  int64_t CompletionTokens(int count) const override {
    return options_.completion_tokens_per_citation * count;
  }
  Reading Read(absl::string_view content, const std::vector<int>& indices) const override {
    ParsedAnswer parsed = ParseLlmAnswer(content, request_.style, static_cast<int>(indices.size()));
    Reading reading;
    reading.usable = parsed.any_block;
    for (auto& [number, result] : parsed.results) reading.results[number - 1] = std::move(result);
    for (int number : parsed.missing) reading.missing.push_back(number - 1);
    if (!reading.usable) reading.defect = "no parsable citation block in the answer";
    return reading;
  }
  void Finish(int index, v1::CitationResult* result) const override {
    if (result->original().empty()) result->set_original(request_.citations[index]);
  }

 private:
  const CheckRequest& request_;
  const LlmCheckerOptions& options_;
};

// In-text citations of a document: inline_prompts.h and inline_answer_parser.h.
class InlineExchange final : public Exchange<v1::InlineCitation> {
 public:
  InlineExchange(const InlineCheckRequest& request, const LlmCheckerOptions& options)
      : request_(request), options_(options) {}

  size_t size() const override { return request_.citations.size(); }
  void Build(const std::vector<int>& indices, LlmRequest* request) const override {
    std::vector<InlineQuery> citations;
    citations.reserve(indices.size());
    for (int index : indices) citations.push_back(request_.citations[index]);
    request->system_prompt = std::string(InlineSystemPrompt(request_.style));
    request->user_message = InlineUserMessage(request_.references, citations);
  }
  int64_t CompletionTokens(int count) const override {
    return options_.completion_tokens_per_inline_citation * count;
  }
  Reading Read(absl::string_view content, const std::vector<int>& indices) const override {
    std::vector<std::string> ids;
    ids.reserve(indices.size());
    for (int index : indices) ids.push_back(InlineCitationId(request_.citations[index].index));
    ParsedInlineAnswer parsed =
        ParseInlineAnswer(content, ids, static_cast<int>(request_.references.size()));
    Reading reading;
    reading.usable = parsed.usable;
    reading.results = std::move(parsed.results);
    reading.missing = std::move(parsed.missing);
    reading.defect = std::move(parsed.defect);
    return reading;
  }
  void Finish(int index, v1::InlineCitation* result) const override {
    result->set_index(request_.citations[index].index);
    result->set_text(request_.citations[index].text);
  }

 private:
  const InlineCheckRequest& request_;
  const LlmCheckerOptions& options_;
};

// What bounds a run: the model asked for, the job's deadline and cancel flag.
struct RunLimits {
  const std::string& model;
  absl::Time deadline;
  const std::atomic<bool>* cancelled;
};

// The state of one Check() or MatchInline() call. Used by one thread only.
template <typename Result>
class Run {
 public:
  Run(const LlmCheckerOptions& options, const Exchange<Result>& exchange, RunLimits limits)
      : options_(options),
        exchange_(exchange),
        limits_(limits),
        clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
        max_attempts_(std::max(options.retry.max_attempts, 1)),
        items_(exchange.size()) {}

  std::vector<absl::StatusOr<Result>> Execute();

 private:
  enum class Stop { kNone, kCancelled, kDeadline };

  struct Item {
    std::optional<Result> result;
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
    return limits_.cancelled != nullptr && limits_.cancelled->load(std::memory_order_relaxed);
  }
  void Fail(const Group& group, const absl::Status& status, bool fallback_eligible);
  void Halt(const Group& group, Stop why) {
    Fail(group, why == Stop::kDeadline ? JobDeadlineExceededError() : CancelledStatus(), false);
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
  const Exchange<Result>& exchange_;
  const RunLimits limits_;
  Clock* const clock_;
  const int max_attempts_;
  std::vector<Item> items_;
};

template <typename Result>
std::vector<absl::StatusOr<Result>> Run<Result>::Execute() {
  std::vector<int> all(items_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);

  const LlmEndpoint* first = &options_.primary;
  const LlmEndpoint* second = options_.fallback ? &*options_.fallback : nullptr;
  if (!limits_.model.empty() && limits_.model != options_.primary.model) {
    if (second != nullptr && limits_.model == second->model) {
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

  std::vector<absl::StatusOr<Result>> out;
  out.reserve(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) {
    Item& item = items_[i];
    if (!item.result) {
      out.emplace_back(std::move(item.failure));
      continue;
    }
    exchange_.Finish(static_cast<int>(i), &*item.result);
    out.emplace_back(std::move(*item.result));
  }
  return out;
}

template <typename Result>
void Run<Result>::RunEndpoint(const LlmEndpoint& endpoint, std::vector<int> indices) {
  std::deque<Group> queue;
  queue.push_back(Group{std::move(indices), 0});
  while (!queue.empty()) {
    Group group = std::move(queue.front());
    queue.pop_front();
    RunGroup(endpoint, std::move(group), queue);
  }
}

template <typename Result>
void Run<Result>::RunGroup(const LlmEndpoint& endpoint, Group group, std::deque<Group>& queue) {
  const int count = static_cast<int>(group.indices.size());
  LlmRequest llm_request;
  llm_request.model = endpoint.model;
  exchange_.Build(group.indices, &llm_request);
  const int64_t tokens =
      static_cast<int64_t>(llm_request.system_prompt.size() + llm_request.user_message.size()) / 4 +
      exchange_.CompletionTokens(count);

  while (true) {
    if (Cancelled()) return Halt(group, Stop::kCancelled);
    if (Stop stop = WaitForSend(endpoint, tokens); stop != Stop::kNone) return Halt(group, stop);
    const absl::Duration left = limits_.deadline - clock_->Now();
    if (left <= absl::ZeroDuration()) return Halt(group, Stop::kDeadline);
    llm_request.timeout = std::min(options_.attempt_timeout, left);
    llm_request.cancelled = limits_.cancelled;

    const absl::Time sent = absl::Now();
    LlmResponse response = endpoint.client->Complete(llm_request);
    const absl::Duration took = absl::Now() - sent;
    const bool cancelled_meanwhile = Cancelled();
    ++group.attempts;
    AttemptOutcome outcome = std::move(response.outcome);
    // Abandoned, or answered too late to matter: the job ended or the work is handed back.
    if (cancelled_meanwhile) {
      RecordLlmAttempt(endpoint.metrics, outcome, false, true, took);
      return Halt(group, Stop::kCancelled);
    }

    if (outcome.kind == AttemptOutcome::Kind::kSuccess) {
      typename Exchange<Result>::Reading parsed = exchange_.Read(response.content, group.indices);
      if (parsed.usable) {
        RecordLlmAttempt(endpoint.metrics, outcome, true, cancelled_meanwhile, took);
        if (endpoint.budget != nullptr) endpoint.budget->OnSuccess();
        for (auto& [position, result] : parsed.results) {
          items_[group.indices[position]].result = std::move(result);
        }
        int exhausted = 0;
        for (int position : parsed.missing) {
          const int index = group.indices[position];
          if (group.attempts < max_attempts_) {
            queue.push_back(Group{{index}, group.attempts});
          } else {
            Fail(Group{{index}, group.attempts}, FailureStatus(AttemptOutcome::BadAnswer()), true);
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
      outcome.detail = std::move(parsed.defect);
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
    spdlog::debug("LLM {} ({}): attempt {} for {} citation(s) failed: {} {} {} {}", endpoint.label,
                  endpoint.model, group.attempts, count, KindName(outcome.kind),
                  outcome.http_status, outcome.error_code, outcome.detail);

    // A timeout the deadline cut short is the deadline's doing.
    if (outcome.kind == AttemptOutcome::Kind::kTimeout && now >= limits_.deadline) {
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

template <typename Result>
typename Run<Result>::Stop Run<Result>::WaitForSend(const LlmEndpoint& endpoint, int64_t tokens) {
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

template <typename Result>
typename Run<Result>::Stop Run<Result>::Wait(absl::Duration delay) {
  if (Cancelled()) return Stop::kCancelled;
  if (delay <= absl::ZeroDuration()) return Stop::kNone;
  const absl::Time end = clock_->Now() + delay;
  if (end >= limits_.deadline) return Stop::kDeadline;  // no attempt could follow the wait
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

template <typename Result>
void Run<Result>::Fail(const Group& group, const absl::Status& status, bool fallback_eligible) {
  for (int index : group.indices) {
    if (items_[index].result) continue;
    items_[index].failure = status;
    items_[index].fallback_eligible = fallback_eligible;
  }
}

}  // namespace

LlmChecker::LlmChecker(LlmCheckerOptions options) : options_(std::move(options)) {
  if (options_.sleep_step <= absl::ZeroDuration()) options_.sleep_step = absl::Milliseconds(50);
}

std::vector<absl::StatusOr<v1::CitationResult>> LlmChecker::Check(const CheckRequest& request) {
  CitationExchange exchange(request, options_);
  return Run<v1::CitationResult>(options_, exchange,
                                 RunLimits{request.model, request.deadline, request.cancelled})
      .Execute();
}

std::vector<absl::StatusOr<v1::InlineCitation>> LlmChecker::MatchInline(
    const InlineCheckRequest& request) {
  InlineExchange exchange(request, options_);
  return Run<v1::InlineCitation>(options_, exchange,
                                 RunLimits{request.model, request.deadline, request.cancelled})
      .Execute();
}

std::string LlmChecker::ModelName() const { return options_.primary.model; }

bool LlmChecker::SupportsModel(const std::string& model) const {
  return model.empty() || model == options_.primary.model ||
         (options_.fallback && model == options_.fallback->model);
}

}  // namespace citecheck
