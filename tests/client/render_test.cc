#include "client/render.h"

#include <google/protobuf/util/json_util.h>

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_server.h"

namespace citecheck::client {
namespace {

using ::citecheck::client::testing::MakeJobEvents;
using ::citecheck::client::testing::RichStatus;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RenderMarkupTest, ConvertsEmphasisAndStripsOtherTags) {
  EXPECT_EQ(RenderMarkup("<em>Nature</em>, <strong>12</strong>(3)"), "_Nature_, **12**(3)");
  EXPECT_EQ(RenderMarkup("<i>a</i> <b>b</b> <u>c</u>"), "_a_ **b** _c_");
  EXPECT_EQ(RenderMarkup("<span class=\"x\">plain</span><br/>"), "plain");
  EXPECT_EQ(RenderMarkup("<EM>Loud</EM>"), "_Loud_");
}

TEST(RenderMarkupTest, KeepsLessThanThatIsNotATag) {
  EXPECT_EQ(RenderMarkup("Retrieved from <https://x.org/a>"), "Retrieved from <https://x.org/a>");
  EXPECT_EQ(RenderMarkup("a < b and c <d"), "a < b and c <d");
  EXPECT_EQ(RenderMarkup("1 <2> 3"), "1 <2> 3");
}

TEST(RenderMarkupTest, DecodesEntities) {
  EXPECT_EQ(RenderMarkup("Smith &amp; Jones &lt;3 &quot;q&quot; &#39;s&#x27; &eacute;"),
            "Smith & Jones <3 \"q\" 's' &eacute;");
  EXPECT_EQ(RenderMarkup("caf&#233;"), "caf\xC3\xA9");
  EXPECT_EQ(RenderMarkup("AT&T"), "AT&T");
}

TEST(FormatResultTest, ValidCitation) {
  v1::CitationResult result;
  result.set_index(0);
  result.set_original("Doe, J. (2020). _Book_. Pub.");
  result.set_valid(true);
  EXPECT_EQ(FormatResult(result), "\xE2\x9C\x93 [1] Doe, J. (2020). _Book_. Pub.\n");
}

TEST(FormatResultTest, InvalidCitationWithErrorsAndCorrection) {
  v1::CitationResult result;
  result.set_index(4);
  result.set_original("Doe, J. (2020). Book. Pub.");
  result.set_valid(false);
  auto* e1 = result.add_errors();
  e1->set_component("Title");
  e1->set_problem("Not italicized");
  e1->set_correction("<em>Book</em>");
  auto* e2 = result.add_errors();
  e2->set_component("DOI");
  e2->set_problem("Missing");
  result.set_corrected_citation("Doe, J. (2020). <em>Book</em>. Pub. [MISSING: DOI]");
  EXPECT_EQ(FormatResult(result),
            "\xE2\x9C\x97 [5] Doe, J. (2020). Book. Pub.\n"
            "    - Title: Not italicized\n"
            "      Should be: _Book_\n"
            "    - DOI: Missing\n"
            "    Corrected: Doe, J. (2020). _Book_. Pub. [MISSING: DOI]\n");
}

TEST(FormatFailureTest, ReasonAndMessage) {
  v1::ItemFailure failure;
  failure.set_index(2);
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(
      RichStatus(grpc::StatusCode::UNAVAILABLE, "LLM_UNAVAILABLE", "model down").error_details()));
  *failure.mutable_status() = status;
  EXPECT_EQ(FormatFailure(failure), "! [3] could not be checked: LLM_UNAVAILABLE model down\n");
  failure.mutable_status()->clear_details();
  EXPECT_EQ(FormatFailure(failure), "! [3] could not be checked: model down\n");
}

v1::Job PartialJob(v1::LimitType limit) {
  v1::Job job;
  job.set_job_id("j1");
  job.set_style(v1::STYLE_MLA9);
  job.set_model("heuristic");
  job.set_total(20);
  job.set_accepted(18);
  job.set_locked(2);
  job.set_partial(true);
  job.set_limit_type(limit);
  job.mutable_user_status()->set_free_used_total(10);
  job.mutable_user_status()->set_free_limit(10);
  return job;
}

