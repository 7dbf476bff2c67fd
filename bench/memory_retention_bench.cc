// Benchmark (not a test) of the memory store's retention (--store=memory): rounds of --jobs jobs
// of --citations citations each, paid by one credit account and by --free_users free users behind
// as many addresses, are submitted, claimed and recorded through MemoryJobStore, then swept as
// retention does (MemoryJobStore::Sweep, which makes the account store forget them). The heap in
// use (mallinfo2: uordblks + hblkhd) is reported at start, when each round's jobs have finished
// and after its sweep. See docs/PERFORMANCE.md ("Memory store retention").
//
//   memory_retention_bench [--rounds=3] [--jobs=20000] [--citations=10] [--free_users=100]

#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/accounts/memory_account_store.h"
#include "server/jobs/memory_job_store.h"

ABSL_FLAG(int, rounds, 3, "rounds of submit, check, sweep");
ABSL_FLAG(int, jobs, 20000, "jobs per round");
ABSL_FLAG(int, citations, 10, "citations per job");
ABSL_FLAG(int, free_users, 100,
          "free users (each behind its own address); every other job is free");

namespace citecheck {
namespace {

class DiscardingSink final : public EventSink {
 public:
  void Publish(const std::string&, std::vector<v1::JobEvent>) override {}
};

double HeapMiB() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

Caller RoundCaller(int job, int free_users) {
  if (job % 2 == 0) return Caller::ForAccount("bench-account");
  Caller caller = Caller::ForFreeUser(absl::StrCat("user-", job % free_users));
  caller.address_key = absl::StrCat("ip4:198.51.100.", job % free_users);
  return caller;
}

int Run() {
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int jobs = absl::GetFlag(FLAGS_jobs);
  const int citations = absl::GetFlag(FLAGS_citations);
  const int free_users = absl::GetFlag(FLAGS_free_users);
  // Quotas wide enough that every citation is accepted: the bench measures what is kept.
  const int64_t total = static_cast<int64_t>(rounds) * jobs * citations;
  QuotaRules rules;
  rules.free_limit = static_cast<int>(total);
  rules.free_address_daily_limit = static_cast<int>(total);
  JobStoreOptions options;
  options.max_queued_chunks = jobs + 1;
  MemoryAccountStore accounts(rules);
  DiscardingSink sink;
  MemoryJobStore store(options, &accounts, &sink);
  absl::Time now = absl::FromUnixSeconds(1798804800);  // 2027-01-01 12:00:00 UTC
  if (!accounts.GrantCredits("bench-account", total, "bench-order", now).ok()) return 1;

  std::printf("%d rounds of %d jobs x %d citations (%d free users)\n", rounds, jobs, citations,
              free_users);
  std::printf("heap at start: %.1f MiB\n", HeapMiB());
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < jobs; ++i) {
      NewJob job;
      job.job_id = absl::StrCat("round", round, "-job", i);
      job.caller = RoundCaller(i, free_users);
      job.input_fingerprint = job.job_id;
      job.model = "bench";
      for (int c = 0; c < citations; ++c) job.citations.push_back(absl::StrCat("citation ", c));
      job.citations_per_chunk = citations;
      job.create_time = now;
      job.deadline = now + absl::Hours(1);
      if (absl::StatusOr<v1::Job> made = store.Submit(job); !made.ok()) {
        std::fprintf(stderr, "submit: %s\n", made.status().ToString().c_str());
        return 1;
      }
    }
    for (;;) {
      absl::StatusOr<std::vector<Chunk>> chunks = store.Claim("bench", 256, now);
      if (!chunks.ok() || chunks->empty()) break;
      std::vector<ChunkOutcome> outcomes;
      for (const Chunk& chunk : *chunks) {
        ChunkOutcome outcome{chunk.job_id, chunk.chunk_id, chunk.token, {}};
        for (size_t i = 0; i < chunk.indices.size(); ++i) {
          v1::CitationResult result;
          result.set_original(chunk.citations[i]);
          result.set_valid(true);
          outcome.items.emplace_back(chunk.indices[i], result);
        }
        outcomes.push_back(std::move(outcome));
      }
      if (!store.Record("bench", std::move(outcomes), now).ok()) return 1;
    }
    const double finished = HeapMiB();
    now += absl::Minutes(10);
    absl::StatusOr<int> swept = store.Sweep(now, jobs + 1);
    if (!swept.ok() || *swept != jobs) {
      std::fprintf(stderr, "sweep removed %d of %d jobs\n", swept.ok() ? *swept : -1, jobs);
      return 1;
    }
    std::printf("round %d: heap %.1f MiB with its jobs finished, %.1f MiB after the sweep\n",
                round + 1, finished, HeapMiB());
  }
  return 0;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::Run();
}
