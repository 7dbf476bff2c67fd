#include "server/checking/llm_checker_setup.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(FallbackApiKeyTest, AnExplicitFallbackKeyWins) {
  EXPECT_EQ(FallbackApiKey("https://api.openai.com/v1", "https://api.openai.com/v1", "primary",
                           std::string("own")),
            "own");
  EXPECT_EQ(
      FallbackApiKey("https://a.example/v1", "https://b.example/v1", "primary", std::string("")),
      "");  // named but empty: no key, never the primary's
}

TEST(FallbackApiKeyTest, ThePrimaryKeyGoesOnlyToThePrimarysHost) {
  EXPECT_EQ(FallbackApiKey("https://api.openai.com/v1", "https://API.openai.com/v2", "primary",
                           std::nullopt),
            "primary");
  EXPECT_EQ(FallbackApiKey("https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "primary",
                           std::nullopt),
            "");
}

TEST(BuildLlmCheckerTest, RefusesUnusableSettingsNamingTheFlag) {
  LlmSetup setup;
  setup.base_url = "http://127.0.0.1:9/v1";
  setup.api = "completions";
  auto bad_api = BuildLlmChecker(setup);
  ASSERT_FALSE(bad_api.ok());
  EXPECT_EQ(bad_api.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_api.status().message().find("--llm_api"), absl::string_view::npos);

  setup.api = "chat";
  setup.max_attempts = 0;
  EXPECT_EQ(BuildLlmChecker(setup).status().code(), absl::StatusCode::kInvalidArgument);

  setup.max_attempts = 3;
  setup.base_url = "ftp://example.com/v1";
  auto bad_url = BuildLlmChecker(setup);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.status().message().find("--llm_base_url"), absl::string_view::npos);
}

TEST(BuildLlmCheckerTest, OffersThePrimaryAndTheFallbackModel) {
  LlmSetup setup;
  setup.base_url = "http://127.0.0.1:9/v1";
  setup.model = "primary-model";
  setup.fallback_model = "fallback-model";
  auto checker = BuildLlmChecker(setup);
  ASSERT_TRUE(checker.ok()) << checker.status();
  EXPECT_EQ((*checker)->ModelName(), "primary-model");
  EXPECT_TRUE((*checker)->SupportsModel(""));
  EXPECT_TRUE((*checker)->SupportsModel("fallback-model"));
  EXPECT_FALSE((*checker)->SupportsModel("other-model"));
}

}  // namespace
}  // namespace citecheck
