#include "server/jobs/memory_job_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;

NewJob MakeJob(const std::string& id, int total, int accepted, int per_chunk = 5,
               const std::string& owner = "free:alice") {
  NewJob job;
  job.job_id = id;
  job.owner_key = owner;
  for (int i = 0; i < total; ++i) job.citations.push_back(id + "-c" + std::to_string(i));
  job.reservation.accepted = accepted;
  job.reservation.locked = total - accepted;
  job.citations_per_chunk = per_chunk;
  job.create_time = absl::FromUnixSeconds(1000);
  job.deadline = job.create_time + absl::Minutes(30);
  return job;
}

std::vector<v1::JobEvent> AllEvents(MemoryJobStore& store, const std::string& id,
                                    const std::string& owner = "free:alice") {
  auto log = store.Events(id, owner);
  std::vector<v1::JobEvent> events;
  if (log.ok()) (*log)->Read(0, 10000, &events);
  return events;
}

std::vector<ItemOutcome> AllValid(const Chunk& chunk) {
  std::vector<ItemOutcome> outcomes;
  for (size_t i = 0; i < chunk.indices.size(); ++i) {
    v1::CitationResult result;
    result.set_original(chunk.citations[i]);
    result.set_valid(true);
    outcomes.push_back({chunk.indices[i], result});
  }
  return outcomes;
}

TEST(MemoryJobStoreTest, JobWithNothingAcceptedIsCreatedSucceededWithOneEvent) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  auto job = store.Create(MakeJob("j", 3, 0));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->locked(), 3);
  EXPECT_TRUE(job->partial());
  EXPECT_EQ(job->last_sequence(), 1);
  auto events = AllEvents(store, "j");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].job_update().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(store.Claim(10, absl::Now()).empty());
}

TEST(MemoryJobStoreTest, CutsAcceptedCitationsIntoChunks) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("j", 14, 12, 5)).ok());
  auto chunks = store.Claim(10, absl::Now());
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_THAT(chunks[0].indices, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(chunks[1].indices, ElementsAre(5, 6, 7, 8, 9));
  EXPECT_THAT(chunks[2].indices, ElementsAre(10, 11));  // 12 and 13 are locked
  EXPECT_EQ(chunks[2].citations[1], "j-c11");
}

TEST(MemoryJobStoreTest, ClaimsTakeJobsInTurns) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("big", 6, 6, 1)).ok());
  ASSERT_TRUE(store.Create(MakeJob("small", 2, 2, 1)).ok());
  std::vector<std::string> order;
  for (const Chunk& c : store.Claim(100, absl::Now())) order.push_back(c.job_id);
  EXPECT_THAT(order, ElementsAre("big", "small", "big", "small", "big", "big", "big", "big"));
}

TEST(MemoryJobStoreTest, RecordingEveryItemFinishesTheJobWithEventsInOrder) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("j", 3, 3, 2)).ok());
  auto chunks = store.Claim(10, absl::FromUnixSeconds(1001));
  ASSERT_EQ(chunks.size(), 2u);
  auto first = store.Record("j", chunks[0].chunk_id, AllValid(chunks[0]), absl::Now());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].kind, Settlement::Kind::kCharge);
  std::vector<ItemOutcome> failed = {{2, MakeError(absl::StatusCode::kUnavailable,
                                                   reason::kLlmUnavailable, "down")}};
  auto second = store.Record("j", chunks[1].chunk_id, std::move(failed), absl::Now());
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].kind, Settlement::Kind::kRelease);

  auto events = AllEvents(store, "j");
  // PENDING, RUNNING, result 0, result 1, failure 2, SUCCEEDED.
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].job_update().state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(events[1].job_update().state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(events[2].result().index(), 0);
  EXPECT_EQ(events[3].result().index(), 1);
  EXPECT_EQ(events[4].failure().index(), 2);
  EXPECT_EQ(ErrorReason(FromRpcStatus(events[4].failure().status())), "LLM_UNAVAILABLE");
  EXPECT_EQ(events[5].job_update().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(events[5].job_update().last_sequence(), 6);
  EXPECT_EQ(events[5].job_update().results_size(), 0);  // updates carry no results

  auto job = store.Get("j", "free:alice");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->succeeded(), 2);
  EXPECT_EQ(job->failed(), 1);
  ASSERT_EQ(job->results_size(), 2);
  EXPECT_EQ(job->results(1).index(), 1);
  ASSERT_EQ(job->failures_size(), 1);
  EXPECT_TRUE(job->has_finish_time());
}

