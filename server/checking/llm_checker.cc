#include "server/checking/llm_checker.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/checking/inline_answer_parser.h"
#include "server/checking/inline_prompts.h"
#include "server/checking/llm_answer_parser.h"
#include "server/checking/prompts.h"
#include "server/common/await_callback.h"
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
  CitationExchange(CheckRequest request, const LlmCheckerOptions& options)
      : request_(std::move(request)), options_(options) {}

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
  const CheckRequest request_;
  const LlmCheckerOptions& options_;
};

// In-text citations of a document: inline_prompts.h and inline_answer_parser.h.
class InlineExchange final : public Exchange<v1::InlineCitation> {
 public:
  InlineExchange(InlineCheckRequest request, const LlmCheckerOptions& options)
      : request_(std::move(request)), options_(options) {}

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
  const InlineCheckRequest request_;
  const LlmCheckerOptions& options_;
};

// What bounds a run: the model asked for, the job's deadline and cancel flag.
struct RunLimits {
  std::string model;
  absl::Time deadline;
  const std::atomic<bool>* cancelled;
};

// The state of one Check() or MatchInline() call, driven by continuations: each step either
// goes on to the next or starts an attempt (LlmClient::Start) or a wait (the checker's timer,
// or options.sleep when set) whose completion resumes it. One step runs at a time, on whatever
// thread completed the previous one. Owned by the shared_ptrs its pending completions hold;
// `done` gets the results when the last citation is resolved.
//
// A client or sleeper that completes at once resumes the run on the same stack, so the depth
// grows with the attempts and groups of one call (bounded: max_attempts per citation).
template <typename Result>
class Run : public std::enable_shared_from_this<Run<Result>> {
 public:
  using Done = absl::AnyInvocable<void(std::vector<absl::StatusOr<Result>>) &&>;

  Run(const LlmCheckerOptions& options, TimerThread& timer,
      std::unique_ptr<Exchange<Result>> exchange, RunLimits limits, Done done)
      : options_(options),
        timer_(timer),
        exchange_(std::move(exchange)),
        limits_(std::move(limits)),
        done_(std::move(done)),
        clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
        max_attempts_(std::max(options.retry.max_attempts, 1)),
        items_(exchange_->size()) {}

  // Starts the run (the first attempt, or the results at once when there is nothing to ask).
  void Begin();

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

  // Asks `endpoint` about the citations `indices` until each has a result or a failure, then
  // goes on with EndpointDone().
  void StartEndpoint(const LlmEndpoint* endpoint, std::vector<int> indices);
  // Takes the next group of the queue (citations missing from an answer are queued as groups
  // of one), or ends the endpoint's turn.
  void NextGroup();
  // One attempt for the current group: the waits before sending (pause, rate limiter, pause
  // again), then Send().
  void Attempt();
  void AfterPause();
  void AfterRateLimit();
  void Send();
  void OnResponse(LlmResponse response, absl::Duration took);
  // The fallback, or Finish().
  void EndpointDone();
  void Finish();

  // Waits `delay`, then runs `next`; stops early (Halt, next group) on a cancel, and at once
  // when the wait would end at or after the deadline.
  void Wait(absl::Duration delay, void (Run::*next)());
  void WaitStep(absl::Time end, absl::Duration delay, absl::Duration slept, void (Run::*next)());
  bool Cancelled() const {
    return limits_.cancelled != nullptr && limits_.cancelled->load(std::memory_order_relaxed);
  }
  void Fail(const Group& group, const absl::Status& status, bool fallback_eligible);
  // Ends the current group with a cancel or deadline failure and goes on with the next.
  void Halt(Stop why) {
    Fail(group_, why == Stop::kDeadline ? JobDeadlineExceededError() : CancelledStatus(), false);
    NextGroup();
  }
  double Uniform01() const {
    return options_.uniform01 ? options_.uniform01() : DefaultUniform01();
  }

  const LlmCheckerOptions& options_;
  TimerThread& timer_;
  const std::unique_ptr<Exchange<Result>> exchange_;
  const RunLimits limits_;
  Done done_;
  Clock* const clock_;
  const int max_attempts_;
  std::vector<Item> items_;

  const LlmEndpoint* endpoint_ = nullptr;  // being asked
  const LlmEndpoint* fallback_ = nullptr;  // asked after `endpoint_`, if any
  std::deque<Group> queue_;
  Group group_;  // being attempted
  LlmRequest request_;
  int64_t tokens_ = 0;
  absl::Time sent_;
};

template <typename Result>
void Run<Result>::Begin() {
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
    return Finish();
  }
  if (all.empty()) return Finish();
  fallback_ = second;
  StartEndpoint(first, std::move(all));
}

template <typename Result>
void Run<Result>::StartEndpoint(const LlmEndpoint* endpoint, std::vector<int> indices) {
  endpoint_ = endpoint;
  queue_.clear();
  queue_.push_back(Group{std::move(indices), 0});
  NextGroup();
}

