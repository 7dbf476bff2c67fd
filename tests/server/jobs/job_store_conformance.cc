#include "tests/server/jobs/job_store_conformance.h"

#include <algorithm>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "server/common/errors.h"
#include "server/common/proto_time.h"

namespace citecheck {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// ---- RecordingSink ---------------------------------------------------------------------------

void RecordingSink::Publish(const std::string& job_id, std::vector<v1::JobEvent> events) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::JobEvent>& log = events_[job_id];
  for (v1::JobEvent& event : events) {
    const int64_t expected = log.empty() ? 1 : log.back().sequence() + 1;
    if (event.sequence() != expected || event.job_id() != job_id) {
      problems_.push_back(
          absl::StrCat(job_id, ": got sequence ", event.sequence(), " expected ", expected));
    }
    log.push_back(std::move(event));
  }
}

std::vector<v1::JobEvent> RecordingSink::Events(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = events_.find(job_id);
  return it == events_.end() ? std::vector<v1::JobEvent>() : it->second;
}

std::vector<std::string> RecordingSink::problems() const {
  absl::MutexLock lock(&mu_);
  return problems_;
}

// ---- Fixture ---------------------------------------------------------------------------------

void JobStoreConformanceTest::SetUp() { Remake(QuotaRules{}, JobStoreOptions{}); }

void JobStoreConformanceTest::Remake(const QuotaRules& rules, const JobStoreOptions& options) {
  subject_ = JobStoreUnderTest();
  absl::StatusOr<JobStoreUnderTest> made = GetParam().make(rules, options);
  ASSERT_TRUE(made.ok()) << made.status();
  subject_ = *std::move(made);
}

void JobStoreConformanceTest::TearDown() {
  if (subject_.store == nullptr) return;
  EXPECT_THAT(sink().problems(), IsEmpty());
  const absl::Status books = subject_.check_invariants();
  EXPECT_TRUE(books.ok()) << books;
}

NewJob JobStoreConformanceTest::Job(const std::string& id, const Caller& caller, int citations,
                                    int per_chunk) {
  NewJob job;
  job.job_id = id;
  job.caller = caller;
  job.input_fingerprint = absl::StrCat("fp-", id);
  job.style = v1::STYLE_APA7;
  job.model = "fake";
  for (int i = 0; i < citations; ++i) job.citations.push_back(absl::StrCat(id, "-c", i));
  job.citations_per_chunk = per_chunk;
  job.create_time = now_;
  job.deadline = now_ + absl::Minutes(30);
  return job;
}

absl::StatusOr<v1::Job> JobStoreConformanceTest::Submit(const std::string& id, const Caller& caller,
                                                        int citations, int per_chunk) {
  return store().Submit(Job(id, caller, citations, per_chunk));
}

std::vector<Chunk> JobStoreConformanceTest::Claim(const std::string& owner, int max) {
  absl::StatusOr<std::vector<Chunk>> chunks = store().Claim(owner, max, now_);
  EXPECT_TRUE(chunks.ok()) << chunks.status();
  return chunks.ok() ? *std::move(chunks) : std::vector<Chunk>();
}

absl::StatusOr<RecordResult> JobStoreConformanceTest::RecordAll(const std::string& owner,
                                                                const Chunk& chunk,
                                                                std::vector<int> failing) {
  ChunkOutcome outcome{chunk.job_id, chunk.chunk_id, chunk.token, {}};
  for (size_t i = 0; i < chunk.indices.size(); ++i) {
    const int index = chunk.indices[i];
    if (std::find(failing.begin(), failing.end(), index) != failing.end()) {
      outcome.items.push_back(
          {index, MakeError(absl::StatusCode::kUnavailable, reason::kLlmUnavailable, "down")});
    } else {
      v1::CitationResult result;
      result.set_original(chunk.citations[i]);
      result.set_source_type("fake");
      result.set_valid(true);
      outcome.items.push_back({index, result});
    }
  }
  return store().Record(owner, {outcome}, now_);
}

std::vector<v1::JobEvent> JobStoreConformanceTest::AllEvents(const std::string& job_id) {
  absl::StatusOr<std::vector<v1::JobEvent>> events = store().ReadEvents(job_id, 0, 100000);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *std::move(events) : std::vector<v1::JobEvent>();
}

int64_t JobStoreConformanceTest::Credits(const std::string& token) {
  absl::StatusOr<v1::Balance> balance = accounts().GetBalance(Caller::ForAccount(token), now_);
  EXPECT_TRUE(balance.ok()) << balance.status();
  return balance.ok() ? balance->credits() : -1;
}

void JobStoreConformanceTest::Grant(const std::string& token, int64_t credits) {
  ASSERT_TRUE(
      accounts().GrantCredits(token, credits, absl::StrCat("order-", ++orders_), now_).ok());
}

namespace {

const Caller kAlice = Caller::ForAccount("alice-token");
const Caller kBob = Caller::ForAccount("bob-token");

std::vector<std::string> JobIds(const std::vector<Chunk>& chunks) {
  std::vector<std::string> ids;
  for (const Chunk& chunk : chunks) ids.push_back(chunk.job_id);
  return ids;
}

std::vector<int64_t> Sequences(const std::vector<v1::JobEvent>& events) {
  std::vector<int64_t> sequences;
  for (const v1::JobEvent& event : events) sequences.push_back(event.sequence());
  return sequences;
}

// "u:<state>" for job updates, "r<i>" for results, "f<i>" for failures.
std::vector<std::string> Kinds(const std::vector<v1::JobEvent>& events) {
  std::vector<std::string> kinds;
  for (const v1::JobEvent& event : events) {
    if (event.has_job_update()) {
      kinds.push_back(absl::StrCat("u:", v1::JobState_Name(event.job_update().state())));
    } else if (event.has_result()) {
      kinds.push_back(absl::StrCat("r", event.result().index()));
    } else {
      kinds.push_back(absl::StrCat("f", event.failure().index()));
    }
  }
  return kinds;
}

}  // namespace

