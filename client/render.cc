#include "client/render.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/citecheck_client.h"
#include "client/error_details.h"
#include "server/common/proto_time.h"
#include "server/common/style_name.h"
#include "server/common/utf8.h"

namespace citecheck::client {
namespace {

constexpr char kCheck[] = "\xE2\x9C\x93";  // ✓
constexpr char kCross[] = "\xE2\x9C\x97";  // ✗

bool IsAsciiAlpha(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }
bool IsAsciiAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// Parses a tag starting at text[pos] == '<'. On success sets *name (lowercase), *end (one past
// '>') and returns true.
bool ParseTag(absl::string_view text, size_t pos, std::string* name, size_t* end) {
  size_t i = pos + 1;
  if (i < text.size() && text[i] == '/') ++i;
  if (i >= text.size() || !IsAsciiAlpha(text[i])) return false;
  size_t name_start = i;
  while (i < text.size() && IsAsciiAlnum(text[i])) ++i;
  if (i >= text.size()) return false;
  char after = text[i];
  if (after != '>' && after != '/' && !absl::ascii_isspace(static_cast<unsigned char>(after))) {
    return false;
  }
  size_t close = text.find_first_of("<>", i);
  if (close == absl::string_view::npos || text[close] != '>') return false;
  *name = absl::AsciiStrToLower(text.substr(name_start, i - name_start));
  *end = close + 1;
  return true;
}

// Decodes an entity starting at text[pos] == '&'. On success appends it, sets *end and returns
// true.
bool DecodeEntity(absl::string_view text, size_t pos, std::string* out, size_t* end) {
  size_t semi = text.find(';', pos);
  if (semi == absl::string_view::npos || semi - pos > 10) return false;
  absl::string_view body = text.substr(pos + 1, semi - pos - 1);
  static const auto* const kNamed = new std::map<std::string, std::string, std::less<>>{
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  if (auto it = kNamed->find(body); it != kNamed->end()) {
    out->append(it->second);
  } else if (body.size() >= 2 && body[0] == '#') {
    uint32_t cp = 0;
    bool ok = (body[1] == 'x' || body[1] == 'X') ? absl::SimpleHexAtoi(body.substr(2), &cp)
                                                 : absl::SimpleAtoi(body.substr(1), &cp);
    if (!ok) return false;
    AppendUtf8(cp, out);
  } else {
    return false;
  }
  *end = semi + 1;
  return true;
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", FromTimestamp(ts), absl::UTCTimeZone());
}

std::string StyleAndModel(const v1::Job& job) {
  std::string s(StyleDisplayName(job.style()));
  if (!job.model().empty()) absl::StrAppend(&s, ", model ", job.model());
  return s;
}

std::string Counts(const v1::Job& job) {
  return absl::StrCat(job.total(), job.total() == 1 ? " citation, " : " citations, ",
                      job.accepted(), " accepted, ", job.locked(), " locked");
}

}  // namespace

std::string RenderMarkup(absl::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    std::string name;
    size_t end = 0;
    if (c == '<' && ParseTag(html, i, &name, &end)) {
      if (name == "em" || name == "i" || name == "u") {
        out.push_back('_');
      } else if (name == "strong" || name == "b") {
        out.append("**");
      }
      i = end;
    } else if (c == '&' && DecodeEntity(html, i, &out, &end)) {
      i = end;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

std::string JobStateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_PENDING:
      return "PENDING";
    case v1::JOB_STATE_RUNNING:
      return "RUNNING";
    case v1::JOB_STATE_SUCCEEDED:
      return "SUCCEEDED";
    case v1::JOB_STATE_FAILED:
      return "FAILED";
    case v1::JOB_STATE_CANCELLED:
      return "CANCELLED";
    default:
      return "UNSPECIFIED";
  }
}

std::string FormatResult(const v1::CitationResult& result) {
  std::string out = absl::StrCat(result.valid() ? kCheck : kCross, " [", result.index() + 1, "] ",
                                 RenderMarkup(result.original()), "\n");
  for (const v1::CitationError& error : result.errors()) {
    absl::StrAppend(&out, "    - ", RenderMarkup(error.component()), ": ",
                    RenderMarkup(error.problem()), "\n");
    if (!error.correction().empty()) {
      absl::StrAppend(&out, "      Should be: ", RenderMarkup(error.correction()), "\n");
    }
  }
  if (!result.corrected_citation().empty()) {
    absl::StrAppend(&out, "    Corrected: ", RenderMarkup(result.corrected_citation()), "\n");
  }
  return out;
}

std::string FormatFailure(const v1::ItemFailure& failure) {
  std::string reason = ErrorReason(failure.status());
  std::string out = absl::StrCat("! [", failure.index() + 1, "] could not be checked:");
  if (!reason.empty()) absl::StrAppend(&out, " ", reason);
  if (!failure.status().message().empty()) absl::StrAppend(&out, " ", failure.status().message());
  if (reason.empty() && failure.status().message().empty()) {
    absl::StrAppend(&out, " ", StatusCodeName(failure.status().code()));
  }
  out.push_back('\n');
  return out;
}

std::string FormatLockedLine(const v1::Job& job) {
  if (!job.partial() && job.locked() <= 0) return "";
  std::string out = absl::StrCat(job.locked(), " of ", job.total(), " citations locked: ");
  const v1::UserStatus& user = job.user_status();
  switch (job.limit_type()) {
    case v1::LIMIT_TYPE_FREE_LIMIT:
      absl::StrAppend(&out, "free limit reached (", user.free_used_total(), " of ",
                      user.free_limit(), " free citations used)");
      break;
    case v1::LIMIT_TYPE_CREDITS_EXHAUSTED:
      absl::StrAppend(&out, "credits exhausted (", user.credits_remaining(), " credits left)");
      break;
    default:
      absl::StrAppend(&out, "quota exhausted");
      break;
  }
  out.push_back('\n');
  return out;
}

std::string FormatSubmitSummary(const v1::Job& job) {
  return absl::StrCat("Job ", job.job_id(), " submitted (", StyleAndModel(job), "): ", Counts(job),
                      "\n", FormatLockedLine(job));
}

std::string FormatFinalLine(const v1::Job& job) {
  std::string counts = absl::StrCat(job.succeeded(), " checked, ", job.failed(), " failed");
  std::string head = absl::StrCat("Job ", job.job_id(), " ", JobStateName(job.state()), ": ");
  if (job.state() != v1::JOB_STATE_SUCCEEDED && !job.error().message().empty()) {
    return absl::StrCat(head, job.error().message(), " (", counts, ")\n");
  }
  return absl::StrCat(head, counts, "\n");
}

bool IsDocumentJob(const v1::Job& job) {
  return job.inline_total() > 0 || job.inline_skipped() || job.inline_citations_size() > 0 ||
         job.uncited_references_size() > 0;
}

std::string FormatInlineCitation(const v1::InlineCitation& citation) {
  std::string text = citation.text();
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::string out =
      absl::StrCat("      \xE2\x86\xB3 ", text, " (at byte ", citation.offset(), "): ");
  switch (citation.match()) {
    case v1::MATCH_STATUS_MATCHED:
      out += "matched";
      break;
    case v1::MATCH_STATUS_MISMATCH:
      absl::StrAppend(&out, "mismatch: ", citation.problem());
      if (!citation.correction().empty()) {
        absl::StrAppend(&out, "\n        Should be: ", citation.correction());
      }
      break;
    case v1::MATCH_STATUS_NOT_FOUND:
      out += "not found in the reference list";
      break;
    case v1::MATCH_STATUS_AMBIGUOUS: {
      std::vector<std::string> candidates;
      for (int32_t index : citation.reference_indices()) {
        candidates.push_back(absl::StrCat("[", index + 1, "]"));
      }
      absl::StrAppend(&out, "ambiguous between ", absl::StrJoin(candidates, ", "));
      if (!citation.problem().empty()) absl::StrAppend(&out, ": ", citation.problem());
      break;
    }
    default: {
      const std::string reason = ErrorReason(citation.error());
      absl::StrAppend(&out, "could not be checked",
                      reason.empty() ? "" : absl::StrCat(": ", reason));
      break;
    }
  }
  out.push_back('\n');
  return out;
}

std::string FormatJob(const v1::Job& job) {
  std::string out = absl::StrCat("Job ", job.job_id(), " ", JobStateName(job.state()), " (",
                                 StyleAndModel(job), "): ", Counts(job), "; ", job.succeeded(),
                                 " checked, ", job.failed(), " failed\n", FormatLockedLine(job));
  out += FormatJobItems(job);
  if (IsTerminal(job.state())) out.append(FormatFinalLine(job));
  return out;
}

std::string FormatJobItems(const v1::Job& job) {
  std::string out;
  // Documents: each reference's in-text citations go underneath it (the first reference they
  // point to); those pointing nowhere come after the references.
  std::map<int, std::vector<const v1::InlineCitation*>> under;
  std::vector<const v1::InlineCitation*> elsewhere;
  std::vector<const v1::InlineCitation*> by_index;
  for (const v1::InlineCitation& citation : job.inline_citations()) by_index.push_back(&citation);
  std::sort(by_index.begin(), by_index.end(),
            [](const auto* a, const auto* b) { return a->index() < b->index(); });
  for (const v1::InlineCitation* in_order : by_index) {
    const v1::InlineCitation& citation = *in_order;
    const bool placed = (citation.match() == v1::MATCH_STATUS_MATCHED ||
                         citation.match() == v1::MATCH_STATUS_MISMATCH) &&
                        citation.reference_indices_size() > 0;
    if (placed) {
      under[citation.reference_indices(0)].push_back(&citation);
    } else {
      elsewhere.push_back(&citation);
    }
  }
  // Results and failures interleaved by index.
  std::map<int, std::string> items;
  for (const v1::CitationResult& result : job.results()) {
    items[result.index()] = FormatResult(result);
  }
  for (const v1::ItemFailure& failure : job.failures()) {
    items[failure.index()] = FormatFailure(failure);
  }
  for (const auto& [index, text] : items) {
    out.append(text);
    for (const v1::InlineCitation* citation : under[index]) {
      out.append(FormatInlineCitation(*citation));
    }
  }
  if (!elsewhere.empty()) {
    out.append("In-text citations without a matching reference:\n");
    for (const v1::InlineCitation* citation : elsewhere) {
      out.append(FormatInlineCitation(*citation));
    }
  }
  if (job.inline_skipped()) {
    absl::StrAppend(&out, "In-text citations: ", job.inline_total(),
                    " found, not checked (some references were locked)\n");
  }
  if (job.uncited_references_size() > 0) {
    std::vector<std::string> uncited;
    for (int32_t index : job.uncited_references()) {
      uncited.push_back(absl::StrCat("[", index + 1, "]"));
    }
    absl::StrAppend(&out, "References cited nowhere in the text: ", absl::StrJoin(uncited, ", "),
                    "\n");
  }
  return out;
}

std::string FormatBalance(const v1::Balance& balance) {
  std::string out;
  switch (balance.kind()) {
    case v1::USER_KIND_FREE:
      out = "Plan: free\n";
      break;
    case v1::USER_KIND_CREDITS:
      out = "Plan: credits\n";
      break;
    case v1::USER_KIND_PASS:
      out = "Plan: pass\n";
      break;
    default:
      out = "Plan: unknown\n";
      break;
  }
  bool free = balance.kind() == v1::USER_KIND_FREE;
  if (!free || balance.credits() != 0) absl::StrAppend(&out, "Credits: ", balance.credits(), "\n");
  if (balance.pass_active()) {
    absl::StrAppend(&out, "Pass: ", balance.pass_type().empty() ? "active" : balance.pass_type());
    if (balance.has_pass_expire_time()) {
      absl::StrAppend(&out, ", expires ", FormatTime(balance.pass_expire_time()));
    }
    out.push_back('\n');
  } else if (!free) {
    out.append("Pass: none\n");
  }
  if (balance.daily_limit() > 0) {
    absl::StrAppend(&out, "Today: ", balance.daily_used(), " of ", balance.daily_limit(),
                    " citations used");
    if (balance.has_reset_time()) {
      absl::StrAppend(&out, " (resets ", FormatTime(balance.reset_time()), ")");
    }
    out.push_back('\n');
  }
  if (free || balance.free_limit() > 0) {
    absl::StrAppend(&out, "Free: ", balance.free_used(), " of ", balance.free_limit(),
                    " free citations used\n");
  }
  return out;
}

std::string FormatJobListLine(const v1::Job& job) {
  return absl::StrCat(job.job_id(), "  ", JobStateName(job.state()), "  ",
                      StyleDisplayName(job.style()), "  ", job.succeeded(), "/", job.accepted(),
                      " checked, ", job.failed(), " failed, ", job.locked(), " locked  ",
                      FormatTime(job.create_time()), "\n");
}

std::string FormatRpcError(const grpc::Status& status) {
  std::string out = absl::StrCat("error: ", StatusCodeName(status.error_code()));
  std::string reason = ErrorReason(status);
  if (!reason.empty()) absl::StrAppend(&out, " ", reason);
  absl::StrAppend(&out, ": ", status.error_message(), "\n");
  for (const auto& [field, description] : FieldViolations(status)) {
    absl::StrAppend(&out, "  - ", field, ": ", description, "\n");
  }
  for (const auto& [subject, description] : QuotaViolations(status)) {
    absl::StrAppend(&out, "  - quota ", subject, ": ", description, "\n");
  }
  if (std::optional<absl::Duration> delay = RetryDelay(status)) {
    absl::StrAppend(&out, "  retry after ", absl::FormatDuration(*delay), "\n");
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    std::string escaped;
    for (char c : std::string(status.message())) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (static_cast<unsigned char>(c) < 0x20) continue;
      escaped.push_back(c);
    }
    return absl::StrCat("{\"encoding_error\":\"", escaped, "\"}");
  }
  return json;
}

std::string JobJsonLine(const v1::Job& job) { return absl::StrCat("{\"job\":", ToJson(job), "}"); }

std::string BalanceJsonLine(const v1::Balance& balance) {
  return absl::StrCat("{\"balance\":", ToJson(balance), "}");
}

std::string FormatProgressBar(int done, int total, int width) {
  int filled = 0;
  if (total > 0) filled = static_cast<int>(int64_t{std::clamp(done, 0, total)} * width / total);
  return absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '-'), "] ", done,
                      "/", total);
}

