// --log_format=json end to end: a run of the real server with secrets in play (an account
// token, the admin key, the LLM key) writes only JSON objects, one per line, with the fields of
// the design (the replica's name on every line); no secret appears anywhere in the log, and no
// citation text at info level or above.

#include <rapidjson/document.h>

#include <cstdlib>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {
namespace {

constexpr char kKeyEnv[] = "CITECHECK_TEST_LOGS_LLM_KEY";

class LogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string run = absl::StrCat(getpid(), "x", absl::ToUnixNanos(absl::Now()));
    llm_key_ = "sk-llmsecret-" + run;
    admin_key_ = "admin-secret-" + run;
    token_ = "token-secret-" + run;
    citation_marker_ = "Quokkaborough" + run;
    setenv(kKeyEnv, llm_key_.c_str(), 1);
    setenv("CITECHECK_ADMIN_KEY", admin_key_.c_str(), 1);
    fake_ = FakeOpenAi::Start();
    ASSERT_NE(fake_, nullptr);
  }
  void TearDown() override { unsetenv("CITECHECK_ADMIN_KEY"); }

  std::unique_ptr<FakeOpenAi> fake_;
  std::string llm_key_, admin_key_, token_, citation_marker_;
};

TEST_F(LogsTest, JsonLinesCarryFieldsAndNoSecrets) {
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      {"--log_format=json", "--log_level=debug", "--replica_name=logs-replica",
       "--llm_base_url=" + fake_->base_url(), absl::StrCat("--llm_api_key_env=", kKeyEnv),
       "--llm_max_attempts=3", "--metrics_listen=127.0.0.1:0"});
  ASSERT_NE(server, nullptr);

  // An admin grant, a wrong admin key, a paid job with a 429 on the way, a free job.
  client::ClientOptions admin;
  admin.admin_key = admin_key_;
  v1::Balance balance;
  ASSERT_TRUE(server->Client(admin)->GrantCredits(token_, 10, "order-1", &balance).ok());
  client::ClientOptions wrong;
  wrong.admin_key = admin_key_ + "-wrong";
  EXPECT_EQ(server->Client(wrong)->GrantCredits(token_, 10, "order-2", &balance).error_code(),
            grpc::PERMISSION_DENIED);
  fake_->Script(R"([{"status": 429, "headers": {"retry-after-ms": "20"}}])");
  std::unique_ptr<client::CitecheckClient> paid = server->Account(token_);
  v1::SubmitBatchRequest request;
  request.mutable_citations()->add_items(
      absl::StrCat(citation_marker_, ", A. (2020). A secret title. Journal, 1(2), 3-4."));
  request.mutable_citations()->add_items(
      absl::StrCat("Second", citation_marker_, ", B. (2019). Another one. Press."));
  v1::Job job;
  ASSERT_TRUE(paid->SubmitBatch(request, &job).ok());
  v1::Job last;
  ASSERT_TRUE(paid->Watch(job.job_id(), 0,
                          [&last](const v1::JobEvent& event) {
                            if (event.has_job_update()) last = event.job_update();
                            return true;
                          })
                  .ok());
  EXPECT_EQ(last.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(fake_->Stats().log.at(0).authorization, "Bearer " + llm_key_);  // the key was used
  ASSERT_EQ(server->Terminate(), 0);

  const std::string log = server->Log();
  const std::regex ts("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$");
  std::istringstream lines(log);
  std::string line;
  int count = 0;
  int rpc_lines = 0;
  bool saw_denied_reason = false;
  while (std::getline(lines, line)) {
    ++count;
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    ASSERT_FALSE(doc.HasParseError()) << "line " << count << " is not JSON: " << line;
    ASSERT_TRUE(doc.IsObject()) << line;
    ASSERT_TRUE(doc.HasMember("ts") && doc["ts"].IsString()) << line;
    EXPECT_TRUE(std::regex_match(doc["ts"].GetString(), ts)) << line;
    ASSERT_TRUE(doc.HasMember("level") && doc["level"].IsString()) << line;
    const std::string level = doc["level"].GetString();
    EXPECT_THAT(level, ::testing::AnyOf("debug", "info", "warn", "error")) << line;
    ASSERT_TRUE(doc.HasMember("msg") && doc["msg"].IsString()) << line;
    ASSERT_TRUE(doc.HasMember("replica") && doc["replica"].IsString()) << line;
    EXPECT_EQ(std::string(doc["replica"].GetString()), "logs-replica") << line;
    // Secrets: nowhere, at any level.
    EXPECT_FALSE(absl::StrContains(line, llm_key_)) << line;
    EXPECT_FALSE(absl::StrContains(line, admin_key_)) << line;
    EXPECT_FALSE(absl::StrContains(line, token_)) << line;
    // Citation text: only ever at debug level.
    if (level != "debug") {
      EXPECT_FALSE(absl::StrContains(line, citation_marker_)) << line;
    }
    if (std::string(doc["msg"].GetString()) == "rpc") {
      ++rpc_lines;
      ASSERT_TRUE(doc.HasMember("method") && doc["method"].IsString()) << line;
      ASSERT_TRUE(doc.HasMember("code") && doc["code"].IsString()) << line;
      ASSERT_TRUE(doc.HasMember("duration_ms") && doc["duration_ms"].IsNumber()) << line;
      if (std::string(doc["code"].GetString()) == "PermissionDenied") {
        EXPECT_EQ(std::string(doc["method"].GetString()),
                  "/citecheck.v1.AccountService/GrantCredits");
        ASSERT_TRUE(doc.HasMember("reason")) << line;
        EXPECT_EQ(std::string(doc["reason"].GetString()), "ADMIN_KEY_REQUIRED");
        saw_denied_reason = true;
      }
    }
  }
  EXPECT_GE(count, 10) << log;
  EXPECT_EQ(rpc_lines, 4) << log;  // two grants, the submit and the watch
  EXPECT_TRUE(saw_denied_reason) << log;
}

TEST_F(LogsTest, TextIsTheDefaultAndAnUnknownFormatIsAUsageError) {
  std::unique_ptr<ServerProcess> server = ServerProcess::Start({});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->Terminate(), 0);
  const std::string log = server->Log();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0], '{') << log;
  EXPECT_TRUE(std::regex_search(
      log, std::regex("\n\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z info citecheck-server listening on ")))
      << log;

  ProcessResult bad = RunProcess({CITECHECK_SERVER_PATH, "--store=memory", "--log_format=yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, ::testing::HasSubstr("--log_format: must be text or json"));
}

}  // namespace
}  // namespace citecheck::testing