// ---- Submitting ------------------------------------------------------------------------------

TEST_P(JobStoreConformanceTest, SubmitReservesAndCreatesAPendingJobWithItsFirstEvent) {
  Grant("alice-token", 10);
  absl::StatusOr<v1::Job> job = Submit("j1", kAlice, 4);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job_id(), "j1");
  EXPECT_EQ(job->state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(job->total(), 4);
  EXPECT_EQ(job->accepted(), 4);
  EXPECT_EQ(job->locked(), 0);
  EXPECT_FALSE(job->partial());
  EXPECT_EQ(job->limit_type(), v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(job->user_status().credits_remaining(), 6);
  EXPECT_EQ(job->last_sequence(), 1);
  EXPECT_EQ(job->model(), "fake");
  EXPECT_EQ(FromTimestamp(job->create_time()), now());
  EXPECT_EQ(Credits("alice-token"), 6);  // reserved at submit

  const std::vector<v1::JobEvent> events = AllEvents("j1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence(), 1);
  EXPECT_EQ(events[0].job_update().state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(events[0].job_update().last_sequence(), 1);
  // What was published is what is stored.
  const std::vector<v1::JobEvent> published = sink().Events("j1");
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].SerializeAsString(), events[0].SerializeAsString());
}

TEST_P(JobStoreConformanceTest, AJobWithNothingAcceptedEndsAtOnce) {
  absl::StatusOr<v1::Job> job = Submit("j1", kBob, 3);  // bob has no credits
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->accepted(), 0);
  EXPECT_EQ(job->locked(), 3);
  EXPECT_TRUE(job->partial());
  EXPECT_EQ(job->limit_type(), v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_TRUE(job->has_finish_time());
  EXPECT_THAT(Kinds(AllEvents("j1")), ElementsAre("u:JOB_STATE_SUCCEEDED"));
  EXPECT_THAT(Claim("a", 10), IsEmpty());
}

TEST_P(JobStoreConformanceTest, OnlyTheAffordableFirstCitationsAreAccepted) {
  Grant("alice-token", 3);
  absl::StatusOr<v1::Job> job = Submit("j1", kAlice, 8, 2);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->accepted(), 3);
  EXPECT_EQ(job->locked(), 5);
  EXPECT_TRUE(job->partial());
  const std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_THAT(chunks[0].indices, ElementsAre(0, 1));
  EXPECT_THAT(chunks[1].indices, ElementsAre(2));
  EXPECT_THAT(chunks[1].citations, ElementsAre("j1-c2"));
  EXPECT_EQ(chunks[0].style, v1::STYLE_APA7);
  EXPECT_EQ(chunks[0].model, "fake");
  EXPECT_EQ(chunks[0].deadline, now() + absl::Minutes(30));
}

TEST_P(JobStoreConformanceTest, TheSameRequestIdAndInputIsTheSameJobReservedOnce) {
  Grant("alice-token", 10);
  NewJob first = Job("j1", kAlice, 3);
  first.request_id = "req-1";
  ASSERT_TRUE(store().Submit(first).ok());
  NewJob again = Job("j2", kAlice, 3);  // a retry gets a new job id from the manager
  again.request_id = "req-1";
  again.input_fingerprint = first.input_fingerprint;
  absl::StatusOr<v1::Job> same = store().Submit(again);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->job_id(), "j1");
  EXPECT_EQ(Credits("alice-token"), 7);

  NewJob other_input = Job("j3", kAlice, 3);
  other_input.request_id = "req-1";
  absl::StatusOr<v1::Job> reused = store().Submit(other_input);
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(reused.status()), "REQUEST_ID_REUSED");
  EXPECT_EQ(Credits("alice-token"), 7);

  // Request ids belong to their caller.
  Grant("bob-token", 10);
  NewJob bobs = Job("j4", kBob, 3);
  bobs.request_id = "req-1";
  absl::StatusOr<v1::Job> own = store().Submit(bobs);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->job_id(), "j4");
}

TEST_P(JobStoreConformanceTest, SubmittingTheSameJobAgainChangesNothing) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 3).ok());
  // A rerun after a COMMIT whose outcome was unknown submits the same job id again.
  absl::StatusOr<v1::Job> replay = Submit("j1", kAlice, 3);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->job_id(), "j1");
  EXPECT_EQ(Credits("alice-token"), 7);
  EXPECT_EQ(AllEvents("j1").size(), 1u);
  EXPECT_EQ(Claim("a", 10).size(), 2u);
}

TEST_P(JobStoreConformanceTest, AFullQueueRefusesBeforeReserving) {
  JobStoreOptions options;
  options.max_queued_chunks = 3;
  Remake(QuotaRules{}, options);
  Grant("alice-token", 100);
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());  // 2 chunks
  absl::StatusOr<v1::Job> full = Submit("j2", kAlice, 4, 2);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(full.status()), "QUEUE_FULL");
  EXPECT_EQ(Credits("alice-token"), 96);
  // Claimed chunks still count until they are recorded.
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(ErrorReason(Submit("j2", kAlice, 4, 2).status()), "QUEUE_FULL");
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());
  EXPECT_TRUE(Submit("j2", kAlice, 4, 2).ok());
}