void ProgressBar::Update(int done, int total) {
  done_ = done;
  total_ = total;
  Redraw();
}

void ProgressBar::Redraw() {
  if (!enabled_ || total_ <= 0) return;
  std::string bar = FormatProgressBar(done_, total_);
  // Pad over a longer previous bar.
  std::string line = bar;
  if (line.size() < width_) line.append(width_ - line.size(), ' ');
  term_ << '\r' << line << std::flush;
  width_ = std::max(width_, bar.size());
  drawn_ = true;
}

void ProgressBar::Clear() {
  if (!enabled_ || !drawn_) return;
  term_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  drawn_ = false;
}

WatchPrinter::WatchPrinter(std::ostream& out, std::ostream& term, bool json, bool progress)
    : out_(out), json_(json), bar_(term, progress && !json) {}

void WatchPrinter::SetJob(const v1::Job& job) {
  document_ = document_ || IsDocumentJob(job);
  total_ = job.accepted() + (job.inline_skipped() ? 0 : job.inline_total());
  done_ = std::max(done_, job.succeeded() + job.failed());
  UpdateProgress();
}

void WatchPrinter::UpdateProgress() { bar_.Update(done_, total_); }

bool WatchPrinter::OnEvent(const v1::JobEvent& event) {
  if (event.has_heartbeat()) return true;
  if (json_) {
    out_ << ToJson(event) << "\n" << std::flush;
    if (event.has_job_update() && IsTerminal(event.job_update().state())) {
      terminal_job_ = event.job_update();
    }
    return true;
  }
  switch (event.event_case()) {
    case v1::JobEvent::kJobUpdate: {
      const v1::Job& job = event.job_update();
      document_ = document_ || IsDocumentJob(job);
      total_ = job.accepted() + (job.inline_skipped() ? 0 : job.inline_total());
      done_ = std::max(done_, job.succeeded() + job.failed());
      if (IsTerminal(job.state())) {
        terminal_job_ = job;
        bar_.Clear();
        if (document_) {
          // Each reference with the in-text citations that point to it, now that all are in.
          v1::Job report = job;
          *report.mutable_results() = collected_.results();
          *report.mutable_failures() = collected_.failures();
          *report.mutable_inline_citations() = collected_.inline_citations();
          out_ << FormatJobItems(report);
        }
        out_ << FormatFinalLine(job) << std::flush;
        return true;
      }
      UpdateProgress();
      return true;
    }
    case v1::JobEvent::kResult:
      if (document_) {
        *collected_.add_results() = event.result();
      } else {
        bar_.Clear();
        out_ << FormatResult(event.result()) << std::flush;
      }
      ++done_;
      UpdateProgress();
      return true;
    case v1::JobEvent::kFailure:
      if (document_) {
        *collected_.add_failures() = event.failure();
      } else {
        bar_.Clear();
        out_ << FormatFailure(event.failure()) << std::flush;
      }
      ++done_;
      UpdateProgress();
      return true;
    case v1::JobEvent::kInlineCitation:
      document_ = true;
      *collected_.add_inline_citations() = event.inline_citation();
      ++done_;
      UpdateProgress();
      return true;
    default:
      return true;
  }
}

void WatchPrinter::Finish() { bar_.Clear(); }

}  // namespace citecheck::client
