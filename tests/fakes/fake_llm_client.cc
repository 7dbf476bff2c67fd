#include "tests/fakes/fake_llm_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/checking/prompts.h"

namespace citecheck {

void FakeLlmClient::Start(LlmRequest request, LlmDone done) {
  if (!event_loop_) return LlmClient::Start(std::move(request), std::move(done));
  call_threads_.Run([this, request = std::move(request), done = std::move(done)]() mutable {
    std::move(done)(Complete(request));
  });
}

LlmResponse FakeLlmClient::Complete(const LlmRequest& request) {
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    hook = on_call_;
  }
  if (hook) hook();
  absl::MutexLock lock(&mu_);
  ++running_;
  const auto cancelled = [&request] {
    return request.cancelled != nullptr && request.cancelled->load();
  };
  auto may_go = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !held_; };
  while (!may_go() && !cancelled()) {
    mu_.AwaitWithTimeout(absl::Condition(&may_go), absl::Milliseconds(5));
  }
  const bool abandoned = held_;  // still held: the request was cancelled
  --running_;
  if (abandoned) return fake_llm::Failed(AttemptOutcome::ConnectionError());
  if (!script_.empty()) {
    LlmResponse response = std::move(script_.front());
    script_.pop_front();
    return response;
  }
  if (absl::StartsWith(request.user_message, "REFERENCES:")) {
    return fake_llm::Ok(fake_llm::MatchEveryInlineId(request.user_message));
  }
  std::vector<int> numbers;
  const int count = static_cast<int>(
      std::vector<absl::string_view>(absl::StrSplit(request.user_message, "\n\n")).size());
  for (int n = 1; n <= count; ++n) numbers.push_back(n);
  return fake_llm::Ok(fake_llm::Answer(numbers));
}

void FakeLlmClient::Push(LlmResponse response) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(response));
}

void FakeLlmClient::PushTimes(int times, const LlmResponse& response) {
  for (int i = 0; i < times; ++i) Push(response);
}

void FakeLlmClient::OnCall(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  on_call_ = std::move(hook);
}

std::vector<LlmRequest> FakeLlmClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int FakeLlmClient::calls() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(requests_.size());
}

void FakeLlmClient::Hold() {
  absl::MutexLock lock(&mu_);
  held_ = true;
}

void FakeLlmClient::Release() {
  absl::MutexLock lock(&mu_);
  held_ = false;
}

int FakeLlmClient::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

namespace fake_llm {

std::string Block(int number, absl::string_view original, bool valid) {
  std::string block = absl::StrCat("CITATION #", number, "\nORIGINAL:\n", original,
                                   "\nSOURCE TYPE: book\nVALIDATION RESULTS:\n");
  if (valid) {
    absl::StrAppend(&block, SuccessLine(v1::STYLE_APA7), "\n");
  } else {
    absl::StrAppend(&block, "❌ Year: Missing\n   Should be: (2020)\n");
  }
  absl::StrAppend(&block, "CORRECTED CITATION:\n", valid ? original : "Fixed.", "\n\n");
  return block;
}

std::string Answer(std::vector<int> numbers) {
  std::string answer = "Here are the results.\n\n";
  for (int n : numbers) absl::StrAppend(&answer, Block(n, absl::StrCat("Work ", n, ".")));
  return answer;
}

std::string MatchEveryInlineId(const std::string& user_message) {
  std::vector<std::string> entries;
  const size_t start = user_message.find("IN-TEXT CITATIONS:");
  for (absl::string_view line : absl::StrSplit(user_message.substr(start), '\n')) {
    const size_t colon = line.find(':');
    if (line.empty() || line[0] != 'c' || colon == absl::string_view::npos) continue;
    entries.push_back(absl::StrCat("{\"id\": \"", line.substr(0, colon),
                                   "\", \"match\": \"matched\", \"references\": [1]}"));
  }
  return absl::StrCat("{\"results\": [", absl::StrJoin(entries, ", "), "]}");
}

LlmResponse Ok(std::string content) {
  LlmResponse response;
  response.outcome = AttemptOutcome::Success();
  response.content = std::move(content);
  return response;
}

LlmResponse Failed(AttemptOutcome outcome) {
  LlmResponse response;
  response.outcome = std::move(outcome);
  return response;
}

}  // namespace fake_llm
}  // namespace citecheck