TEST(FormatJobTest, SubmitSummaryWithLockedLine) {
  EXPECT_EQ(FormatSubmitSummary(PartialJob(v1::LIMIT_TYPE_FREE_LIMIT)),
            "Job j1 submitted (MLA 9, model heuristic): 20 citations, 18 accepted, 2 locked\n"
            "2 of 20 citations locked: free limit reached (10 of 10 free citations used)\n");
  EXPECT_EQ(FormatLockedLine(PartialJob(v1::LIMIT_TYPE_CREDITS_EXHAUSTED)),
            "2 of 20 citations locked: credits exhausted (0 credits left)\n");
  v1::Job full;
  full.set_job_id("j2");
  full.set_total(1);
  full.set_accepted(1);
  EXPECT_EQ(FormatSubmitSummary(full),
            "Job j2 submitted (APA 7): 1 citation, 1 accepted, 0 locked\n");
}

TEST(FormatJobTest, FinalLines) {
  v1::Job job;
  job.set_job_id("j1");
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  job.set_succeeded(18);
  job.set_failed(2);
  EXPECT_EQ(FormatFinalLine(job), "Job j1 SUCCEEDED: 18 checked, 2 failed\n");
  job.set_state(v1::JOB_STATE_FAILED);
  job.set_succeeded(0);
  job.set_failed(20);
  job.mutable_error()->set_message("the model is unavailable");
  EXPECT_EQ(FormatFinalLine(job),
            "Job j1 FAILED: the model is unavailable (0 checked, 20 failed)\n");
  job.set_state(v1::JOB_STATE_CANCELLED);
  job.clear_error();
  job.set_succeeded(3);
  job.set_failed(0);
  EXPECT_EQ(FormatFinalLine(job), "Job j1 CANCELLED: 3 checked, 0 failed\n");
}

TEST(FormatJobTest, GetShowsResultsAndFailuresByIndex) {
  v1::Job job = PartialJob(v1::LIMIT_TYPE_NONE);
  job.set_partial(false);
  job.set_locked(0);
  job.set_accepted(20);
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  job.set_succeeded(2);
  job.set_failed(1);
  auto* r2 = job.add_results();
  r2->set_index(2);
  r2->set_original("C");
  r2->set_valid(true);
  auto* r0 = job.add_results();
  r0->set_index(0);
  r0->set_original("A");
  r0->set_valid(true);
  auto* f1 = job.add_failures();
  f1->set_index(1);
  f1->mutable_status()->set_message("timeout");
  EXPECT_EQ(FormatJob(job),
            "Job j1 SUCCEEDED (MLA 9, model heuristic): 20 citations, 20 accepted, 0 locked; "
            "2 checked, 1 failed\n"
            "\xE2\x9C\x93 [1] A\n"
            "! [2] could not be checked: timeout\n"
            "\xE2\x9C\x93 [3] C\n"
            "Job j1 SUCCEEDED: 2 checked, 1 failed\n");
}

TEST(FormatJobTest, DocumentsShowInTextCitationsUnderTheirReference) {
  v1::Job job;
  job.set_job_id("j");
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  job.set_total(3);
  job.set_accepted(3);
  job.set_succeeded(3);
  job.set_inline_total(3);
  for (int i = 0; i < 3; ++i) {
    v1::CitationResult* result = job.add_results();
    result->set_index(i);
    result->set_original("Ref " + std::to_string(i) + ".");
    result->set_valid(true);
  }
  v1::InlineCitation* later = job.add_inline_citations();
  later->set_index(2);
  later->set_text("(Ref0\n2020)");
  later->set_offset(40);
  later->set_match(v1::MATCH_STATUS_MISMATCH);
  later->add_reference_indices(0);
  later->set_problem("wrong year");
  later->set_correction("(Ref0, 2021)");
  v1::InlineCitation* first = job.add_inline_citations();
  first->set_index(0);
  first->set_text("(Ref0, 2021)");
  first->set_offset(3);
  first->set_match(v1::MATCH_STATUS_MATCHED);
  first->add_reference_indices(0);
  v1::InlineCitation* lost = job.add_inline_citations();
  lost->set_index(1);
  lost->set_text("(Nobody, 1999)");
  lost->set_offset(20);
  lost->set_match(v1::MATCH_STATUS_NOT_FOUND);
  job.add_uncited_references(1);
  job.add_uncited_references(2);
  EXPECT_EQ(FormatJobItems(job),
            "\xE2\x9C\x93 [1] Ref 0.\n"
            "      \xE2\x86\xB3 (Ref0, 2021) (at byte 3): matched\n"
            "      \xE2\x86\xB3 (Ref0 2020) (at byte 40): mismatch: wrong year\n"
            "        Should be: (Ref0, 2021)\n"
            "\xE2\x9C\x93 [2] Ref 1.\n"
            "\xE2\x9C\x93 [3] Ref 2.\n"
            "In-text citations without a matching reference:\n"
            "      \xE2\x86\xB3 (Nobody, 1999) (at byte 20): not found in the reference list\n"
            "References cited nowhere in the text: [2], [3]\n");
  EXPECT_TRUE(IsDocumentJob(job));
  job.clear_inline_citations();
  job.clear_uncited_references();
  job.set_inline_total(0);
  EXPECT_FALSE(IsDocumentJob(job));
}