// ---- Claiming --------------------------------------------------------------------------------

TEST_P(JobStoreConformanceTest, ClaimsTakeJobsInTurns) {
  Grant("alice-token", 100);
  ASSERT_TRUE(Submit("big", kAlice, 6, 1).ok());
  ASSERT_TRUE(Submit("small", kAlice, 2, 1).ok());
  EXPECT_THAT(JobIds(Claim("a", 100)),
              ElementsAre("big", "small", "big", "small", "big", "big", "big", "big"));
}

TEST_P(JobStoreConformanceTest, ALateJobTakesTurnsWithTheRunningOne) {
  Grant("alice-token", 100);
  ASSERT_TRUE(Submit("big", kAlice, 6, 1).ok());
  EXPECT_THAT(JobIds(Claim("a", 3)), ElementsAre("big", "big", "big"));
  ASSERT_TRUE(Submit("small", kAlice, 2, 1).ok());
  EXPECT_THAT(JobIds(Claim("a", 100)), ElementsAre("big", "small", "big", "small", "big"));
}

TEST_P(JobStoreConformanceTest, TheFirstClaimMovesTheJobToRunning) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());
  ASSERT_EQ(Claim("a", 1).size(), 1u);
  ASSERT_EQ(Claim("a", 1).size(), 1u);
  EXPECT_THAT(Kinds(AllEvents("j1")), ElementsAre("u:JOB_STATE_PENDING", "u:JOB_STATE_RUNNING"));
  absl::StatusOr<v1::Job> job = store().Get("j1", kAlice.OwnerKey());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(job->last_sequence(), 2);
}

TEST_P(JobStoreConformanceTest, ConcurrentClaimersNeverShareAChunk) {
  Grant("alice-token", 1000);
  for (int j = 0; j < 4; ++j) ASSERT_TRUE(Submit(absl::StrCat("j", j), kAlice, 40, 1).ok());
  std::vector<std::vector<Chunk>> got(4);
  std::vector<std::thread> claimers;
  for (int t = 0; t < 4; ++t) {
    claimers.emplace_back([&, t] {
      while (true) {
        absl::StatusOr<std::vector<Chunk>> chunks =
            store().Claim(absl::StrCat("replica-", t), 3, now());
        if (!chunks.ok() || chunks->empty()) return;
        for (Chunk& chunk : *chunks) got[t].push_back(std::move(chunk));
      }
    });
  }
  for (std::thread& claimer : claimers) claimer.join();
  std::set<int64_t> ids;
  size_t total = 0;
  for (const auto& chunks : got) {
    total += chunks.size();
    for (const Chunk& chunk : chunks) ids.insert(chunk.chunk_id);
  }
  EXPECT_EQ(total, 160u);
  EXPECT_EQ(ids.size(), 160u);
  for (int t = 0; t < 4; ++t) {
    for (const Chunk& chunk : got[t]) {
      absl::StatusOr<RecordResult> recorded = RecordAll(absl::StrCat("replica-", t), chunk);
      ASSERT_TRUE(recorded.ok()) << recorded.status();
    }
  }
  EXPECT_EQ(Credits("alice-token"), 840);
}

// ---- Recording -------------------------------------------------------------------------------

TEST_P(JobStoreConformanceTest, RecordingChargesResultsReleasesFailuresAndEndsTheJob) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 2u);
  absl::StatusOr<RecordResult> first = RecordAll("a", chunks[0], /*failing=*/{1});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->recorded, ElementsAre(chunks[0].chunk_id));
  EXPECT_THAT(first->fenced, IsEmpty());
  EXPECT_EQ(Credits("alice-token"), 7);  // 4 reserved, 1 released

  ASSERT_TRUE(RecordAll("a", chunks[1]).ok());
  EXPECT_EQ(Credits("alice-token"), 7);  // charged: the reservation became final

  absl::StatusOr<v1::Job> job = store().Get("j1", kAlice.OwnerKey());
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->succeeded(), 3);
  EXPECT_EQ(job->failed(), 1);
  ASSERT_EQ(job->results_size(), 3);
  EXPECT_EQ(job->results(0).index(), 0);
  EXPECT_EQ(job->results(1).index(), 2);
  EXPECT_EQ(job->results(2).original(), "j1-c3");
  ASSERT_EQ(job->failures_size(), 1);
  EXPECT_EQ(job->failures(0).index(), 1);
  EXPECT_EQ(FromRpcStatus(job->failures(0).status()).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(job->has_finish_time());
  EXPECT_EQ(job->last_sequence(), 7);

  const std::vector<v1::JobEvent> events = AllEvents("j1");
  EXPECT_THAT(Kinds(events), ElementsAre("u:JOB_STATE_PENDING", "u:JOB_STATE_RUNNING", "r0", "f1",
                                         "r2", "r3", "u:JOB_STATE_SUCCEEDED"));
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  // Published, in order, exactly what is stored.
  const std::vector<v1::JobEvent> published = sink().Events("j1");
  ASSERT_EQ(published.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(published[i].SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST_P(JobStoreConformanceTest, AJobWhoseItemsAllFailedEndsFailedWithTheReason) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2, 2).ok());
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_TRUE(RecordAll("a", chunks[0], {0, 1}).ok());
  absl::StatusOr<v1::Job> job = store().Get("j1", kAlice.OwnerKey());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(ErrorReason(FromRpcStatus(job->error())), "LLM_UNAVAILABLE");
  EXPECT_EQ(Credits("alice-token"), 10);
}

