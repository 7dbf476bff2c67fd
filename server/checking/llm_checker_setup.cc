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

// What one endpoint's requests share: its HTTP client, retry budget, pause and rate limiter.
struct EndpointParts {
  std::unique_ptr<HttpLlmClient> client;
  std::unique_ptr<RetryBudget> budget;
  std::unique_ptr<EndpointPause> pause;
  std::unique_ptr<RateLimiter> limiter;
};

// Everything an LlmChecker points to, owned with it.
struct LlmParts {
  EndpointParts primary;
  EndpointParts fallback;  // empty without a fallback endpoint of its own
};

// The limits every endpoint gets from the --llm_* flags.
struct EndpointLimits {
  int budget_tokens = 0;
  double budget_ratio = 0;
  RateLimitOptions rates;
};

// Builds the parts of the endpoint at `client_options.base_url` into `*parts` and the
// LlmEndpoint pointing to them, counted under `role`. INVALID_ARGUMENT naming `url_flag` when the
// URL is unusable.
absl::StatusOr<LlmEndpoint> BuildEndpoint(const HttpLlmClientOptions& client_options,
                                          const std::string& model, const EndpointLimits& limits,
                                          LlmEndpointRole role, absl::string_view url_flag,
                                          EndpointParts* parts) {
  absl::StatusOr<std::unique_ptr<HttpLlmClient>> client = HttpLlmClient::Create(client_options);
  if (!client.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(url_flag, ": ", client.status().message()));
  }
  parts->client = *std::move(client);
  parts->budget = std::make_unique<RetryBudget>(limits.budget_tokens, limits.budget_ratio);
  parts->pause = std::make_unique<EndpointPause>();
  parts->limiter = std::make_unique<RateLimiter>(limits.rates);
  LlmEndpoint endpoint;
  endpoint.client = parts->client.get();
  endpoint.model = model;
  endpoint.budget = parts->budget.get();
  endpoint.pause = parts->pause.get();
  endpoint.rate_limiter = parts->limiter.get();
  endpoint.label = UrlHostForLog(client_options.base_url);
  endpoint.metrics = &ServiceMetrics::Get().llm(role);
  parts->budget->ExportTo(endpoint.metrics->retry_budget_tokens);
  return endpoint;
}

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
  bool Asynchronous() const override { return checker_.Asynchronous(); }
  void StartCheck(CheckRequest request, CheckDone done) override {
    checker_.StartCheck(std::move(request), std::move(done));
  }
  void StartMatchInline(InlineCheckRequest request, MatchDone done) override {
    checker_.StartMatchInline(std::move(request), std::move(done));
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
  EndpointLimits limits;
  limits.budget_tokens = setup.retry_budget_tokens;
  limits.budget_ratio = setup.retry_budget_ratio;
  limits.rates.requests_per_minute = setup.rpm;
  limits.rates.tokens_per_minute = setup.tpm;
  if (model.empty() || setup.max_attempts < 1 || setup.attempt_timeout <= absl::ZeroDuration() ||
      limits.budget_tokens < 0 || !(limits.budget_ratio >= 0) ||
      limits.rates.requests_per_minute < 0 || limits.rates.tokens_per_minute < 0) {
    return absl::InvalidArgumentError(
        "--llm_model must not be empty, --llm_max_attempts and --llm_attempt_timeout must be "
        "positive, --llm_retry_budget_*, --llm_rpm and --llm_tpm not negative");
  }
  auto parts = std::make_unique<LlmParts>();

  const std::string& base_url = setup.base_url;
  const std::string& key_env = setup.api_key_env;
  const std::string key = KeyFromEnvironment(key_env);
  HttpLlmClientOptions client_options;
  client_options.base_url = base_url;
  client_options.api = *api;
  client_options.api_key = key;
  LlmCheckerOptions options;
  absl::StatusOr<LlmEndpoint> primary = BuildEndpoint(
      client_options, model, limits, LlmEndpointRole::kPrimary, "--llm_base_url", &parts->primary);
  if (!primary.ok()) return primary.status();
  options.primary = *std::move(primary);
  options.retry.max_attempts = setup.max_attempts;
  options.attempt_timeout = setup.attempt_timeout;
  spdlog::info(
      "checker: LLM model {} at {} ({} API, {} attempts, {} per attempt); API key from "
      "${}: {}",
      model, options.primary.label, std::string(LlmApiName(*api)), setup.max_attempts,
      absl::FormatDuration(setup.attempt_timeout), key_env.empty() ? "(none)" : key_env,
      key.empty() ? "not set, no Authorization header" : "set");

  const std::string& fallback_url = setup.fallback_base_url;
  std::string fallback_model = setup.fallback_model;
  if (fallback_url.empty() && !fallback_model.empty() && fallback_model != model) {
    // Another model on the primary's endpoint: same client and endpoint state.
    options.fallback = options.primary;
    options.fallback->model = fallback_model;
    options.fallback->metrics = &ServiceMetrics::Get().llm(LlmEndpointRole::kFallback);
    parts->primary.budget->ExportTo(options.fallback->metrics->retry_budget_tokens);  // shared
    spdlog::info("fallback: model {} at {}", fallback_model, options.fallback->label);
  } else if (!fallback_url.empty()) {
    if (fallback_model.empty()) fallback_model = model;
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
    absl::StatusOr<LlmEndpoint> fallback =
        BuildEndpoint(fallback_options, fallback_model, limits, LlmEndpointRole::kFallback,
                      "--llm_fallback_base_url", &parts->fallback);
    if (!fallback.ok()) return fallback.status();
    options.fallback = *std::move(fallback);
    spdlog::info("fallback: model {} at {}; API key: {}{}", fallback_model, options.fallback->label,
                 key_source, !fallback_key_env.empty() && fallback_key.empty() ? " (not set)" : "");
  }
  return std::unique_ptr<Checker>(
      std::make_unique<OwningLlmChecker>(std::move(parts), std::move(options)));
}

}  // namespace citecheck