TEST(FormatBalanceTest, KindsShowTheirFields) {
  v1::Balance free;
  free.set_kind(v1::USER_KIND_FREE);
  free.set_free_used(3);
  free.set_free_limit(10);
  EXPECT_EQ(FormatBalance(free), "Plan: free\nFree: 3 of 10 free citations used\n");

  v1::Balance pass;
  pass.set_kind(v1::USER_KIND_PASS);
  pass.set_credits(5);
  pass.set_pass_active(true);
  pass.set_pass_type("7day");
  pass.mutable_pass_expire_time()->set_seconds(1767225600);  // 2026-01-01
  pass.set_daily_used(4);
  pass.set_daily_limit(100);
  pass.mutable_reset_time()->set_seconds(1767139200);  // 2025-12-31
  EXPECT_EQ(FormatBalance(pass),
            "Plan: pass\nCredits: 5\nPass: 7day, expires 2026-01-01 00:00:00 UTC\n"
            "Today: 4 of 100 citations used (resets 2025-12-31 00:00:00 UTC)\n");

  v1::Balance credits;
  credits.set_kind(v1::USER_KIND_CREDITS);
  credits.set_credits(120);
  EXPECT_EQ(FormatBalance(credits), "Plan: credits\nCredits: 120\nPass: none\n");
}

TEST(FormatRpcErrorTest, CodeReasonMessageAndViolations) {
  grpc::Status status = RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "CITATION_TOO_LONG",
                                   "citation 4 is too long", "citations.items[3]", "over 4 KiB");
  EXPECT_EQ(FormatRpcError(status),
            "error: INVALID_ARGUMENT CITATION_TOO_LONG: citation 4 is too long\n"
            "  - citations.items[3]: over 4 KiB\n");
  EXPECT_EQ(FormatRpcError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused")),
            "error: UNAVAILABLE: connection refused\n");
}

TEST(FormatRpcErrorTest, QuotaAndRetry) {
  google::rpc::Status rpc;
  google::rpc::ErrorInfo info;
  info.set_reason("QUEUE_FULL");
  rpc.add_details()->PackFrom(info);
  google::rpc::QuotaFailure quota;
  quota.add_violations()->set_subject("server:queue");
  quota.mutable_violations(0)->set_description("full");
  rpc.add_details()->PackFrom(quota);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(2);
  rpc.add_details()->PackFrom(retry);
  grpc::Status status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", rpc.SerializeAsString());
  EXPECT_EQ(FormatRpcError(status),
            "error: RESOURCE_EXHAUSTED QUEUE_FULL: busy\n"
            "  - quota server:queue: full\n"
            "  retry after 2s\n");
}

TEST(JsonTest, OneLineWithProtoFieldNamesAndNoDefaults) {
  v1::Job job;
  job.set_job_id("j1");
  job.set_state(v1::JOB_STATE_RUNNING);
  job.set_last_sequence(7);
  std::string line = JobJsonLine(job);
  EXPECT_EQ(line, R"({"job":{"job_id":"j1","state":"JOB_STATE_RUNNING","last_sequence":"7"}})");
  EXPECT_EQ(BalanceJsonLine(v1::Balance()), R"({"balance":{}})");
}