template <typename Result>
void Run<Result>::NextGroup() {
  if (queue_.empty()) return EndpointDone();
  group_ = std::move(queue_.front());
  queue_.pop_front();
  const int count = static_cast<int>(group_.indices.size());
  request_ = LlmRequest();
  request_.model = endpoint_->model;
  exchange_->Build(group_.indices, &request_);
  tokens_ = static_cast<int64_t>(request_.system_prompt.size() + request_.user_message.size()) / 4 +
            exchange_->CompletionTokens(count);
  Attempt();
}

template <typename Result>
void Run<Result>::Attempt() {
  if (Cancelled()) return Halt(Stop::kCancelled);
  if (endpoint_->pause != nullptr) {
    return Wait(endpoint_->pause->WaitDuration(clock_->Now()), &Run::AfterPause);
  }
  AfterPause();
}

template <typename Result>
void Run<Result>::AfterPause() {
  if (endpoint_->rate_limiter != nullptr) {
    return Wait(endpoint_->rate_limiter->Reserve(tokens_, clock_->Now()), &Run::AfterRateLimit);
  }
  Send();
}

template <typename Result>
void Run<Result>::AfterRateLimit() {
  // Another request may have paused the endpoint meanwhile.
  if (endpoint_->pause != nullptr) {
    return Wait(endpoint_->pause->WaitDuration(clock_->Now()), &Run::Send);
  }
  Send();
}

template <typename Result>
void Run<Result>::Send() {
  const absl::Duration left = limits_.deadline - clock_->Now();
  if (left <= absl::ZeroDuration()) return Halt(Stop::kDeadline);
  request_.timeout = std::min(options_.attempt_timeout, left);
  request_.cancelled = limits_.cancelled;
  sent_ = absl::Now();
  endpoint_->client->Start(request_, [self = this->shared_from_this()](LlmResponse response) {
    self->OnResponse(std::move(response), absl::Now() - self->sent_);
  });
}

template <typename Result>
void Run<Result>::OnResponse(LlmResponse response, absl::Duration took) {
  const LlmEndpoint& endpoint = *endpoint_;
  const int count = static_cast<int>(group_.indices.size());
  const bool cancelled_meanwhile = Cancelled();
  ++group_.attempts;
  AttemptOutcome outcome = std::move(response.outcome);
  // Abandoned, or answered too late to matter: the job ended or the work is handed back.
  if (cancelled_meanwhile) {
    RecordLlmAttempt(endpoint.metrics, outcome, false, true, took);
    return Halt(Stop::kCancelled);
  }

  if (outcome.kind == AttemptOutcome::Kind::kSuccess) {
    typename Exchange<Result>::Reading parsed = exchange_->Read(response.content, group_.indices);
    if (parsed.usable) {
      RecordLlmAttempt(endpoint.metrics, outcome, true, cancelled_meanwhile, took);
      if (endpoint.budget != nullptr) endpoint.budget->OnSuccess();
      for (auto& [position, result] : parsed.results) {
        items_[group_.indices[position]].result = std::move(result);
      }
      int exhausted = 0;
      for (int position : parsed.missing) {
        const int index = group_.indices[position];
        if (group_.attempts < max_attempts_) {
          queue_.push_back(Group{{index}, group_.attempts});
        } else {
          Fail(Group{{index}, group_.attempts}, FailureStatus(AttemptOutcome::BadAnswer()), true);
          ++exhausted;
        }
      }
      if (!parsed.missing.empty()) {
        spdlog::debug("LLM {} ({}): the answer lacked {} of {} citation(s); {} asked again",
                      endpoint.label, endpoint.model, parsed.missing.size(), count,
                      parsed.missing.size() - exhausted);
      }
      return NextGroup();
    }
    const int status = outcome.http_status;
    outcome = AttemptOutcome::BadAnswer();
    outcome.http_status = status;
    outcome.detail = std::move(parsed.defect);
  }

  RecordLlmAttempt(endpoint.metrics, outcome, false, cancelled_meanwhile, took);
  const absl::Time now = clock_->Now();
  RetryDecision decision =
      DecideRetry(outcome, group_.attempts, options_.retry, now, [this] { return Uniform01(); });
  if (decision.pause_endpoint_until && endpoint.pause != nullptr) {
    endpoint.pause->PauseUntil(*decision.pause_endpoint_until);
  }
  const bool retryable = IsRetryable(outcome);
  if (retryable && endpoint.budget != nullptr) endpoint.budget->OnFailure();
  spdlog::debug("LLM {} ({}): attempt {} for {} citation(s) failed: {} {} {} {}", endpoint.label,
                endpoint.model, group_.attempts, count, KindName(outcome.kind), outcome.http_status,
                outcome.error_code, outcome.detail);

  // A timeout the deadline cut short is the deadline's doing.
  if (outcome.kind == AttemptOutcome::Kind::kTimeout && now >= limits_.deadline) {
    return Halt(Stop::kDeadline);
  }
  const bool budget_refused =
      decision.retry && endpoint.budget != nullptr && !endpoint.budget->AllowRetry();
  if (!decision.retry || budget_refused) {
    spdlog::warn("LLM {} ({}): {} citation(s) failed after {} attempt(s): {} (HTTP {}){}",
                 endpoint.label, endpoint.model, count, group_.attempts,
                 ErrorReason(decision.failure), outcome.http_status,
                 budget_refused ? "; retry budget exhausted" : "");
    Fail(group_, decision.failure, retryable);
    return NextGroup();
  }
  Wait(decision.delay, &Run::Attempt);
}

