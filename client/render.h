#ifndef CITECHECK_CLIENT_RENDER_H_
#define CITECHECK_CLIENT_RENDER_H_

// Pure formatting of citecheck messages for the CLI: human-readable text and JSON lines. Every
// Format* function returns whole lines, each ending with '\n' (or "" when there is nothing to
// print), so callers can write them to a stream as they are.

#include <grpcpp/support/status.h>

#include <optional>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace citecheck::client {

// Converts the markup of corrections to terminal text: <em>/<i>/<u> x </…> becomes _x_,
// <strong>/<b> x </…> becomes **x**, every other tag is dropped and the common entities
// (&amp; &lt; &gt; &quot; &apos; &#39; &nbsp; &#N; &#xN;) are decoded. A '<' that does not open
// a tag (e.g. "<https://…>" or "a < b") is kept.
std::string RenderMarkup(absl::string_view html);

// The state without its prefix: "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED".
std::string JobStateName(v1::JobState state);

// One checked citation (n = index + 1):
//   ✓ [n] <original>                         when valid
//   ✗ [n] <original>                         otherwise, followed by, for each error,
//       - <Component>: <problem>
//         Should be: <correction>            (when the correction is not empty)
//       Corrected: <corrected_citation>      (when not empty)
// All texts go through RenderMarkup.
std::string FormatResult(const v1::CitationResult& result);
// "! [n] could not be checked: <REASON> <message>" (the reason is omitted when absent).
std::string FormatFailure(const v1::ItemFailure& failure);

// After SubmitBatch: "Job <id> submitted (<style>, model <m>): T citations, A accepted, L locked"
// followed by FormatLockedLine.
std::string FormatSubmitSummary(const v1::Job& job);
// When the job is partial: "L of T citations locked: free limit reached (U of N free citations
// used)" or "L of T citations locked: credits exhausted (C credits left)"; else "".
std::string FormatLockedLine(const v1::Job& job);
// For `get`: "Job <id> <STATE> (<style>, model <m>): T citations, A accepted, L locked;
// S checked, F failed", the locked line, the results and failures by index and, when the job is
// terminal, FormatFinalLine.
std::string FormatJob(const v1::Job& job);
// The results and failures of `job` by index; for a document, each reference's in-text
// citations underneath it, then those that point to no single reference, then the references
// cited nowhere (and a note when the in-text citations were skipped).
std::string FormatJobItems(const v1::Job& job);
// True when `job` came from a document (it has in-text citations or their summary).
bool IsDocumentJob(const v1::Job& job);
// The closing line of a terminal job:
//   "Job <id> SUCCEEDED: S checked, F failed"
//   "Job <id> FAILED: <error message> (S checked, F failed)"   (same for CANCELLED; without an
//   error message: "Job <id> CANCELLED: S checked, F failed")
std::string FormatFinalLine(const v1::Job& job);
// The balance fields that apply, one "Name: value" per line.
std::string FormatBalance(const v1::Balance& balance);
// One line of `citecheck list`: id, state, style, counts and creation time.
std::string FormatJobListLine(const v1::Job& job);
// "error: <CODE> <REASON>: <message>" then "  - <field>: <description>" per field violation,
// "  - quota <subject>: <description>" per quota violation and "  retry after <delay>" when the
// status carries a RetryInfo. The reason is omitted when absent.
std::string FormatRpcError(const grpc::Status& status);

// `message` as one line of proto3 JSON (field names as in the proto, default values omitted).
// Never fails: a message that cannot be encoded gives {"encoding_error": "..."}.
std::string ToJson(const google::protobuf::Message& message);
// {"job":<Job JSON>}
std::string JobJsonLine(const v1::Job& job);
// {"balance":<Balance JSON>}
std::string BalanceJsonLine(const v1::Balance& balance);

// "[#####---------------] 5/20" with `width` cells; total <= 0 shows an empty bar.
std::string FormatProgressBar(int done, int total, int width = 20);

// Draws a progress bar in place (with '\r') on a terminal stream. Does nothing when disabled.
class ProgressBar {
 public:
  ProgressBar(std::ostream& term, bool enabled) : term_(term), enabled_(enabled) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { Clear(); }

  // Draws (or redraws) the bar.
  void Update(int done, int total);
  // Erases the bar if it is drawn. Call before writing lines to the same terminal.
  void Clear();
  // Draws the last state again after a Clear().
  void Redraw();

 private:
  std::ostream& term_;
  const bool enabled_;
  bool drawn_ = false;
  int done_ = 0;
  int total_ = 0;
  size_t width_ = 0;  // characters of the drawn bar
};

// Prints the events of a watched job, as the `watch` command and `submit --watch` do. Human
// mode: results and failures as they arrive (FormatResult/FormatFailure), a progress bar on
// `term` when enabled, and FormatFinalLine once the terminal job_update arrives; job updates are
// otherwise silent. JSON mode: every event but heartbeats as one JSON line. Heartbeats are never
// printed.
class WatchPrinter {
 public:
  WatchPrinter(std::ostream& out, std::ostream& term, bool json, bool progress);

  // Seeds the progress bar (e.g. from the job SubmitBatch returned).
  void SetJob(const v1::Job& job);
  // Prints one event; always returns true (fits CitecheckClient::Watch).
  bool OnEvent(const v1::JobEvent& event);
  // Removes the progress bar. Call once the watch is over.
  void Finish();

  // The terminal job_update, once seen.
  const std::optional<v1::Job>& terminal_job() const { return terminal_job_; }

 private:
  void UpdateProgress();

  std::ostream& out_;
  const bool json_;
  ProgressBar bar_;
  int total_ = 0;  // accepted citations (0 until known)
  int done_ = 0;   // results, failures and in-text verdicts seen (or reported by a job_update)
  // Documents print each reference with its in-text citations at the end: collected here.
  bool document_ = false;
  v1::Job collected_;
  std::optional<v1::Job> terminal_job_;
};

}  // namespace citecheck::client

#endif  // CITECHECK_CLIENT_RENDER_H_
