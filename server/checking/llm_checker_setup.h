#ifndef CITECHECK_SERVER_CHECKING_LLM_CHECKER_SETUP_H_
#define CITECHECK_SERVER_CHECKING_LLM_CHECKER_SETUP_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/checking/checker.h"

namespace citecheck {

// How to check with an LLM: the --llm_* flags as plain values (main fills it; every default here
// is the flag's default).
struct LlmSetup {
  std::string base_url;      // OpenAI-compatible base URL (required)
  std::string api = "chat";  // "chat" or "responses"
  std::string model = "gpt-4o-mini";
  std::string api_key_env = "OPENAI_API_KEY";  // NAME of the variable holding the key
  int max_attempts = 3;                        // per citation, the first included
  absl::Duration attempt_timeout = absl::Seconds(60);
  int retry_budget_tokens = 100;  // gRFC A6 throttling; 0 = off
  double retry_budget_ratio = 0.1;
  int64_t rpm = 0;                   // client-side requests per minute; 0 = off
  int64_t tpm = 0;                   // client-side (estimated) tokens per minute; 0 = off
  std::string fallback_base_url;     // "" = the primary's endpoint, if a model is set
  std::string fallback_model;        // "" = model (needs fallback_base_url then)
  std::string fallback_api_key_env;  // "" = see FallbackApiKey
};

// An LlmChecker for `setup` that owns its HTTP clients, retry budgets, endpoint pauses and rate
// limiters (one set per endpoint, shared by all of the server's calls). Keys are read from the
// environment variables `setup` names and never logged; it logs which model and host it uses.
// INVALID_ARGUMENT naming the flag when a value is unusable.
absl::StatusOr<std::unique_ptr<Checker>> BuildLlmChecker(const LlmSetup& setup);

// The key the fallback endpoint gets: the one from its own variable when one is named
// (`fallback_key` set), else the primary's key when both URLs have the same host, else none —
// so a provider's key never travels to another host unasked.
std::string FallbackApiKey(absl::string_view primary_url, absl::string_view fallback_url,
                           const std::string& primary_key,
                           const std::optional<std::string>& fallback_key);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_LLM_CHECKER_SETUP_H_
