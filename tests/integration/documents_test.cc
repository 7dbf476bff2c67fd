// Whole documents end to end: the real citecheck-server binary splits a paper at its reference
// heading, checks and charges the references like a batch, and matches the body's in-text
// citations — with the built-in heuristic checker and through the fake OpenAI server. One test
// per rule of DESIGN.md "Documents".

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/document_splitter.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(CITECHECK_TEST_DATA_DIR) + "/documents/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  EXPECT_FALSE(buffer.str().empty()) << name;
  return buffer.str();
}

v1::SubmitBatchRequest DocumentRequest(const std::string& text, v1::Style style) {
  v1::SubmitBatchRequest request;
  request.set_style(style);
  request.mutable_document()->set_text(text);
  return request;
}

struct Watched {
  grpc::Status status;
  std::vector<v1::JobEvent> events;
};

Watched WatchAll(client::CitecheckClient& client, const std::string& job_id) {
  Watched out;
  out.status = client.Watch(job_id, 0, [&out](const v1::JobEvent& event) {
    if (!event.has_heartbeat()) out.events.push_back(event);
    return true;
  });
  return out;
}

// The MLA 9 sample paper: 11 references, 15 in-text citations (its .expected.tsv).
constexpr int kMlaReferences = 11;
constexpr int kMlaInText = 15;

class DocumentsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    flags.push_back("--free_limit=100");
    server_ = ServerProcess::Start(flags);
    ASSERT_NE(server_, nullptr);
    client_ = server_->FreeUser("writer");
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::CitecheckClient> client_;
};

TEST_F(DocumentsTest, ReferencesAreCheckedAndChargedAndInTextCitationsMatchedInOneSequence) {
  Start();
  const std::string paper = ReadFile("mla9_cather_landscape.txt");
  v1::Job job;
  grpc::Status submitted = client_->SubmitBatch(DocumentRequest(paper, v1::STYLE_MLA9), &job);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  EXPECT_EQ(job.total(), kMlaReferences);
  EXPECT_EQ(job.accepted(), kMlaReferences);
  EXPECT_EQ(job.inline_total(), kMlaInText);
  EXPECT_FALSE(job.inline_skipped());

  Watched watched = WatchAll(*client_, job.job_id());
  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  int results = 0, inline_citations = 0;
  for (size_t i = 0; i < watched.events.size(); ++i) {
    EXPECT_EQ(watched.events[i].sequence(), static_cast<int64_t>(i) + 1);  // one sequence
    results += watched.events[i].has_result() ? 1 : 0;
    inline_citations += watched.events[i].has_inline_citation() ? 1 : 0;
  }
  EXPECT_EQ(results, kMlaReferences);
  EXPECT_EQ(inline_citations, kMlaInText);
  const v1::Job& terminal = watched.events.back().job_update();
  EXPECT_EQ(terminal.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_THAT(terminal.uncited_references(), ElementsAre(8));  // Skaggs, cited nowhere

  v1::Job done;
  ASSERT_TRUE(client_->GetJob(job.job_id(), &done).ok());
  ASSERT_EQ(done.inline_citations_size(), kMlaInText);
  EXPECT_THAT(done.uncited_references(), ElementsAre(8));
  // Every in-text citation's text is where its offset says, in the body's plain text.
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(paper);
  ASSERT_TRUE(parts.ok());
  int mismatches = 0, not_found = 0, ambiguous = 0;
  for (const v1::InlineCitation& citation : done.inline_citations()) {
    EXPECT_EQ(parts->body.substr(citation.offset(), citation.text().size()), citation.text())
        << citation.ShortDebugString();
    mismatches += citation.match() == v1::MATCH_STATUS_MISMATCH ? 1 : 0;
    not_found += citation.match() == v1::MATCH_STATUS_NOT_FOUND ? 1 : 0;
    ambiguous += citation.match() == v1::MATCH_STATUS_AMBIGUOUS ? 1 : 0;
    if (citation.match() == v1::MATCH_STATUS_MISMATCH) {
      EXPECT_FALSE(citation.problem().empty());
      EXPECT_FALSE(citation.correction().empty());
      EXPECT_EQ(citation.reference_indices_size(), 1);
    }
  }
  EXPECT_EQ(mismatches, 3);
  EXPECT_EQ(not_found, 1);
  EXPECT_EQ(ambiguous, 1);
  // Only the references were charged.
  v1::Balance balance;
  ASSERT_TRUE(client_->GetBalance(&balance).ok());
  EXPECT_EQ(balance.free_used(), kMlaReferences);
}

TEST_F(DocumentsTest, APaperWithoutAReferenceHeadingIsRefusedNamingTheDocument) {
  Start();
  v1::Job job;
  grpc::Status status = client_->SubmitBatch(
      DocumentRequest("A body that cites (Smith, 2020) but lists nothing.\n\nSmith, J. (2020). "
                      "Title. Publisher.\n",
                      v1::STYLE_APA7),
      &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(status), "NO_REFERENCE_SECTION");
  EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("document", ::testing::_)));
  v1::Balance balance;
  ASSERT_TRUE(client_->GetBalance(&balance).ok());
  EXPECT_EQ(balance.free_used(), 0);
}

