#ifndef CITECHECK_SERVER_JOBS_JOB_METRICS_H_
#define CITECHECK_SERVER_JOBS_JOB_METRICS_H_

// What the job stores count in the citecheck_* families (server/common/service_metrics.h) once
// a step of theirs committed: the one place that turns a committed step into metrics, so that
// both stores count alike. Only a replica's own commits are counted (never events it read from
// the store), so the sums over replicas are the deployment's totals.

#include <string>
#include <utility>
#include <vector>

#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// The events a committed step made: results are checked and charged citations, failures are
// failed and released citations, terminal job_updates are finished jobs.
void CountCommittedEvents(
    const std::vector<std::pair<std::string, std::vector<v1::JobEvent>>>& outbox);

// A new job was created by SubmitBatch (not a replay): its style, locked citations and its
// reservation's ledger row.
void CountSubmittedJob(const v1::Job& job);

// A cancel released `released` reserved citations.
void CountCancelReleases(int released);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_METRICS_H_