TEST_P(JobStoreConformanceTest, ResultsOfAnotherOwnerOrAnOldTokenAreFencedOut) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2, 2).ok());
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 1u);

  absl::StatusOr<RecordResult> other = RecordAll("b", chunks[0]);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(other->recorded, IsEmpty());
  EXPECT_THAT(other->fenced, ElementsAre(chunks[0].chunk_id));

  Chunk stale = chunks[0];
  --stale.token;
  absl::StatusOr<RecordResult> old = RecordAll("a", stale);
  ASSERT_TRUE(old.ok());
  EXPECT_THAT(old->fenced, ElementsAre(chunks[0].chunk_id));
  EXPECT_EQ(AllEvents("j1").size(), 2u);  // pending, running: nothing recorded
  EXPECT_EQ(Credits("alice-token"), 8);

  // The owner with the current token records once; a replay is fenced and changes nothing.
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());
  absl::StatusOr<RecordResult> replay = RecordAll("a", chunks[0]);
  ASSERT_TRUE(replay.ok());
  EXPECT_THAT(replay->fenced, ElementsAre(chunks[0].chunk_id));
  EXPECT_EQ(AllEvents("j1").size(), 5u);
  EXPECT_EQ(Credits("alice-token"), 8);
}

TEST_P(JobStoreConformanceTest, ABatchRecordsItsLiveChunksAndFencesTheRest) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2, 1).ok());
  ASSERT_TRUE(Submit("j2", kAlice, 2, 1).ok());
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 4u);
  std::vector<ChunkOutcome> outcomes;
  for (const Chunk& chunk : chunks) {
    v1::CitationResult result;
    result.set_original(chunk.citations[0]);
    result.set_valid(true);
    outcomes.push_back({chunk.job_id, chunk.chunk_id, chunk.token, {{chunk.indices[0], result}}});
  }
  outcomes[1].token += 7;  // not this claim's token
  absl::StatusOr<RecordResult> recorded = store().Record("a", outcomes, now());
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->recorded.size(), 3u);
  EXPECT_THAT(recorded->fenced, ElementsAre(chunks[1].chunk_id));
  EXPECT_EQ(Credits("alice-token"), 6);  // 4 reserved, 3 charged, 1 still reserved
}

TEST_P(JobStoreConformanceTest, HandedBackChunksAreClaimedAgainWithANewToken) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2, 2).ok());
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_TRUE(store().HandBack("a", chunks).ok());
  std::vector<Chunk> again = Claim("b", 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].chunk_id, chunks[0].chunk_id);
  EXPECT_GT(again[0].token, chunks[0].token);
  EXPECT_THAT(RecordAll("a", chunks[0])->fenced, ElementsAre(chunks[0].chunk_id));
  EXPECT_THAT(RecordAll("b", again[0])->recorded, ElementsAre(chunks[0].chunk_id));
  // A handback of a chunk no longer held is ignored.
  EXPECT_TRUE(store().HandBack("a", chunks).ok());
  EXPECT_THAT(Claim("a", 10), IsEmpty());
}

// ---- Cancelling and deadlines ----------------------------------------------------------------

TEST_P(JobStoreConformanceTest, CancelReleasesWhatWasNotCheckedAndFencesRunningChunks) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 6, 2).ok());
  std::vector<Chunk> chunks = Claim("a", 2);
  ASSERT_EQ(chunks.size(), 2u);
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());
  Advance(absl::Seconds(1));
  absl::StatusOr<v1::Job> cancelled = store().Cancel("j1", kAlice.OwnerKey(), now());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled->succeeded(), 2);
  EXPECT_EQ(cancelled->results_size(), 2);
  EXPECT_EQ(FromTimestamp(cancelled->finish_time()), now());
  EXPECT_EQ(Credits("alice-token"), 8);  // 2 charged, 4 released
  // The running chunk's late answers are fenced out, never charged; queued ones are gone.
  EXPECT_THAT(RecordAll("a", chunks[1])->fenced, ElementsAre(chunks[1].chunk_id));
  EXPECT_THAT(Claim("a", 10), IsEmpty());
  EXPECT_EQ(Credits("alice-token"), 8);
  EXPECT_THAT(Kinds(AllEvents("j1")), ElementsAre("u:JOB_STATE_PENDING", "u:JOB_STATE_RUNNING",
                                                  "r0", "r1", "u:JOB_STATE_CANCELLED"));
  // A later GetJob shows what CancelJob returned; a second cancel changes nothing.
  absl::StatusOr<v1::Job> got = store().Get("j1", kAlice.OwnerKey());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), cancelled->SerializeAsString());
  Advance(absl::Seconds(1));
  absl::StatusOr<v1::Job> again = store().Cancel("j1", kAlice.OwnerKey(), now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), cancelled->SerializeAsString());
}

TEST_P(JobStoreConformanceTest, OnlyTheOwnerSeesOrCancelsAJob) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2).ok());
  for (const absl::Status& status :
       {store().Get("j1", kBob.OwnerKey()).status(), store().Head("j1", kBob.OwnerKey()).status(),
        store().Cancel("j1", kBob.OwnerKey(), now()).status(),
        store().Get("nope", kAlice.OwnerKey()).status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
    EXPECT_EQ(ErrorReason(status), "JOB_NOT_FOUND");
  }
  absl::StatusOr<JobHead> head = store().Head("j1", kAlice.OwnerKey());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->last_sequence, 1);
  EXPECT_FALSE(head->terminal);
  EXPECT_EQ(Credits("alice-token"), 8);
}