TEST_F(DocumentsTest, TooManyInTextCitationsAreRefusedNamingTheDocument) {
  Start({"--max_inline_citations=3"});
  v1::Job job;
  grpc::Status status = client_->SubmitBatch(
      DocumentRequest(ReadFile("mla9_cather_landscape.txt"), v1::STYLE_MLA9), &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(status), "TOO_MANY_INLINE_CITATIONS");
  EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("document", ::testing::_)));
}

TEST_F(DocumentsTest, APartialJobCountsItsInTextCitationsButChecksNone) {
  server_ = ServerProcess::Start({"--free_limit=5"});
  ASSERT_NE(server_, nullptr);
  client_ = server_->FreeUser("short-of-quota");
  v1::Job job;
  ASSERT_TRUE(client_
                  ->SubmitBatch(
                      DocumentRequest(ReadFile("mla9_cather_landscape.txt"), v1::STYLE_MLA9), &job)
                  .ok());
  EXPECT_TRUE(job.partial());
  EXPECT_TRUE(job.inline_skipped());
  EXPECT_EQ(job.inline_total(), kMlaInText);
  Watched watched = WatchAll(*client_, job.job_id());
  ASSERT_TRUE(watched.status.ok());
  for (const v1::JobEvent& event : watched.events) EXPECT_FALSE(event.has_inline_citation());
  v1::Job done;
  ASSERT_TRUE(client_->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.succeeded(), 5);
  EXPECT_EQ(done.inline_citations_size(), 0);
}

TEST_F(DocumentsTest, HtmlPapersAreSplitAtTheirLastHeading) {
  Start();
  v1::SubmitBatchRequest request;
  request.set_style(v1::STYLE_APA7);
  request.mutable_document()->set_html(ReadFile("apa7_screen_reading.html"));
  v1::Job job;
  ASSERT_TRUE(client_->SubmitBatch(request, &job).ok());
  EXPECT_EQ(job.inline_total(), 19);
  ASSERT_TRUE(WatchAll(*client_, job.job_id()).status.ok());
  v1::Job done;
  ASSERT_TRUE(client_->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.inline_citations_size(), 19);
  EXPECT_EQ(done.uncited_references_size(), 1);
}

// ---- Through the fake OpenAI server ----------------------------------------------------------

class DocumentsLlmTest : public DocumentsTest {
 protected:
  void SetUp() override {
    setenv("CITECHECK_TEST_LLM_KEY", "sk-test-documents", 1);
    fake_ = FakeOpenAi::Start();
    ASSERT_NE(fake_, nullptr);
  }

  // One call at a time: requests reach the fake in claim order (the references' three chunks,
  // then the in-text citations' three), so that scripts can aim at an in-text request.
  void StartLlmServer() {
    Start({"--llm_base_url=" + fake_->base_url(), "--llm_model=fake-model",
           "--llm_api_key_env=CITECHECK_TEST_LLM_KEY", "--llm_attempt_timeout=2s",
           "--inline_per_call=5", "--llm_max_inflight=1"});
  }

