#include "client/cli.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_server.h"

namespace citecheck::client {
namespace {

using ::citecheck::client::testing::FakeServer;
using ::citecheck::client::testing::MakeJobEvents;
using ::citecheck::client::testing::RichStatus;
using ::citecheck::client::testing::WatchStep;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

// Runs the CLI on `args` (without the program name) with a fake environment.
struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliRun Run(std::vector<std::string> args, const std::string& stdin_text = "", bool tty = false) {
    args.insert(args.begin(), "citecheck");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    CliEnvironment env;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    env.make_client = [this](const ClientOptions& options) {
      last_options_ = options;
      return std::make_unique<CitecheckClient>(options);
    };
    CliRun run;
    run.code = RunCli(static_cast<int>(args.size()), argv.data(), in, out, err, tty, env);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  // Parses only; returns the invocation (nullopt with *code on help/usage errors).
  std::optional<CliInvocation> Parse(std::vector<std::string> args, int* code) {
    args.insert(args.begin(), "citecheck");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    CliEnvironment env;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    std::ostringstream out, err;
    std::optional<CliInvocation> inv =
        ParseCli(static_cast<int>(argv.size()), argv.data(), env, out, err, code);
    parse_out_ = out.str();
    parse_err_ = err.str();
    return inv;
  }

  std::map<std::string, std::string> env_;
  ClientOptions last_options_;
  std::string parse_out_;
  std::string parse_err_;
};

// ---- Parsing ---------------------------------------------------------------------------------

TEST_F(CliTest, GlobalFlagsBeforeTheCommand) {
  int code = -1;
  auto inv = Parse({"--server", "h:1", "--token", "T", "--free_user_id", "F", "get", "J"}, &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(code, kExitOk);
  EXPECT_EQ(inv->command, "get");
  EXPECT_EQ(inv->job_id, "J");
  EXPECT_EQ(inv->client.server, "h:1");
  EXPECT_EQ(inv->client.token, "T");
  EXPECT_EQ(inv->client.free_user_id, "F");
}

TEST_F(CliTest, GlobalFlagsAfterTheCommand) {
  int code = -1;
  auto inv = Parse({"watch", "J", "--server=h:2", "--after", "7", "--token", "T", "--json"}, &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(inv->command, "watch");
  EXPECT_EQ(inv->job_id, "J");
  EXPECT_EQ(inv->after, 7);
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->client.server, "h:2");
  EXPECT_EQ(inv->client.token, "T");
}

TEST_F(CliTest, GlobalFlagsAfterANestedCommand) {
  int code = -1;
  auto inv = Parse({"admin", "grant-credits", "--token", "acct", "--credits", "5", "--order", "o1",
                    "--admin_key", "K", "--server", "h:3"},
                   &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(inv->command, "grant-credits");
  EXPECT_EQ(inv->grant_token, "acct");  // the command's --token is the account's
  EXPECT_EQ(inv->client.token, "");
  EXPECT_EQ(inv->credits, 5);
  EXPECT_EQ(inv->order_id, "o1");
  EXPECT_EQ(inv->client.admin_key, "K");
  EXPECT_EQ(inv->client.server, "h:3");
}

TEST_F(CliTest, EnvironmentFillsMissingFlagsAndFlagsWin) {
  env_ = {{"CITECHECK_SERVER", "env:1"},
          {"CITECHECK_TOKEN", "envtok"},
          {"CITECHECK_ADMIN_KEY", "envkey"}};
  int code = -1;
  auto inv = Parse({"balance"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_EQ(inv->client.server, "env:1");
  EXPECT_EQ(inv->client.token, "envtok");
  EXPECT_EQ(inv->client.admin_key, "envkey");
  inv = Parse({"--server", "flag:1", "balance", "--token", "flagtok"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_EQ(inv->client.server, "flag:1");
  EXPECT_EQ(inv->client.token, "flagtok");
  EXPECT_EQ(inv->client.admin_key, "envkey");
}

TEST_F(CliTest, TlsFlagsAndTheirEnvironment) {
  int code = -1;
  auto inv = Parse({"balance", "--ca_file", "ca.pem", "--cert_file", "c.pem", "--key_file", "k.pem",
                    "--tls_server_name", "citecheck.example"},
                   &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_FALSE(inv->client.tls);  // implied by the files
  EXPECT_TRUE(UsesTls(inv->client));
  EXPECT_EQ(inv->client.ca_file, "ca.pem");
  EXPECT_EQ(inv->client.cert_file, "c.pem");
  EXPECT_EQ(inv->client.key_file, "k.pem");
  EXPECT_EQ(inv->client.tls_server_name, "citecheck.example");

  inv = Parse({"--tls", "balance"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_TRUE(inv->client.tls);
  EXPECT_TRUE(UsesTls(inv->client));
  inv = Parse({"balance"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_FALSE(UsesTls(inv->client));

  env_ = {{"CITECHECK_CA_FILE", "env-ca.pem"},
          {"CITECHECK_CERT_FILE", "env-c.pem"},
          {"CITECHECK_KEY_FILE", "env-k.pem"}};
  inv = Parse({"balance", "--ca_file", "flag-ca.pem"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_EQ(inv->client.ca_file, "flag-ca.pem");
  EXPECT_EQ(inv->client.cert_file, "env-c.pem");
  EXPECT_EQ(inv->client.key_file, "env-k.pem");
}

TEST_F(CliTest, ACertificateWithoutItsKeyIsAUsageError) {
  int code = -1;
  EXPECT_FALSE(Parse({"balance", "--cert_file", "c.pem"}, &code).has_value());
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(parse_err_, HasSubstr("--cert_file needs --key_file"));
  EXPECT_FALSE(Parse({"balance", "--key_file", "k.pem"}, &code).has_value());
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(parse_err_, HasSubstr("--key_file needs --cert_file"));
}

TEST(ChannelCredentialsTest, UnreadableFilesNameTheirFlag) {
  ClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(options);
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(credentials.status().message()),
              HasSubstr("--ca_file: cannot read /nonexistent/ca.pem"));
  EXPECT_EQ(CitecheckClient::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = ClientOptions();
  options.tls = true;
  EXPECT_TRUE(ChannelCredentialsFor(options).ok());  // the system's roots
}

TEST(ChannelCredentialsTest, AClientWithUnusableFilesNeverFallsBackToPlaintext) {
  FakeServer server;  // plaintext: a plaintext fallback would be answered
  ClientOptions options;
  options.server = server.address();
  options.ca_file = "/nonexistent/ca.pem";
  options.rpc_timeout = absl::Seconds(5);
  CitecheckClient client(options);
  v1::Balance balance;
  EXPECT_EQ(client.GetBalance(&balance).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(CliTest, DefaultsWithoutFlagsOrEnvironment) {
  int code = -1;
  auto inv = Parse({"submit"}, &code);
  ASSERT_TRUE(inv.has_value());
  EXPECT_EQ(inv->client.server, "127.0.0.1:50051");
  EXPECT_EQ(inv->client.rpc_timeout, absl::Seconds(30));
  EXPECT_EQ(inv->style, v1::STYLE_APA7);
  EXPECT_EQ(inv->file, "");
  EXPECT_FALSE(inv->watch);
  EXPECT_FALSE(inv->json);
}

TEST_F(CliTest, SubmitFlags) {
  int code = -1;
  auto inv = Parse(
      {"submit", "refs.txt", "--style", "chicago17", "--format", "html", "--request_id", "r1",
       "--model", "m", "--watch", "--json", "--timeout", "2.5", "--metadata", "X-Free-Used=OA=="},
      &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(inv->file, "refs.txt");
  EXPECT_EQ(inv->style, v1::STYLE_CHICAGO17);
  EXPECT_EQ(inv->format, "html");
  EXPECT_EQ(inv->request_id, "r1");
  EXPECT_EQ(inv->model, "m");
  EXPECT_TRUE(inv->watch);
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->client.rpc_timeout, absl::Milliseconds(2500));
  EXPECT_THAT(inv->client.extra_metadata, ElementsAre(Pair("x-free-used", "OA==")));
  inv = Parse({"--metadata", "a=1", "submit", "--metadata", "b=2", "refs.txt"}, &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(inv->file, "refs.txt");
  EXPECT_THAT(inv->client.extra_metadata, ElementsAre(Pair("a", "1"), Pair("b", "2")));
  inv = Parse({"submit", "-", "--style", "mla9"}, &code);
  ASSERT_TRUE(inv.has_value()) << parse_err_;
  EXPECT_EQ(inv->file, "-");
  EXPECT_EQ(inv->style, v1::STYLE_MLA9);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                // no command
      {"frobnicate"},                    // unknown command
      {"submit", "--style", "harvard"},  // unknown style
      {"submit", "--format", "pdf"},     // unknown format
      {"get"},                           // missing job id
      {"watch"},                         // missing job id
      {"cancel"},                        // missing job id
      {"get", "a", "b"},                 // extra argument
      {"watch", "J", "--after", "x"},    // not a number
      {"balance", "--bogus"},            // unknown flag
      {"admin"},                         // missing admin command
      {"admin", "grant-pass", "--token", "t", "--days", "3", "--order", "o"},  // bad days
      {"admin", "grant-credits", "--token", "t", "--order", "o"},              // missing credits
      {"--metadata", "novalue", "balance"},                                    // bad metadata
  };
  for (const auto& args : bad) {
    CliRun run = Run(args);
    EXPECT_EQ(run.code, kExitUsage) << absl::StrJoin(args, " ") << "\n" << run.err;
    EXPECT_THAT(run.err, Not(IsEmpty())) << absl::StrJoin(args, " ");
    EXPECT_EQ(run.out, "") << absl::StrJoin(args, " ");
  }
}

TEST_F(CliTest, HelpDocumentsExitCodes) {
  CliRun run = Run({"--help"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(run.out, HasSubstr("Exit codes"));
  EXPECT_THAT(run.out, HasSubstr("3  RPC error"));
  run = Run({"submit", "--help"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(run.out, HasSubstr("--style"));
  EXPECT_THAT(run.out, HasSubstr("Exit codes"));
}

TEST_F(CliTest, UnreadableFileExitsTwo) {
  CliRun run = Run({"submit", "/nonexistent/refs.txt", "--server", "127.0.0.1:1"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("cannot read /nonexistent/refs.txt"));
}

TEST(BuildSubmitRequestTest, FormatFromFlagOrExtension) {
  std::string dir = ::testing::TempDir();
  std::string html_path = dir + "/refs.HTML";
  std::ofstream(html_path) << "<p>A</p>";
  CliInvocation inv;
  inv.file = html_path;
  inv.style = v1::STYLE_MLA9;
  inv.request_id = "r";
  inv.model = "m";
  std::istringstream in("ignored");
  v1::SubmitBatchRequest request;
  std::string error;
  ASSERT_TRUE(BuildSubmitRequest(inv, in, &request, &error)) << error;
  EXPECT_EQ(request.input_case(), v1::SubmitBatchRequest::kHtml);
  EXPECT_EQ(request.html(), "<p>A</p>");
  EXPECT_EQ(request.style(), v1::STYLE_MLA9);
  EXPECT_EQ(request.request_id(), "r");
  EXPECT_EQ(request.model(), "m");
  inv.format = "text";
  ASSERT_TRUE(BuildSubmitRequest(inv, in, &request, &error));
  EXPECT_EQ(request.input_case(), v1::SubmitBatchRequest::kText);
  inv.file = "-";
  inv.format = "";
  ASSERT_TRUE(BuildSubmitRequest(inv, in, &request, &error));
  EXPECT_EQ(request.text(), "ignored");
  std::remove(html_path.c_str());
}

TEST(BuildSubmitRequestTest, DocumentsGoInTheDocumentField) {
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/paper.html";
  std::ofstream(path) << "<p>Body (Smith, 2020).</p><h2>References</h2><p>Smith.</p>";
  CliInvocation inv;
  inv.document_file = path;
  std::istringstream in("Body text.\n\nReferences\n\nSmith.");
  v1::SubmitBatchRequest request;
  std::string error;
  ASSERT_TRUE(BuildSubmitRequest(inv, in, &request, &error)) << error;
  EXPECT_EQ(request.input_case(), v1::SubmitBatchRequest::kDocument);
  EXPECT_EQ(request.document().body_case(), v1::Document::kHtml);
  inv.document_file = "-";
  ASSERT_TRUE(BuildSubmitRequest(inv, in, &request, &error)) << error;
  EXPECT_EQ(request.document().text(), "Body text.\n\nReferences\n\nSmith.");
  std::remove(path.c_str());
}

TEST_F(CliTest, DocumentAndAPositionalFileExcludeEachOther) {
  CliRun run = Run({"submit", "refs.txt", "--document", "paper.txt"});
  EXPECT_EQ(run.code, kExitUsage);
}

TEST(ExitCodeTest, ForJobStates) {
  v1::Job job;
  for (auto [state, code] :
       std::vector<std::pair<v1::JobState, int>>{{v1::JOB_STATE_SUCCEEDED, kExitOk},
                                                 {v1::JOB_STATE_RUNNING, kExitOk},
                                                 {v1::JOB_STATE_FAILED, kExitJobFailed},
                                                 {v1::JOB_STATE_CANCELLED, kExitJobFailed}}) {
    job.set_state(state);
    EXPECT_EQ(ExitCodeForJob(job), code) << state;
  }
}

// ---- Commands against a fake server ----------------------------------------------------------

class CliServerTest : public CliTest {
 protected:
  CliServerTest() {
    env_["CITECHECK_SERVER"] = server_.address();
    v1::Job& job = server_.citations.job;
    job.set_job_id("job-1");
    job.set_state(v1::JOB_STATE_PENDING);
    job.set_style(v1::STYLE_APA7);
    job.set_total(3);
    job.set_accepted(2);
    job.set_locked(1);
    job.set_partial(true);
    job.set_limit_type(v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
    server_.citations.events = MakeJobEvents("job-1", 2);
  }

  FakeServer server_;
};

TEST_F(CliServerTest, SubmitFromStdinPrintsTheSummary) {
  CliRun run = Run({"submit", "--token", "T", "--style", "mla9"}, "A. (2020). X.\n\nB.\n");
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "Job job-1 submitted (APA 7): 3 citations, 2 accepted, 1 locked\n"
            "1 of 3 citations locked: credits exhausted (0 credits left)\n");
  EXPECT_EQ(server_.citations.last_submit.text(), "A. (2020). X.\n\nB.\n");
  EXPECT_EQ(server_.citations.last_submit.style(), v1::STYLE_MLA9);
  EXPECT_EQ(server_.citations.MetadataOf("SubmitBatch").find("authorization")->second, "Bearer T");
  EXPECT_TRUE(server_.citations.WatchAfter().empty());
}

TEST_F(CliServerTest, SubmitWatchPrintsResultsAndFinalLine) {
  server_.citations.watch_script = {{WatchStep::End::kDrop, 3}};  // resumed transparently
  CliRun run = Run({"submit", "-", "--watch"}, "A.\n\nB.\n");
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "Job job-1 submitted (APA 7): 3 citations, 2 accepted, 1 locked\n"
            "1 of 3 citations locked: credits exhausted (0 credits left)\n"
            "\xE2\x9C\x93 [1] Author, A. (2020). Title 0.\n"
            "\xE2\x9C\x97 [2] Author, A. (2020). Title 1.\n"
            "    - Title: Not italicized\n"
            "      Should be: _Title 1_\n"
            "    Corrected: Author, A. (2020). _Title 1_.\n"
            "Job job-1 SUCCEEDED: 2 checked, 0 failed\n");
  EXPECT_EQ(run.err, "");  // not a tty: no progress bar
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0, 3));
}

TEST_F(CliServerTest, ProgressBarOnlyOnATerminal) {
  CliRun run = Run({"watch", "job-1"}, "", /*tty=*/true);
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(run.err, HasSubstr("\r[----------"));
  EXPECT_THAT(run.err, HasSubstr("] 1/2"));
  EXPECT_EQ(run.err.back(), '\r');
  EXPECT_THAT(run.out, Not(HasSubstr("\r")));
  run = Run({"watch", "job-1", "--json"}, "", /*tty=*/true);
  EXPECT_EQ(run.err, "");
}

TEST_F(CliServerTest, WatchOfAFailedJobExitsOne) {
  server_.citations.events = MakeJobEvents("job-1", 1, v1::JOB_STATE_FAILED);
  CliRun run = Run({"watch", "job-1", "--after", "2"});
  EXPECT_EQ(run.code, kExitJobFailed);
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(2));
  EXPECT_THAT(run.out,
              HasSubstr("Job job-1 FAILED: the model is unavailable (0 checked, 1 failed)\n"));
}

TEST_F(CliServerTest, SubmitWatchJsonPrintsTheJobThenEvents) {
  WatchStep step;
  step.heartbeat_first = true;
  server_.citations.watch_script = {step};
  CliRun run = Run({"submit", "--watch", "--json"}, "A.\n");
  EXPECT_EQ(run.code, kExitOk) << run.err;
  std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1 + server_.citations.events.size());
  EXPECT_THAT(lines[0], StartsWith("{\"job\":{\"job_id\":\"job-1\""));
  EXPECT_THAT(lines[0], HasSubstr("\"limit_type\":\"LIMIT_TYPE_CREDITS_EXHAUSTED\""));
  for (size_t i = 1; i < lines.size(); ++i) {
    v1::JobEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &event).ok()) << lines[i];
    EXPECT_EQ(event.sequence(), static_cast<int64_t>(i));
    EXPECT_FALSE(event.has_heartbeat());
    EXPECT_THAT(lines[i], HasSubstr("\"job_id\":\"job-1\""));  // proto field names
  }
}

TEST_F(CliServerTest, GetPrintsTheJobAndItsResults) {
  v1::Job& job = server_.citations.job;
  job.set_state(v1::JOB_STATE_RUNNING);
  job.set_succeeded(1);
  auto* result = job.add_results();
  result->set_index(0);
  result->set_original("<em>A</em>");
  result->set_valid(true);
  CliRun run = Run({"get", "job-1"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(server_.citations.last_job_id, "job-1");
  EXPECT_EQ(run.out,
            "Job job-1 RUNNING (APA 7): 3 citations, 2 accepted, 1 locked; 1 checked, 0 failed\n"
            "1 of 3 citations locked: credits exhausted (0 credits left)\n"
            "\xE2\x9C\x93 [1] _A_\n");
  run = Run({"get", "job-1", "--json"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(run.out,
              StartsWith("{\"job\":{\"job_id\":\"job-1\",\"state\":\"JOB_STATE_RUNNING\""));
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1);
  job.set_state(v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(Run({"get", "job-1"}).code, kExitJobFailed);
}

TEST_F(CliServerTest, ListPrintsOnePageOrEveryPage) {
  for (int i = 0; i < 3; ++i) {
    v1::Job job;
    job.set_job_id("job-" + std::to_string(i));
    job.set_state(i == 0 ? v1::JOB_STATE_RUNNING : v1::JOB_STATE_SUCCEEDED);
    job.set_style(v1::STYLE_MLA9);
    job.set_total(4);
    job.set_accepted(3);
    job.set_locked(1);
    job.set_succeeded(i);
    job.mutable_create_time()->set_seconds(1798804800 + i);
    server_.citations.listed.push_back(job);
  }
  CliRun run = Run({"list", "--state", "Succeeded"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "job-0  RUNNING  MLA 9  0/3 checked, 0 failed, 1 locked  2027-01-01 12:00:00 UTC\n"
            "job-1  SUCCEEDED  MLA 9  1/3 checked, 0 failed, 1 locked  2027-01-01 12:00:01 UTC\n"
            "more: --page_token 2\n");
  ASSERT_EQ(server_.citations.list_requests.size(), 1u);
  EXPECT_EQ(server_.citations.list_requests[0].state(), v1::JOB_STATE_SUCCEEDED);

  run = Run({"list", "--all", "--json", "--page_size", "1"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 3);
  EXPECT_THAT(run.out, StartsWith("{\"job\":{\"job_id\":\"job-0\""));
  ASSERT_EQ(server_.citations.list_requests.size(), 4u);
  EXPECT_EQ(server_.citations.list_requests[3].page_token(), "2");
  EXPECT_EQ(server_.citations.list_requests[3].page_size(), 1);

  run = Run({"list", "--page_token", "2"});
  EXPECT_EQ(run.out.substr(0, 6), "job-2 ");
  EXPECT_EQ(Run({"list", "--state", "done"}).code, kExitUsage);
}

TEST_F(CliServerTest, CancelPrintsTheCancelledJob) {
  CliRun run = Run({"cancel", "job-1"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(run.out, "Job job-1 CANCELLED: 0 checked, 0 failed\n");
  run = Run({"cancel", "job-1", "--json"});
  EXPECT_THAT(run.out, HasSubstr("\"state\":\"JOB_STATE_CANCELLED\""));
}

TEST_F(CliServerTest, RpcErrorsExitThreeWithReasonAndViolations) {
  server_.citations.unary_status =
      RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "CITATION_TOO_LONG", "citation too long",
                 "citations.items[0]", "over 4 KiB");
  CliRun run = Run({"submit"}, "A.");
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_EQ(run.err,
            "error: INVALID_ARGUMENT CITATION_TOO_LONG: citation too long\n"
            "  - citations.items[0]: over 4 KiB\n");
  EXPECT_EQ(run.out, "");
  server_.citations.watch_status =
      RichStatus(grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND", "job nope not found");
  run = Run({"watch", "nope"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_EQ(run.err, "error: NOT_FOUND JOB_NOT_FOUND: job nope not found\n");
}

TEST_F(CliServerTest, UnreachableServerExitsThree) {
  CliRun run = Run({"balance", "--server", "127.0.0.1:1"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: "));
}

TEST_F(CliServerTest, BalanceAndAdminGrants) {
  server_.accounts.balance.set_kind(v1::USER_KIND_CREDITS);
  server_.accounts.balance.set_credits(15);
  CliRun run = Run({"balance"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(run.out, "Plan: credits\nCredits: 15\nPass: none\n");
  run = Run({"balance", "--json"});
  EXPECT_EQ(run.out, "{\"balance\":{\"kind\":\"USER_KIND_CREDITS\",\"credits\":\"15\"}}\n");

  env_["CITECHECK_ADMIN_KEY"] = "K";
  run = Run({"admin", "grant-credits", "--token", "acct", "--credits", "10", "--order", "o1"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(server_.accounts.admin_key, "K");
  EXPECT_EQ(server_.accounts.last_credits.token(), "acct");
  EXPECT_EQ(server_.accounts.last_credits.credits(), 10);
  EXPECT_EQ(server_.accounts.last_credits.order_id(), "o1");
  EXPECT_EQ(last_options_.token, "");

  run = Run({"admin", "grant-pass", "--token", "acct", "--days", "30", "--order", "o2",
             "--admin_key", "K2"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(server_.accounts.admin_key, "K2");
  EXPECT_EQ(server_.accounts.last_pass.days(), 30);

  server_.accounts.status =
      RichStatus(grpc::StatusCode::PERMISSION_DENIED, "ADMIN_KEY_REQUIRED", "admin key required");
  run = Run({"admin", "grant-pass", "--token", "acct", "--days", "1", "--order", "o3"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_EQ(run.err, "error: PERMISSION_DENIED ADMIN_KEY_REQUIRED: admin key required\n");
}

}  // namespace
}  // namespace citecheck::client