TEST_P(JobStoreConformanceTest, ExpiredJobsFailWhatIsUncheckedAndFenceRunningChunks) {
  Grant("alice-token", 10);
  NewJob spec = Job("j1", kAlice, 4, 2);
  spec.deadline = now() + absl::Minutes(1);
  ASSERT_TRUE(store().Submit(spec).ok());
  NewJob none = Job("j2", kAlice, 2, 2);
  none.deadline = now() + absl::Minutes(1);
  ASSERT_TRUE(store().Submit(none).ok());
  ASSERT_TRUE(Submit("j3", kAlice, 2, 2).ok());  // 30 minutes: not expired
  std::vector<Chunk> chunks = Claim("a", 2);
  ASSERT_EQ(JobIds(chunks), (std::vector<std::string>{"j1", "j2"}));
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());

  Advance(absl::Seconds(59));
  EXPECT_EQ(*store().ExpireDeadlines(now(), 10), 0);
  Advance(absl::Seconds(2));
  absl::StatusOr<int> ended = store().ExpireDeadlines(now(), 10);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(*ended, 2);
  absl::StatusOr<v1::Job> j1 = store().Get("j1", kAlice.OwnerKey());
  ASSERT_TRUE(j1.ok());
  EXPECT_EQ(j1->state(), v1::JOB_STATE_SUCCEEDED);  // something was checked
  EXPECT_EQ(j1->succeeded(), 2);
  EXPECT_EQ(j1->failed(), 2);
  EXPECT_EQ(ErrorReason(FromRpcStatus(j1->failures(0).status())), "JOB_DEADLINE_EXCEEDED");
  absl::StatusOr<v1::Job> j2 = store().Get("j2", kAlice.OwnerKey());
  ASSERT_TRUE(j2.ok());
  EXPECT_EQ(j2->state(), v1::JOB_STATE_FAILED);  // nothing was checked
  EXPECT_EQ(ErrorReason(FromRpcStatus(j2->error())), "JOB_DEADLINE_EXCEEDED");
  EXPECT_THAT(RecordAll("a", chunks[1])->fenced, ElementsAre(chunks[1].chunk_id));
  // j1: 2 charged; j2: released; j3: 2 reserved.
  EXPECT_EQ(Credits("alice-token"), 6);
  EXPECT_THAT(JobIds(Claim("a", 10)), ElementsAre("j3"));
  EXPECT_EQ(*store().ExpireDeadlines(now(), 10), 0);
}

// ---- Reading ---------------------------------------------------------------------------------

TEST_P(JobStoreConformanceTest, EventsAreReadInPagesAfterASequence) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 4, 4).ok());
  std::vector<Chunk> chunks = Claim("a", 1);
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());
  EXPECT_THAT(Sequences(*store().ReadEvents("j1", 0, 3)), ElementsAre(1, 2, 3));
  EXPECT_THAT(Sequences(*store().ReadEvents("j1", 3, 3)), ElementsAre(4, 5, 6));
  EXPECT_THAT(Sequences(*store().ReadEvents("j1", 6, 3)), ElementsAre(7));
  EXPECT_THAT(*store().ReadEvents("j1", 7, 3), IsEmpty());
  EXPECT_THAT(*store().ReadEvents("unknown", 0, 3), IsEmpty());
  const std::vector<v1::JobEvent> events = AllEvents("j1");
  EXPECT_EQ(events[3].result().original(), "j1-c1");
  EXPECT_EQ(events[3].job_id(), "j1");
  EXPECT_EQ(FromTimestamp(events[3].time()), now());
}

TEST_P(JobStoreConformanceTest, HeadsOfExistingJobsSayWhetherTheyEnded) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2).ok());
  ASSERT_TRUE(Submit("j2", kAlice, 2).ok());
  ASSERT_TRUE(store().Cancel("j2", kAlice.OwnerKey(), now()).ok());
  absl::StatusOr<std::vector<JobHead>> heads =
      store().ReadHeads(std::vector<std::string>{"j1", "j2", "j3"});
  ASSERT_TRUE(heads.ok()) << heads.status();
  std::vector<std::string> seen;
  for (const JobHead& head : *heads) {
    seen.push_back(absl::StrCat(head.job_id, ":", head.last_sequence, ":", head.terminal));
  }
  EXPECT_THAT(seen, UnorderedElementsAre("j1:1:0", "j2:2:1"));
}

