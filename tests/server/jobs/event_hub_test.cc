#include "server/jobs/event_hub.h"

#include <atomic>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "server/jobs/event_poller.h"
#include "server/jobs/job_rules.h"
#include "server/jobs/memory_job_store.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::JobEvent Event(const std::string& job, int64_t sequence, bool terminal = false) {
  v1::Job snapshot;
  snapshot.set_job_id(job);
  snapshot.set_state(terminal ? v1::JOB_STATE_SUCCEEDED : v1::JOB_STATE_RUNNING);
  return JobUpdateEvent(snapshot, sequence, absl::FromUnixSeconds(sequence));
}

std::vector<v1::JobEvent> Events(const std::string& job, int64_t from, int64_t to) {
  std::vector<v1::JobEvent> events;
  for (int64_t s = from; s <= to; ++s) events.push_back(Event(job, s));
  return events;
}

std::vector<int64_t> Sequences(const std::vector<v1::JobEvent>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events) out.push_back(e.sequence());
  return out;
}

TEST(EventHubTest, EventsOfUnwatchedJobsAreDropped) {
  EventHub hub;
  hub.Publish("j", Events("j", 1, 3));
  EXPECT_EQ(hub.feeds(), 0);
  auto feed = hub.Follow({"j", 3, false});
  EXPECT_EQ(feed->delivered(), 3);
  std::vector<v1::JobEvent> out;
  // What came before the feed existed is in the store, not here.
  EXPECT_EQ(feed->Read(0, 10, &out), JobFeed::ReadResult::kNeedStore);
  EXPECT_EQ(feed->Read(3, 10, &out), JobFeed::ReadResult::kNothingNew);
}

TEST(EventHubTest, AFeedDeliversContiguousEventsAndTellsItsListeners) {
  EventHub hub;
  auto feed = hub.Follow({"j", 1, false});
  std::atomic<int> told{0};
  feed->Subscribe([&] { ++told; });
  hub.Publish("j", Events("j", 2, 4));
  EXPECT_EQ(told.load(), 1);
  EXPECT_EQ(feed->delivered(), 4);
  std::vector<v1::JobEvent> out;
  ASSERT_EQ(feed->Read(1, 10, &out), JobFeed::ReadResult::kEvents);
  EXPECT_THAT(Sequences(out), ElementsAre(2, 3, 4));
  ASSERT_EQ(feed->Read(2, 1, &out), JobFeed::ReadResult::kEvents);
  EXPECT_THAT(Sequences(out), ElementsAre(3));
  // Repeats are ignored and tell nobody.
  hub.Publish("j", Events("j", 3, 4));
  EXPECT_EQ(told.load(), 1);
  EXPECT_EQ(feed->delivered(), 4);
}

TEST(EventHubTest, EventsAfterAGapWaitForItAndAskForAPoll) {
  EventHub hub;
  auto feed = hub.Follow({"j", 1, false});
  hub.Publish("j", Events("j", 4, 5));  // 2 and 3 were committed by another replica
  EXPECT_EQ(feed->delivered(), 1);
  EXPECT_TRUE(hub.AwaitPollRequest(absl::ZeroDuration()));
  hub.Publish("j", Events("j", 2, 3));  // the poller's fetch
  EXPECT_EQ(feed->delivered(), 5);
  std::vector<v1::JobEvent> out;
  ASSERT_EQ(feed->Read(1, 10, &out), JobFeed::ReadResult::kEvents);
  EXPECT_THAT(Sequences(out), ElementsAre(2, 3, 4, 5));
}

TEST(EventHubTest, TheWindowKeepsOnlyTheLatestEvents) {
  EventHub hub(/*window=*/4);
  auto feed = hub.Follow({"j", 0, false});
  hub.Publish("j", Events("j", 1, 10));
  std::vector<v1::JobEvent> out;
  EXPECT_EQ(feed->Read(5, 10, &out), JobFeed::ReadResult::kNeedStore);
  ASSERT_EQ(feed->Read(6, 10, &out), JobFeed::ReadResult::kEvents);
  EXPECT_THAT(Sequences(out), ElementsAre(7, 8, 9, 10));
}

TEST(EventHubTest, EndedJobsAreNotPolledAndGoneFeedsAreForgotten) {
  EventHub hub;
  auto a = hub.Follow({"a", 0, false});
  auto b = hub.Follow({"b", 0, false});
  hub.Publish("b", {Event("b", 1, /*terminal=*/true)});
  EXPECT_TRUE(b->ended());
  std::vector<std::string> watched;
  for (const auto& [job, delivered] : hub.WatchedJobs()) watched.push_back(job);
  EXPECT_THAT(watched, ElementsAre("a"));
  a.reset();
  EXPECT_THAT(hub.WatchedJobs(), IsEmpty());
  EXPECT_EQ(hub.feeds(), 1);
}

TEST(EventPollerTest, BringsWhatAnotherReplicaCommittedToTheFeedsInOrder) {
  // Two "replicas" on one store: events the store publishes to another hub reach this one only
  // through the poller.
  MemoryAccountStore accounts{QuotaRules{}};
  EventHub elsewhere;
  MemoryJobStore store(JobStoreOptions{}, &accounts, &elsewhere);
  ASSERT_TRUE(accounts.GrantCredits("tok", 10, "o", absl::FromUnixSeconds(100)).ok());
  NewJob job;
  job.job_id = "j";
  job.caller = Caller::ForAccount("tok");
  job.model = "fake";
  job.citations = {"a", "b"};
  job.citations_per_chunk = 1;
  job.create_time = absl::FromUnixSeconds(100);
  job.deadline = absl::FromUnixSeconds(1000);
  ASSERT_TRUE(store.Submit(job).ok());

  EventHub here;
  EventPoller poller(&store, &here, absl::Hours(1));
  auto feed = here.Follow({"j", 1, false});
  absl::StatusOr<std::vector<Chunk>> chunks = store.Claim("b", 2, absl::FromUnixSeconds(101));
  ASSERT_TRUE(chunks.ok());
  for (const Chunk& chunk : *chunks) {
    v1::CitationResult result;
    result.set_valid(true);
    ASSERT_TRUE(store
                    .Record("b", {{"j", chunk.chunk_id, chunk.token, {{chunk.indices[0], result}}}},
                            absl::FromUnixSeconds(102))
                    .ok());
  }
  EXPECT_EQ(feed->delivered(), 1);
  poller.PollOnce();
  EXPECT_EQ(feed->delivered(), 5);  // running, two results, succeeded
  EXPECT_TRUE(feed->ended());
  std::vector<v1::JobEvent> out;
  ASSERT_EQ(feed->Read(1, 10, &out), JobFeed::ReadResult::kEvents);
  EXPECT_THAT(Sequences(out), ElementsAre(2, 3, 4, 5));
  EXPECT_TRUE(out[1].has_result());
}

}  // namespace
}  // namespace citecheck
