#include "server/jobs/event_log.h"

#include <atomic>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

v1::JobEvent ResultEvent(int index) {
  v1::JobEvent event;
  event.mutable_result()->set_index(index);
  return event;
}

TEST(EventLogTest, NumbersEventsFromOneWithoutGaps) {
  EventLog log("job_1");
  EXPECT_EQ(log.Append(ResultEvent(0), false), 1);
  log.AppendAll({ResultEvent(1), ResultEvent(2)}, false);
  EXPECT_EQ(log.Append(ResultEvent(3), true), 4);
  std::vector<v1::JobEvent> events;
  log.Read(0, 100, &events);
  ASSERT_EQ(events.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].job_id(), "job_1");
    EXPECT_EQ(events[i].result().index(), i);
  }
  EXPECT_EQ(log.last_sequence(), 4);
  EXPECT_TRUE(log.closed());
}

TEST(EventLogTest, ReplaysExactlyTheEventsAfterTheCursor) {
  EventLog log("job_1");
  for (int i = 0; i < 10; ++i) log.Append(ResultEvent(i), false);
  std::vector<v1::JobEvent> events;
  log.Read(7, 100, &events);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.front().sequence(), 8);
  EXPECT_EQ(events.back().sequence(), 10);
  log.Read(10, 100, &events);
  EXPECT_TRUE(events.empty());
  log.Read(2, 2, &events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sequence(), 3);
  EXPECT_EQ(events[1].sequence(), 4);
}

TEST(EventLogTest, NotifiesListenersUntilTheyUnsubscribe) {
  EventLog log("job_1");
  std::atomic<int> notified{0};
  int64_t id = log.Subscribe([&] { ++notified; });
  log.Append(ResultEvent(0), false);
  log.AppendAll({ResultEvent(1), ResultEvent(2)}, false);  // one notification for the batch
  EXPECT_EQ(notified.load(), 2);
  log.Unsubscribe(id);
  log.Append(ResultEvent(3), false);
  EXPECT_EQ(notified.load(), 2);
}

TEST(EventLogTest, ListenerMayReadTheLogWhileBeingNotified) {
  EventLog log("job_1");
  int64_t seen = 0;
  log.Subscribe([&] {
    std::vector<v1::JobEvent> events;
    log.Read(seen, 10, &events);
    if (!events.empty()) seen = events.back().sequence();
  });
  log.Append(ResultEvent(0), false);
  log.Append(ResultEvent(1), true);
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace citecheck