TEST_P(JobStoreConformanceTest, ListingIsNewestFirstInPagesWithAFilter) {
  Grant("alice-token", 100);
  Grant("bob-token", 100);
  // j0..j4 a second apart; j5 and j6 at the same instant (ties by job id, descending).
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Submit(absl::StrCat("j", i), kAlice, 1).ok());
    Advance(absl::Seconds(1));
  }
  ASSERT_TRUE(Submit("j5", kAlice, 1).ok());
  ASSERT_TRUE(Submit("j6", kAlice, 1).ok());
  ASSERT_TRUE(Submit("b0", kBob, 1).ok());
  ASSERT_TRUE(store().Cancel("j1", kAlice.OwnerKey(), now()).ok());
  ASSERT_TRUE(store().Cancel("j4", kAlice.OwnerKey(), now()).ok());

  std::vector<std::string> order;
  JobListQuery query;
  query.limit = 3;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<JobPage> got = store().List(kAlice.OwnerKey(), query);
    ASSERT_TRUE(got.ok()) << got.status();
    for (const v1::Job& job : got->jobs) {
      order.push_back(job.job_id());
      EXPECT_EQ(job.results_size(), 0);
    }
    if (!got->next.has_value()) {
      EXPECT_LE(got->jobs.size(), 3u);
      break;
    }
    EXPECT_EQ(got->jobs.size(), 3u);  // every page but the last is full
    query.after = got->next;
  }
  EXPECT_THAT(order, ElementsAre("j6", "j5", "j4", "j3", "j2", "j1", "j0"));

  JobListQuery cancelled;
  cancelled.state = v1::JOB_STATE_CANCELLED;
  cancelled.limit = 50;
  absl::StatusOr<JobPage> filtered = store().List(kAlice.OwnerKey(), cancelled);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->jobs.size(), 2u);
  EXPECT_EQ(filtered->jobs[0].job_id(), "j4");
  EXPECT_EQ(filtered->jobs[1].job_id(), "j1");
  EXPECT_FALSE(filtered->next.has_value());
  // A position whose job is gone still works.
  JobListQuery after_gone;
  after_gone.after = JobPosition{now() - absl::Seconds(2) - absl::Microseconds(1), "zzz"};
  absl::StatusOr<JobPage> rest = store().List(kAlice.OwnerKey(), after_gone);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->jobs.size(), 3u);
  EXPECT_EQ(rest->jobs[0].job_id(), "j2");
}

TEST_P(JobStoreConformanceTest, RetentionRemovesFinishedJobsAndTheirRequestIds) {
  Grant("alice-token", 100);
  NewJob old = Job("old", kAlice, 1);
  old.request_id = "req";
  ASSERT_TRUE(store().Submit(old).ok());
  ASSERT_TRUE(store().Cancel("old", kAlice.OwnerKey(), now()).ok());
  ASSERT_TRUE(Submit("running", kAlice, 1).ok());
  Advance(absl::Hours(2));
  ASSERT_TRUE(Submit("recent", kAlice, 1).ok());
  ASSERT_TRUE(store().Cancel("recent", kAlice.OwnerKey(), now()).ok());

  absl::StatusOr<int> removed = store().Sweep(now() - absl::Hours(1), 10);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(store().Get("old", kAlice.OwnerKey()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(*store().ReadEvents("old", 0, 10), IsEmpty());
  EXPECT_TRUE(store().Get("running", kAlice.OwnerKey()).ok());
  EXPECT_TRUE(store().Get("recent", kAlice.OwnerKey()).ok());
  // The request id is free again: the same id makes a new job.
  NewJob again = Job("new", kAlice, 1);
  again.request_id = "req";
  absl::StatusOr<v1::Job> made = store().Submit(again);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->job_id(), "new");
  EXPECT_EQ(*store().Sweep(now() - absl::Hours(1), 10), 0);
}

TEST_P(JobStoreConformanceTest, ThePageTokenKeyIsStable) {
  absl::StatusOr<std::string> key = store().PageTokenKey();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 32u);
  EXPECT_EQ(*store().PageTokenKey(), *key);
}

// ---- Replicas --------------------------------------------------------------------------------

TEST_P(JobStoreConformanceTest, ARestartUnderTheSameNameTakesItsChunksBack) {
  Grant("alice-token", 10);
  absl::StatusOr<ReplicaRegistration> first = store().RegisterReplica("a", now());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->requeued_chunks, 0);
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());
  std::vector<Chunk> held = Claim("a", 10);
  ASSERT_EQ(held.size(), 2u);
  // The process died (no UnregisterReplica: that is a clean shutdown's, which hands back).

  absl::StatusOr<ReplicaRegistration> again = store().RegisterReplica("a", now());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->incarnation, first->incarnation);
  EXPECT_EQ(again->requeued_chunks, 2);
  EXPECT_EQ(again->worker_lost_chunks, 0);
  EXPECT_THAT(RecordAll("a", held[0])->fenced, ElementsAre(held[0].chunk_id));
  std::vector<Chunk> retaken = Claim("a", 10);
  ASSERT_EQ(retaken.size(), 2u);
  for (const Chunk& chunk : retaken) ASSERT_TRUE(RecordAll("a", chunk).ok());
  EXPECT_EQ(store().Get("j1", kAlice.OwnerKey())->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Credits("alice-token"), 6);
}

TEST_P(JobStoreConformanceTest, UnregisteringHandsBackWhatTheReplicaStillHolds) {
  Grant("alice-token", 10);
  absl::StatusOr<ReplicaRegistration> a = store().RegisterReplica("a", now());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());
  std::vector<Chunk> held = Claim("a", 10);
  ASSERT_EQ(held.size(), 2u);
  ASSERT_TRUE(store().UnregisterReplica("a", a->incarnation).ok());
  // Queued again, not a death: another replica claims them under new tokens.
  EXPECT_THAT(RecordAll("a", held[0])->fenced, ElementsAre(held[0].chunk_id));
  std::vector<Chunk> taken = Claim("b", 10);
  ASSERT_EQ(taken.size(), 2u);
  for (const Chunk& chunk : taken) ASSERT_TRUE(RecordAll("b", chunk).ok());
  EXPECT_EQ(store().Get("j1", kAlice.OwnerKey())->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Credits("alice-token"), 6);
}

