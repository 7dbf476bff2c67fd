#include "server/checking/llm_checker_setup.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/checking/llm_checker.h"
#include "server/common/service_metrics.h"
#include "server/llm/endpoint_pause.h"
#include "server/llm/http_llm_client.h"
#include "server/llm/rate_limiter.h"
#include "server/llm/retry_budget.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

// Everything an LlmChecker points to, owned with it.
struct LlmParts {
  std::unique_ptr<HttpLlmClient> client;
  std::unique_ptr<RetryBudget> budget;
  std::unique_ptr<EndpointPause> pause;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<HttpLlmClient> fallback_client;
  std::unique_ptr<RetryBudget> fallback_budget;
  std::unique_ptr<EndpointPause> fallback_pause;
  std::unique_ptr<RateLimiter> fallback_limiter;
};

// The value of the environment variable `name` ("" when unset or when `name` is empty).
std::string KeyFromEnvironment(const std::string& name) {
  if (name.empty()) return "";
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? "" : value;
}

// An LlmChecker together with what it points to. Members in this order so that the checker
// goes before its parts.
class OwningLlmChecker final : public Checker {
 public:
  OwningLlmChecker(std::unique_ptr<LlmParts> parts, LlmCheckerOptions options)
      : parts_(std::move(parts)), checker_(std::move(options)) {}
  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override {
    return checker_.Check(request);
  }
  std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) override {
    return checker_.MatchInline(request);
  }
  std::string ModelName() const override { return checker_.ModelName(); }
  bool SupportsModel(const std::string& model) const override {
    return checker_.SupportsModel(model);
  }

 private:
  const std::unique_ptr<LlmParts> parts_;
  LlmChecker checker_;
};

}  // namespace

