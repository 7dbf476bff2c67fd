// Fuzzes how an LLM endpoint's HTTP response is read (http_llm_client.h AddHeaderLine,
// InterpretHttpResponse) and what the retry policy makes of it (retry_policy.h: status,
// x-should-retry, retry-after-ms and retry-after as seconds or an HTTP date, error.code).
//
// The input is a raw response: header lines up to the first blank line (a line starting with
// "HTTP/" is a status line: the number after its first space is the status, as curl reports
// it; interim responses may come first), then the body. It is read for the chat API, for the
// responses API, and as a body over the size limit.
//
// Properties:
//   - header names are lower case, non-empty and trimmed; values are trimmed;
//   - the outcome fits the status: kHttpStatus outside 2xx, else kSuccess with non-empty
//     content or kBadAnswer; the outcome keeps the status and the headers;
//   - the assistant's text is valid UTF-8, whatever the body;
//   - the detail for logs never holds the API key or six consecutive characters of it, is cut
//     short, and is valid UTF-8 when the body is;
//   - token counts are not negative;
//   - the retry decision is sane: a server delay is not negative; a retry waits at most the
//     longer of the backoff cap and the server-delay cap; the failure status is OK exactly for
//     a success and otherwise carries a reason.

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/common/errors.h"
#include "server/llm/http_llm_client.h"
#include "server/llm/retry_policy.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

constexpr absl::string_view kApiKey = "sk-fuzz-key-0123456789";
// SafeDetail's cut (300 bytes) plus "...".
constexpr size_t kMaxDetailBytes = 303;

// The raw response split into its status, header lines and body.
struct RawResponse {
  int status = 0;
  std::vector<absl::string_view> header_lines;
  absl::string_view body;
};

RawResponse Split(absl::string_view input) {
  RawResponse raw;
  size_t head_end = input.find("\n\n");
  size_t body_start = head_end == absl::string_view::npos ? input.size() : head_end + 2;
  if (const size_t crlf = input.find("\r\n\r\n"); crlf < head_end) {
    head_end = crlf;
    body_start = crlf + 4;
  }
  raw.body = input.substr(std::min(body_start, input.size()));
  for (absl::string_view line : absl::StrSplit(input.substr(0, head_end), '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    raw.header_lines.push_back(line);
    if (!absl::StartsWith(line, "HTTP/")) continue;
    const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
    int status = 0;
    raw.status = words.size() >= 2 && words[1].size() <= 3 && absl::SimpleAtoi(words[1], &status)
                     ? status
                     : 0;
  }
  return raw;
}

void CheckHeaders(const HttpHeaders& headers, absl::string_view input) {
  for (const auto& [name, value] : headers) {
    FUZZ_CHECK(!name.empty() && absl::AsciiStrToLower(name) == name &&
                   absl::StripAsciiWhitespace(name) == name,
               Printable(input));
    FUZZ_CHECK(absl::StripAsciiWhitespace(value) == value, Printable(input));
  }
}

void CheckDetail(absl::string_view detail, bool body_utf8, absl::string_view input) {
  const std::string where = absl::StrCat(Printable(detail), " from ", Printable(input));
  FUZZ_CHECK(detail.size() <= kMaxDetailBytes, where);
  FUZZ_CHECK(!body_utf8 || IsValidUtf8(detail), where);
  for (size_t k = 0; k + 6 <= kApiKey.size(); ++k) {
    FUZZ_CHECK(!absl::StrContains(detail, kApiKey.substr(k, 6)), where);
  }
}

void CheckRetry(const AttemptOutcome& outcome, absl::string_view input) {
  const RetryOptions options;
  const absl::Time now = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  const RetryDecision decision =
      DecideRetry(outcome, /*attempt=*/1, options, now, [] { return 0.5; });
  if (decision.server_delay) {
    FUZZ_CHECK(*decision.server_delay >= absl::ZeroDuration(), Printable(input));
  }
  if (decision.retry) {
    FUZZ_CHECK(decision.delay >= absl::ZeroDuration() &&
                   decision.delay <= std::max(options.max_backoff, options.max_server_delay),
               Printable(input));
  } else {
    FUZZ_CHECK(decision.delay == absl::ZeroDuration(), Printable(input));
  }
  const bool success = outcome.kind == AttemptOutcome::Kind::kSuccess;
  FUZZ_CHECK(decision.failure.ok() == success, Printable(input));
  FUZZ_CHECK(success || !ErrorReason(decision.failure).empty(), Printable(input));
  FUZZ_CHECK(!decision.pause_endpoint_until ||
                 (outcome.kind == AttemptOutcome::Kind::kHttpStatus && outcome.http_status == 429),
             Printable(input));
}

void CheckInterpretation(const RawResponse& raw, LlmApi api, bool too_large,
                         absl::string_view input) {
  HttpResponse http;
  http.status = raw.status;
  for (absl::string_view line : raw.header_lines) {
    AddHeaderLine(absl::StrCat(line, "\r\n"), &http.headers);
  }
  CheckHeaders(http.headers, input);
  const HttpHeaders headers = http.headers;
  http.body = std::string(raw.body);
  http.body_too_large = too_large;
  const LlmResponse response = InterpretHttpResponse(std::move(http), api, kApiKey);
  const AttemptOutcome& outcome = response.outcome;

  const bool is_2xx = raw.status >= 200 && raw.status < 300;
  FUZZ_CHECK(outcome.http_status == raw.status, Printable(input));
  FUZZ_CHECK(outcome.headers == headers, Printable(input));
  switch (outcome.kind) {
    case AttemptOutcome::Kind::kHttpStatus:
      FUZZ_CHECK(!is_2xx && response.content.empty(), Printable(input));
      break;
    case AttemptOutcome::Kind::kSuccess:
      FUZZ_CHECK(is_2xx && !too_large && !response.content.empty(), Printable(input));
      break;
    case AttemptOutcome::Kind::kBadAnswer:
      FUZZ_CHECK(is_2xx && response.content.empty() && outcome.error_code.empty(),
                 Printable(input));
      break;
    default:
      FUZZ_CHECK(false, "a transport outcome from a response: " + Printable(input));
  }
  FUZZ_CHECK(IsValidUtf8(response.content), Printable(input));
  FUZZ_CHECK(response.prompt_tokens >= 0 && response.completion_tokens >= 0, Printable(input));
  CheckDetail(outcome.detail, IsValidUtf8(raw.body), input);
  CheckRetry(outcome, input);
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view input = AsText(data, size);
  const RawResponse raw = Split(input);
  CheckInterpretation(raw, LlmApi::kChat, /*too_large=*/false, input);
  CheckInterpretation(raw, LlmApi::kResponses, /*too_large=*/false, input);
  CheckInterpretation(raw, LlmApi::kChat, /*too_large=*/true, input);
  return 0;
}