TEST_P(JobStoreConformanceTest, AChunkWhoseHoldersDieThreeTimesFailsWithWorkerLost) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("poison", kAlice, 2, 2).ok());
  for (int death = 1; death <= 3; ++death) {
    absl::StatusOr<ReplicaRegistration> registration = store().RegisterReplica("a", now());
    ASSERT_TRUE(registration.ok()) << registration.status();
    EXPECT_EQ(registration->requeued_chunks, death == 1 ? 0 : 1);
    ASSERT_EQ(Claim("a", 10).size(), 1u) << death;
  }
  absl::StatusOr<ReplicaRegistration> last = store().RegisterReplica("a", now());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->requeued_chunks, 1);
  EXPECT_EQ(last->worker_lost_chunks, 1);
  absl::StatusOr<v1::Job> job = store().Get("poison", kAlice.OwnerKey());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_FAILED);
  ASSERT_EQ(job->failures_size(), 2);
  EXPECT_EQ(ErrorReason(FromRpcStatus(job->failures(0).status())), "WORKER_LOST");
  EXPECT_EQ(Credits("alice-token"), 10);  // released, never charged
  EXPECT_THAT(Claim("a", 10), IsEmpty());
}

TEST_P(JobStoreConformanceTest, AChunkClaimedTwiceStillSucceeds) {
  Grant("alice-token", 10);
  ASSERT_TRUE(Submit("j1", kAlice, 2, 2).ok());
  ASSERT_TRUE(store().RegisterReplica("a", now()).ok());
  ASSERT_EQ(Claim("a", 10).size(), 1u);
  ASSERT_TRUE(store().RegisterReplica("a", now()).ok());  // died once
  std::vector<Chunk> second = Claim("a", 10);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_TRUE(RecordAll("a", second[0]).ok());
  EXPECT_EQ(store().Get("j1", kAlice.OwnerKey())->state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_P(JobStoreConformanceTest, ASilentReplicaIsSweptAndLosesItsLease) {
  Grant("alice-token", 10);
  absl::StatusOr<ReplicaRegistration> a = store().RegisterReplica("a", now());
  absl::StatusOr<ReplicaRegistration> b = store().RegisterReplica("b", now());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(Submit("j1", kAlice, 4, 2).ok());
  std::vector<Chunk> held = Claim("a", 10);
  ASSERT_EQ(held.size(), 2u);

  Advance(absl::Seconds(10));
  ASSERT_TRUE(store().Heartbeat("b", b->incarnation, now()).ok());
  // Not silent long enough yet.
  EXPECT_EQ(*store().SweepDeadReplicas("b", now(), absl::Seconds(30)), 0);
  // A replica never sweeps itself.
  EXPECT_EQ(*store().SweepDeadReplicas("a", now(), absl::Seconds(5)), 0);
  absl::StatusOr<int> swept = store().SweepDeadReplicas("b", now(), absl::Seconds(5));
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 2);

  const absl::Status lost = store().Heartbeat("a", a->incarnation, now());
  EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition) << lost;
  EXPECT_THAT(RecordAll("a", held[0])->fenced, ElementsAre(held[0].chunk_id));
  std::vector<Chunk> taken = Claim("b", 10);
  ASSERT_EQ(taken.size(), 2u);
  for (const Chunk& chunk : taken) ASSERT_TRUE(RecordAll("b", chunk).ok());
  EXPECT_EQ(Credits("alice-token"), 6);
  EXPECT_EQ(*store().SweepDeadReplicas("b", now(), absl::Seconds(5)), 0);
}