TEST(JsonTest, EventsRoundTripIncludingErrorDetails) {
  v1::JobEvent event;
  event.set_job_id("j1");
  event.set_sequence(3);
  event.mutable_failure()->set_index(1);
  ASSERT_TRUE(event.mutable_failure()->mutable_status()->ParseFromString(
      RichStatus(grpc::StatusCode::UNAVAILABLE, "LLM_UNAVAILABLE", "down").error_details()));
  std::string json = ToJson(event);
  EXPECT_THAT(json, Not(HasSubstr("\n")));
  EXPECT_THAT(json, HasSubstr("\"reason\":\"LLM_UNAVAILABLE\""));
  EXPECT_THAT(json, HasSubstr("\"job_id\":\"j1\""));
  v1::JobEvent parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), event.SerializeAsString());
}

TEST(ProgressBarTest, Format) {
  EXPECT_EQ(FormatProgressBar(12, 20, 10), "[######----] 12/20");
  EXPECT_EQ(FormatProgressBar(0, 20, 4), "[----] 0/20");
  EXPECT_EQ(FormatProgressBar(20, 20, 4), "[####] 20/20");
  EXPECT_EQ(FormatProgressBar(0, 0, 4), "[----] 0/0");
}

TEST(ProgressBarTest, DrawsInPlaceAndClears) {
  std::ostringstream term;
  {
    ProgressBar bar(term, /*enabled=*/true);
    bar.Update(1, 2);
    bar.Clear();
    bar.Clear();  // idempotent
  }
  std::string bar = FormatProgressBar(1, 2);
  EXPECT_EQ(term.str(), "\r" + bar + "\r" + std::string(bar.size(), ' ') + "\r");
  std::ostringstream silent;
  {
    ProgressBar bar(silent, /*enabled=*/false);
    bar.Update(1, 2);
  }
  EXPECT_EQ(silent.str(), "");
}

TEST(WatchPrinterTest, HumanOutputSkipsHeartbeatsAndUpdates) {
  std::ostringstream out, term;
  WatchPrinter printer(out, term, /*json=*/false, /*progress=*/true);
  v1::JobEvent heartbeat;
  heartbeat.mutable_heartbeat();
  printer.OnEvent(heartbeat);
  for (const v1::JobEvent& event : MakeJobEvents("j1", 2)) printer.OnEvent(event);
  printer.Finish();
  EXPECT_EQ(out.str(),
            "\xE2\x9C\x93 [1] Author, A. (2020). Title 0.\n"
            "\xE2\x9C\x97 [2] Author, A. (2020). Title 1.\n"
            "    - Title: Not italicized\n"
            "      Should be: _Title 1_\n"
            "    Corrected: Author, A. (2020). _Title 1_.\n"
            "Job j1 SUCCEEDED: 2 checked, 0 failed\n");
  ASSERT_TRUE(printer.terminal_job().has_value());
  EXPECT_EQ(printer.terminal_job()->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_THAT(term.str(), HasSubstr("\r" + FormatProgressBar(1, 2)));
  // Cleared at the end: the last thing written is a carriage return after blanks.
  EXPECT_EQ(term.str().back(), '\r');
}

TEST(WatchPrinterTest, JsonOutputOneEventPerLineWithoutHeartbeats) {
  std::ostringstream out, term;
  WatchPrinter printer(out, term, /*json=*/true, /*progress=*/true);
  v1::JobEvent heartbeat;
  heartbeat.mutable_heartbeat();
  std::vector<v1::JobEvent> events = MakeJobEvents("j1", 2);
  printer.OnEvent(events[0]);
  printer.OnEvent(heartbeat);
  for (size_t i = 1; i < events.size(); ++i) printer.OnEvent(events[i]);
  printer.Finish();
  EXPECT_EQ(term.str(), "");  // no progress bar in JSON mode
  std::istringstream lines(out.str());
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    v1::JobEvent parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
    EXPECT_EQ(parsed.SerializeAsString(), events[count].SerializeAsString());
    ++count;
  }
  EXPECT_EQ(count, events.size());
  EXPECT_TRUE(printer.terminal_job().has_value());
}

}  // namespace
}  // namespace citecheck::client