template <typename Result>
void Run<Result>::EndpointDone() {
  const LlmEndpoint* second = fallback_;
  fallback_ = nullptr;
  if (second != nullptr) {
    std::vector<int> again;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (!items_[i].result && items_[i].fallback_eligible) again.push_back(static_cast<int>(i));
    }
    if (!again.empty()) {
      spdlog::info("LLM {} ({}): {} citation(s) failed; asking the fallback {} ({})",
                   endpoint_->label, endpoint_->model, again.size(), second->label, second->model);
      return StartEndpoint(second, std::move(again));
    }
  }
  Finish();
}

template <typename Result>
void Run<Result>::Finish() {
  std::vector<absl::StatusOr<Result>> out;
  out.reserve(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) {
    Item& item = items_[i];
    if (!item.result) {
      out.emplace_back(std::move(item.failure));
      continue;
    }
    exchange_->Finish(static_cast<int>(i), &*item.result);
    out.emplace_back(std::move(*item.result));
  }
  std::move(done_)(std::move(out));
}

template <typename Result>
void Run<Result>::Wait(absl::Duration delay, void (Run::*next)()) {
  if (Cancelled()) return Halt(Stop::kCancelled);
  if (delay <= absl::ZeroDuration()) return (this->*next)();
  const absl::Time end = clock_->Now() + delay;
  if (end >= limits_.deadline) return Halt(Stop::kDeadline);  // no attempt could follow
  WaitStep(end, delay, absl::ZeroDuration(), next);
}

// One step of a wait: at most sleep_step, then a look at the cancel flag. The wait ends when
// the clock or the sum of the steps says so (a test sleeper may advance a fake clock instead
// of sleeping).
template <typename Result>
void Run<Result>::WaitStep(absl::Time end, absl::Duration delay, absl::Duration slept,
                           void (Run::*next)()) {
  const absl::Duration left = std::min(end - clock_->Now(), delay - slept);
  if (left <= absl::ZeroDuration()) return (this->*next)();
  const absl::Duration step = std::min(left, options_.sleep_step);
  auto after_step = [self = this->shared_from_this(), end, delay, slept = slept + step, next] {
    if (self->Cancelled()) return self->Halt(Stop::kCancelled);
    self->WaitStep(end, delay, slept, next);
  };
  if (options_.sleep) {
    options_.sleep(step);
    after_step();
  } else {
    timer_.After(step, std::move(after_step));
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
  return AwaitCallback<std::vector<absl::StatusOr<v1::CitationResult>>>(
      [this, &request](CheckDone done) { StartCheck(request, std::move(done)); });
}

std::vector<absl::StatusOr<v1::InlineCitation>> LlmChecker::MatchInline(
    const InlineCheckRequest& request) {
  return AwaitCallback<std::vector<absl::StatusOr<v1::InlineCitation>>>(
      [this, &request](MatchDone done) { StartMatchInline(request, std::move(done)); });
}

bool LlmChecker::Asynchronous() const {
  return !options_.sleep && options_.primary.client->HasEventLoop() &&
         (!options_.fallback || options_.fallback->client->HasEventLoop());
}

void LlmChecker::StartCheck(CheckRequest request, CheckDone done) {
  RunLimits limits{request.model, request.deadline, request.cancelled};
  std::make_shared<Run<v1::CitationResult>>(
      options_, timer_, std::make_unique<CitationExchange>(std::move(request), options_),
      std::move(limits), std::move(done))
      ->Begin();
}

void LlmChecker::StartMatchInline(InlineCheckRequest request, MatchDone done) {
  RunLimits limits{request.model, request.deadline, request.cancelled};
  std::make_shared<Run<v1::InlineCitation>>(
      options_, timer_, std::make_unique<InlineExchange>(std::move(request), options_),
      std::move(limits), std::move(done))
      ->Begin();
}

std::string LlmChecker::ModelName() const { return options_.primary.model; }

bool LlmChecker::SupportsModel(const std::string& model) const {
  return model.empty() || model == options_.primary.model ||
         (options_.fallback && model == options_.fallback->model);
}

}  // namespace citecheck