TEST_P(JobStoreConformanceTest, HeartbeatsKeepTheLease) {
  absl::StatusOr<ReplicaRegistration> a = store().RegisterReplica("a", now());
  ASSERT_TRUE(a.ok());
  absl::StatusOr<ReplicaRegistration> b = store().RegisterReplica("b", now());
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 5; ++i) {
    Advance(absl::Seconds(3));
    ASSERT_TRUE(store().Heartbeat("a", a->incarnation, now()).ok());
    ASSERT_TRUE(store().Heartbeat("b", b->incarnation, now()).ok());
  }
  EXPECT_EQ(*store().SweepDeadReplicas("b", now(), absl::Seconds(5)), 0);
  EXPECT_TRUE(store().Heartbeat("a", a->incarnation, now()).ok());
  EXPECT_EQ(store().Heartbeat("a", a->incarnation + 1, now()).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store().UnregisterReplica("a", a->incarnation).ok());
  EXPECT_EQ(store().Heartbeat("a", a->incarnation, now()).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace citecheck

namespace citecheck {
namespace {

// A document job: 3 references, 4 in-text citations (2 per chunk).
NewJob DocumentJob(NewJob job) {
  job.document = true;
  job.inline_per_chunk = 2;
  for (int i = 0; i < 4; ++i) {
    job.inline_citations.push_back({absl::StrCat("(Author", i, ", 2020)"), 100 + 10 * i});
  }
  return job;
}

// The verdict the checker would give in-text citation `index` of `chunk` (item i).
ItemOutcome Verdict(const Chunk& chunk, size_t i, int reference) {
  ItemOutcome outcome;
  outcome.index = chunk.indices[i];
  v1::InlineCitation citation;
  citation.set_index(chunk.indices[i]);
  citation.set_text(chunk.citations[i]);
  citation.set_offset(chunk.offsets[i]);
  if (reference >= 0) {
    citation.set_match(v1::MATCH_STATUS_MATCHED);
    citation.add_reference_indices(reference);
  } else {
    citation.set_match(v1::MATCH_STATUS_NOT_FOUND);
  }
  outcome.inline_citation = citation;
  return outcome;
}

}  // namespace

TEST_P(JobStoreConformanceTest, ADocumentsInTextCitationsAreMatchedAndNeverCharged) {
  Grant("alice-token", 10);
  absl::StatusOr<v1::Job> job = store().Submit(DocumentJob(Job("doc", kAlice, 3, 3)));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->inline_total(), 4);
  EXPECT_FALSE(job->inline_skipped());
  EXPECT_EQ(Credits("alice-token"), 7);  // the references only

  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 3u);  // one of references, two of in-text citations
  EXPECT_EQ(chunks[0].kind, ItemKind::kReference);
  EXPECT_EQ(chunks[1].kind, ItemKind::kInline);
  EXPECT_THAT(chunks[1].indices, ElementsAre(0, 1));
  EXPECT_THAT(chunks[1].citations, ElementsAre("(Author0, 2020)", "(Author1, 2020)"));
  EXPECT_THAT(chunks[1].offsets, ElementsAre(100, 110));
  EXPECT_THAT(chunks[1].references, ElementsAre("doc-c0", "doc-c1", "doc-c2"));
  EXPECT_THAT(chunks[2].indices, ElementsAre(2, 3));

  // In-text verdicts: c0 → reference 0, c1 → reference 0, c2 not found, c3 → reference 2.
  ChunkOutcome first{"doc",
                     chunks[1].chunk_id,
                     chunks[1].token,
                     {Verdict(chunks[1], 0, 0), Verdict(chunks[1], 1, 0)}};
  ASSERT_TRUE(store().Record("a", {first}, now()).ok());
  ChunkOutcome second{"doc",
                      chunks[2].chunk_id,
                      chunks[2].token,
                      {Verdict(chunks[2], 0, -1), Verdict(chunks[2], 1, 2)}};
  ASSERT_TRUE(store().Record("a", {second}, now()).ok());
  EXPECT_EQ(store().Get("doc", kAlice.OwnerKey())->state(), v1::JOB_STATE_RUNNING);
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());

  absl::StatusOr<v1::Job> done = store().Get("doc", kAlice.OwnerKey());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done->succeeded(), 3);
  ASSERT_EQ(done->inline_citations_size(), 4);
  EXPECT_EQ(done->inline_citations(2).match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_EQ(done->inline_citations(3).offset(), 130);
  EXPECT_THAT(done->uncited_references(), ElementsAre(1));
  EXPECT_EQ(Credits("alice-token"), 7);  // 3 references charged, in-text citations free

  const std::vector<v1::JobEvent> events = AllEvents("doc");
  ASSERT_FALSE(events.empty());
  int inline_events = 0;
  for (const v1::JobEvent& event : events) inline_events += event.has_inline_citation() ? 1 : 0;
  EXPECT_EQ(inline_events, 4);
  EXPECT_EQ(events[4].inline_citation().text(), "(Author2, 2020)");  // after pending, running
  const v1::Job& terminal = events.back().job_update();
  EXPECT_EQ(terminal.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_THAT(terminal.uncited_references(), ElementsAre(1));
  EXPECT_EQ(terminal.inline_citations_size(), 0);  // updates carry no items
  // Published as stored.
  const std::vector<v1::JobEvent> published = sink().Events("doc");
  ASSERT_EQ(published.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(published[i].SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST_P(JobStoreConformanceTest, APartialDocumentSkipsItsInTextCitations) {
  Grant("alice-token", 2);
  absl::StatusOr<v1::Job> job = store().Submit(DocumentJob(Job("doc", kAlice, 3, 3)));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(job->partial());
  EXPECT_TRUE(job->inline_skipped());
  EXPECT_EQ(job->inline_total(), 4);
  std::vector<Chunk> chunks = Claim("a", 10);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].kind, ItemKind::kReference);
  ASSERT_TRUE(RecordAll("a", chunks[0]).ok());
  absl::StatusOr<v1::Job> done = store().Get("doc", kAlice.OwnerKey());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done->inline_citations_size(), 0);
  EXPECT_EQ(done->uncited_references_size(), 0);  // unknown: nothing was matched
}

TEST_P(JobStoreConformanceTest, ExpiredOrCancelledDocumentsEndTheirInTextCitationsToo) {
  Grant("alice-token", 10);
  NewJob expiring = DocumentJob(Job("exp", kAlice, 2, 2));
  expiring.deadline = now() + absl::Minutes(1);
  ASSERT_TRUE(store().Submit(expiring).ok());
  ASSERT_TRUE(store().Submit(DocumentJob(Job("cxl", kAlice, 2, 2))).ok());
  Advance(absl::Minutes(2));
  ASSERT_EQ(*store().ExpireDeadlines(now(), 10), 1);
  absl::StatusOr<v1::Job> expired = store().Get("exp", kAlice.OwnerKey());
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->state(), v1::JOB_STATE_FAILED);
  ASSERT_EQ(expired->inline_citations_size(), 4);
  EXPECT_EQ(expired->inline_citations(1).match(), v1::MATCH_STATUS_UNSPECIFIED);
  EXPECT_EQ(ErrorReason(FromRpcStatus(expired->inline_citations(1).error())),
            "JOB_DEADLINE_EXCEEDED");
  EXPECT_EQ(expired->inline_citations(1).offset(), 110);
  EXPECT_EQ(expired->inline_citations(1).text(), "(Author1, 2020)");

  absl::StatusOr<v1::Job> cancelled = store().Cancel("cxl", kAlice.OwnerKey(), now());
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->inline_citations_size(), 0);
  EXPECT_THAT(Claim("a", 10), IsEmpty());
  EXPECT_EQ(Credits("alice-token"), 10);
}

}  // namespace citecheck