TEST(MemoryJobStoreTest, JobWhoseEveryItemFailedIsFailedWithTheReason) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("j", 1, 1)).ok());
  auto chunks = store.Claim(1, absl::Now());
  std::vector<ItemOutcome> failed = {{0, MakeError(absl::StatusCode::kUnavailable,
                                                   reason::kLlmUnavailable, "down")}};
  ASSERT_TRUE(store.Record("j", chunks[0].chunk_id, std::move(failed), absl::Now()).ok());
  auto job = store.Get("j", "free:alice");
  EXPECT_EQ(job->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(ErrorReason(FromRpcStatus(job->error())), "LLM_UNAVAILABLE");
}

TEST(MemoryJobStoreTest, CancelDropsQueuedChunksReleasesPendingAndDiscardsLateResults) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("j", 10, 10, 2)).ok());
  auto running = store.Claim(1, absl::Now());
  ASSERT_EQ(running.size(), 1u);
  auto cancelled = store.Cancel("j", "free:alice", absl::Now());
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->job.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled->dropped_chunks, 4);
  EXPECT_EQ(cancelled->releases.size(), 10u);  // the running chunk's answer will be discarded
  EXPECT_TRUE(running[0].cancelled->load());
  EXPECT_TRUE(store.Claim(10, absl::Now()).empty());

  auto late = store.Record("j", running[0].chunk_id, AllValid(running[0]), absl::Now());
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(late->empty());  // nothing charged
  auto job = store.Get("j", "free:alice");
  EXPECT_EQ(job->results_size(), 0);
  auto events = AllEvents(store, "j");
  EXPECT_EQ(events.back().job_update().state(), v1::JOB_STATE_CANCELLED);

  // Cancelling again returns the job unchanged.
  auto again = store.Cancel("j", "free:alice", absl::Now());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->releases.empty());
  EXPECT_EQ(AllEvents(store, "j").size(), events.size());
}

TEST(MemoryJobStoreTest, OtherOwnersGetNotFound) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  ASSERT_TRUE(store.Create(MakeJob("j", 1, 1)).ok());
  for (auto status : {store.Get("j", "free:bob").status(),
                      store.Cancel("j", "free:bob", absl::Now()).status(),
                      store.Events("j", "free:bob").status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(ErrorReason(status), "JOB_NOT_FOUND");
  }
  EXPECT_EQ(store.Get("nope", "free:alice").status().code(), absl::StatusCode::kNotFound);
}

TEST(MemoryJobStoreTest, RequestIdsAreRememberedPerOwnerUntilSwept) {
  MemoryAccountStore accounts{QuotaRules{}};
  MemoryJobStore store(&accounts);
  NewJob job = MakeJob("j", 1, 0);
  job.request_id = "r1";
  job.input_fingerprint = "fp";
  ASSERT_TRUE(store.Create(job).ok());
  auto entry = store.FindRequest("free:alice", "r1");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->job_id, "j");
  EXPECT_EQ(entry->input_fingerprint, "fp");
  EXPECT_FALSE(store.FindRequest("free:bob", "r1").has_value());
  job.job_id = "j2";
  EXPECT_EQ(store.Create(job).status().code(), absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(store.Sweep(absl::FromUnixSeconds(999)), 0);  // finished at 1000: kept
  EXPECT_EQ(store.Sweep(absl::FromUnixSeconds(1001)), 1);
  EXPECT_FALSE(store.FindRequest("free:alice", "r1").has_value());
  EXPECT_EQ(store.Get("j", "free:alice").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace citecheck