std::string FallbackApiKey(absl::string_view primary_url, absl::string_view fallback_url,
                           const std::string& primary_key,
                           const std::optional<std::string>& fallback_key) {
  if (fallback_key.has_value()) return *fallback_key;
  if (absl::AsciiStrToLower(UrlHostForLog(std::string(primary_url))) ==
      absl::AsciiStrToLower(UrlHostForLog(std::string(fallback_url)))) {
    return primary_key;  // same host: same provider account
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Checker>> BuildLlmChecker(const LlmSetup& setup) {
  absl::StatusOr<LlmApi> api = ParseLlmApi(setup.api);
  if (!api.ok())
    return absl::InvalidArgumentError(absl::StrCat("--llm_api: ", api.status().message()));
  const std::string& model = setup.model;
  const int max_attempts = setup.max_attempts;
  const absl::Duration attempt_timeout = setup.attempt_timeout;
  const int budget_tokens = setup.retry_budget_tokens;
  const double budget_ratio = setup.retry_budget_ratio;
  RateLimitOptions limits;
  limits.requests_per_minute = setup.rpm;
  limits.tokens_per_minute = setup.tpm;
  if (model.empty() || max_attempts < 1 || attempt_timeout <= absl::ZeroDuration() ||
      budget_tokens < 0 || !(budget_ratio >= 0) || limits.requests_per_minute < 0 ||
      limits.tokens_per_minute < 0) {
    return absl::InvalidArgumentError(
        "--llm_model must not be empty, --llm_max_attempts and --llm_attempt_timeout must be "
        "positive, --llm_retry_budget_*, --llm_rpm and --llm_tpm not negative");
  }
  auto parts_owner = std::make_unique<LlmParts>();
  LlmParts& parts = *parts_owner;

  const std::string& base_url = setup.base_url;
  const std::string& key_env = setup.api_key_env;
  const std::string key = KeyFromEnvironment(key_env);
  HttpLlmClientOptions client_options;
  client_options.base_url = base_url;
  client_options.api = *api;
  client_options.api_key = key;
  absl::StatusOr<std::unique_ptr<HttpLlmClient>> client = HttpLlmClient::Create(client_options);
  if (!client.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--llm_base_url: ", client.status().message()));
  }
  parts.client = std::move(*client);
  parts.budget = std::make_unique<RetryBudget>(budget_tokens, budget_ratio);
  parts.pause = std::make_unique<EndpointPause>();
  parts.limiter = std::make_unique<RateLimiter>(limits);

  LlmCheckerOptions options;
  options.primary.client = parts.client.get();
  options.primary.model = model;
  options.primary.budget = parts.budget.get();
  options.primary.pause = parts.pause.get();
  options.primary.rate_limiter = parts.limiter.get();
  options.primary.label = UrlHostForLog(base_url);
  options.primary.metrics = &ServiceMetrics::Get().llm(LlmEndpointRole::kPrimary);
  parts.budget->ExportTo(options.primary.metrics->retry_budget_tokens);
  options.retry.max_attempts = max_attempts;
  options.attempt_timeout = attempt_timeout;
  spdlog::info(
      "checker: LLM model {} at {} ({} API, {} attempts, {} per attempt); API key from "
      "${}: {}",
      model, options.primary.label, std::string(LlmApiName(*api)), max_attempts,
      absl::FormatDuration(attempt_timeout), key_env.empty() ? "(none)" : key_env,
      key.empty() ? "not set, no Authorization header" : "set");

  const std::string& fallback_url = setup.fallback_base_url;
  std::string fallback_model = setup.fallback_model;
  if (fallback_url.empty() && !fallback_model.empty() && fallback_model != model) {
    // Another model on the primary's endpoint: same client and endpoint state.
    options.fallback = options.primary;
    options.fallback->model = fallback_model;
    options.fallback->metrics = &ServiceMetrics::Get().llm(LlmEndpointRole::kFallback);
    parts.budget->ExportTo(options.fallback->metrics->retry_budget_tokens);  // shared budget
    spdlog::info("fallback: model {} at {}", fallback_model, options.fallback->label);
  } else if (!fallback_url.empty()) {
    if (fallback_model.empty()) fallback_model = model;
    const std::string fallback_host = UrlHostForLog(fallback_url);
    const std::string& fallback_key_env = setup.fallback_api_key_env;
    const std::string fallback_key =
        FallbackApiKey(base_url, fallback_url, key,
                       fallback_key_env.empty()
                           ? std::nullopt
                           : std::optional<std::string>(KeyFromEnvironment(fallback_key_env)));
    const std::string key_source = !fallback_key_env.empty() ? absl::StrCat("$", fallback_key_env)
                                   : !fallback_key.empty()
                                       ? "the primary's key (same host)"
                                       : "none (other host; set --llm_fallback_api_key_env)";
    HttpLlmClientOptions fallback_options = client_options;
    fallback_options.base_url = fallback_url;
    fallback_options.api_key = fallback_key;
    absl::StatusOr<std::unique_ptr<HttpLlmClient>> fallback_client =
        HttpLlmClient::Create(fallback_options);
    if (!fallback_client.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--llm_fallback_base_url: ", fallback_client.status().message()));
    }
    parts.fallback_client = std::move(*fallback_client);
    parts.fallback_budget = std::make_unique<RetryBudget>(budget_tokens, budget_ratio);
    parts.fallback_pause = std::make_unique<EndpointPause>();
    parts.fallback_limiter = std::make_unique<RateLimiter>(limits);
    LlmEndpoint fallback;
    fallback.client = parts.fallback_client.get();
    fallback.model = fallback_model;
    fallback.budget = parts.fallback_budget.get();
    fallback.pause = parts.fallback_pause.get();
    fallback.rate_limiter = parts.fallback_limiter.get();
    fallback.label = fallback_host;
    fallback.metrics = &ServiceMetrics::Get().llm(LlmEndpointRole::kFallback);
    parts.fallback_budget->ExportTo(fallback.metrics->retry_budget_tokens);
    options.fallback = std::move(fallback);
    spdlog::info("fallback: model {} at {}; API key: {}{}", fallback_model, fallback_host,
                 key_source, !fallback_key_env.empty() && fallback_key.empty() ? " (not set)" : "");
  }
  return std::unique_ptr<Checker>(
      std::make_unique<OwningLlmChecker>(std::move(parts_owner), std::move(options)));
}

}  // namespace citecheck
