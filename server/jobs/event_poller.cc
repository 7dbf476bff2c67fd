#include "server/jobs/event_poller.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/common/logging.h"

namespace citecheck {
namespace {

constexpr size_t kHeadsPerQuery = 500;
constexpr int kEventsPerRead = 256;
constexpr int kReadsPerJobAndRound = 8;

}  // namespace

EventPoller::~EventPoller() { Stop(); }

void EventPoller::Start() {
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      hub_->AwaitPollRequest(interval_);
      if (stop_.HasBeenNotified()) break;
      PollOnce();
    }
  });
}

void EventPoller::Stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  hub_->RequestPoll();
  thread_.join();
}

void EventPoller::PollOnce() {
  std::vector<std::pair<std::string, int64_t>> watched = hub_->WatchedJobs();
  for (size_t begin = 0; begin < watched.size(); begin += kHeadsPerQuery) {
    const size_t end = std::min(watched.size(), begin + kHeadsPerQuery);
    std::vector<std::string> ids;
    absl::flat_hash_map<std::string, int64_t> delivered;
    for (size_t i = begin; i < end; ++i) {
      ids.push_back(watched[i].first);
      delivered[watched[i].first] = watched[i].second;
    }
    absl::StatusOr<std::vector<JobHead>> heads = store_->ReadHeads(ids);
    if (!heads.ok()) {
      spdlog::debug("event poller: reading heads failed: {}", heads.status().ToString());
      return;  // the next round tries again; open streams stay open
    }
    for (const JobHead& head : *heads) {
      int64_t after = delivered[head.job_id];
      for (int read = 0; read < kReadsPerJobAndRound && after < head.last_sequence; ++read) {
        absl::StatusOr<std::vector<v1::JobEvent>> events =
            store_->ReadEvents(head.job_id, after, kEventsPerRead);
        if (!events.ok() || events->empty()) break;
        after = events->back().sequence();
        hub_->Publish(head.job_id, *std::move(events));
      }
    }
  }
}

}  // namespace citecheck