  v1::Job RunMla() {
    v1::Job job;
    EXPECT_TRUE(
        client_
            ->SubmitBatch(DocumentRequest(ReadFile("mla9_cather_landscape.txt"), v1::STYLE_MLA9),
                          &job)
            .ok());
    EXPECT_TRUE(WatchAll(*client_, job.job_id()).status.ok());
    v1::Job done;
    EXPECT_TRUE(client_->GetJob(job.job_id(), &done).ok());
    return done;
  }

  int InlineRequests() {
    int count = 0;
    for (const auto& request : fake_->Stats().log) count += request.kind == "inline" ? 1 : 0;
    return count;
  }

  std::unique_ptr<FakeOpenAi> fake_;
};

TEST_F(DocumentsLlmTest, InTextCitationsAreMatchedByTheLlmInChunks) {
  StartLlmServer();
  const v1::Job done = RunMla();
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(done.inline_citations_size(), kMlaInText);
  for (const v1::InlineCitation& citation : done.inline_citations()) {
    EXPECT_NE(citation.match(), v1::MATCH_STATUS_UNSPECIFIED) << citation.ShortDebugString();
  }
  EXPECT_EQ(InlineRequests(), 3);  // 15 in-text citations, 5 per call
  EXPECT_THAT(done.uncited_references(), ElementsAre(8));
}

TEST_F(DocumentsLlmTest, AnIdMissingFromAnAnswerIsAskedAgainAlone) {
  StartLlmServer();
  fake_->Script(R"([{}, {}, {}, {"omit": [2]}])");
  const v1::Job done = RunMla();
  ASSERT_EQ(done.inline_citations_size(), kMlaInText);
  for (const v1::InlineCitation& citation : done.inline_citations()) {
    EXPECT_NE(citation.match(), v1::MATCH_STATUS_UNSPECIFIED) << citation.ShortDebugString();
  }
  int single = 0;
  for (const auto& request : fake_->Stats().log) {
    if (request.kind == "inline" && request.citations.size() == 1) ++single;
  }
  EXPECT_EQ(single, 1);
  EXPECT_EQ(InlineRequests(), 4);
}

TEST_F(DocumentsLlmTest, AMalformedAnswerAndA429AreRetried) {
  StartLlmServer();
  // The first requests are the reference checks (MLA 9: 11 references, 5 per call = 3 calls).
  fake_->Script(R"([{}, {}, {}, {"malformed": true},
                    {"status": 429, "headers": {"retry-after-ms": "100"}}])");
  const v1::Job done = RunMla();
  ASSERT_EQ(done.inline_citations_size(), kMlaInText);
  for (const v1::InlineCitation& citation : done.inline_citations()) {
    EXPECT_NE(citation.match(), v1::MATCH_STATUS_UNSPECIFIED) << citation.ShortDebugString();
  }
  EXPECT_EQ(done.failed(), 0);
  std::vector<std::string> actions;
  for (const auto& request : fake_->Stats().log) actions.push_back(request.action);
  EXPECT_THAT(actions, ::testing::Contains("malformed"));
  EXPECT_THAT(actions, ::testing::Contains("status"));
}

TEST_F(DocumentsLlmTest, InTextCitationsThatCannotBeCheckedCarryTheirErrorAndCostNothing) {
  StartLlmServer();
  // Every in-text request fails for good (a 400 is never retried); references still work.
  std::string script = "[{}, {}, {}";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&script, R"(, {"status": 400})");
  script += "]";
  fake_->Script(script);
  const v1::Job done = RunMla();
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), kMlaReferences);
  ASSERT_EQ(done.inline_citations_size(), kMlaInText);
  for (const v1::InlineCitation& citation : done.inline_citations()) {
    EXPECT_EQ(citation.match(), v1::MATCH_STATUS_UNSPECIFIED);
    EXPECT_EQ(client::ErrorReason(citation.error()), "LLM_REJECTED") << citation.ShortDebugString();
  }
  v1::Balance balance;
  ASSERT_TRUE(client_->GetBalance(&balance).ok());
  EXPECT_EQ(balance.free_used(), kMlaReferences);
}

}  // namespace
}  // namespace citecheck::testing
