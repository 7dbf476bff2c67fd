// Every bad-input class of DESIGN §1 against every RPC of CitationService and AccountService, as
// one table: a row is (RPC, reason class, case) with the exact answer the design gives — the gRPC
// code, the ErrorInfo reason in domain "citecheck.v1", the BadRequest field for a field error,
// ErrorInfo metadata where the design names some — and what the answer must not echo (job ids,
// order ids, tokens, keys, page tokens). After every row the books are exactly as before: each
// observed caller's balance and job list, and the server's ledger, job and citation counters.
//
// The real citecheck-server binary on a loopback port (memory store), called with raw request
// bytes so that rows can carry what the generated stubs would refuse to send. Jobs stay RUNNING
// (the checker waits an hour), so that a wrong cancel or a stray charge would show. The depth of
// some classes (job id shapes up to 1 MiB, oversized metadata, stream caps, the log) is in
// hostile_clients_test.cc; here each class has its representative rows on every RPC it applies to.

#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/raw_calls.h"
#include "tests/integration/server_process.h"
#include "tests/integration/shared_server_test.h"

namespace citecheck::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// Distinctive, so that an echo or a log line holding them shows.
constexpr char kAdminKey[] = "matrix-admin-key-Zq81";
constexpr char kWrongAdminKey[] = "matrix-wrong-key-Zq82";
constexpr char kPaidToken[] = "matrix-paid-token-Zq83";
constexpr char kPassToken[] = "matrix-pass-token-Zq84";
constexpr char kFreshToken[] = "matrix-fresh-token-Zq85";  // never granted anything
constexpr char kPaidOrder[] = "matrix-order-paid";         // 50 credits to kPaidToken
constexpr char kPassOrder[] = "matrix-order-pass";         // a 7-day pass to kPassToken
constexpr int64_t kPaidCredits = 50;
constexpr char kReusedRequestId[] = "matrix-request-1";  // the free caller's, for one citation

// The server's limits, small so that rows stay small.
constexpr int kMaxBatch = 5;
constexpr int kMaxInline = 3;
constexpr int kPassDailyLimit = 3;
constexpr size_t kMaxRequestBytes = 64 * 1024;  // every RPC's limit then
constexpr size_t kMaxCitationBytes = 4096;

constexpr char kCitation[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";

std::string CitationNumber(int i) { return absl::StrCat(kCitation, " [", i, "]"); }

// Who makes a call.
enum class Who {
  kFree,            // x-free-user-id: the owner of most jobs below
  kOther,           // another free user, with jobs of its own
  kPaid,            // x-user-token of an account with kPaidCredits credits
  kPass,            // authorization: Bearer of an account with a pass
  kAdmin,           // x-admin-key: the right key
  kNoAdminKey,      // nothing
  kWrongAdminKey,   // x-admin-key: a wrong key
  kAdminKeyBearer,  // the right key, but as a bearer token instead of x-admin-key
};

Metadata MetadataOf(Who who) {
  switch (who) {
    case Who::kFree:
      return {{"x-free-user-id", "matrix-free-user"}};
    case Who::kOther:
      return {{"x-free-user-id", "matrix-other-user"}};
    case Who::kPaid:
      return {{"x-user-token", kPaidToken}};
    case Who::kPass:
      return {{"authorization", absl::StrCat("Bearer ", kPassToken)}};
    case Who::kAdmin:
      return {{"x-admin-key", kAdminKey}};
    case Who::kNoAdminKey:
      return {};
    case Who::kWrongAdminKey:
      return {{"x-admin-key", kWrongAdminKey}};
    case Who::kAdminKeyBearer:
      return {{"authorization", absl::StrCat("Bearer ", kAdminKey)}};
  }
  return {};
}

// What the rows refer to: made by the suite's setup (BadInputMatrixTest::MakeWorld), or
// placeholders for reading the table without a server.
struct World {
  std::string running_job;    // the free caller's, RUNNING
  int64_t running_last = 0;   // its last sequence
  std::string cancelled_job;  // the free caller's, CANCELLED
  int64_t cancelled_last = 0;
  std::string other_job;           // the other caller's, RUNNING
  std::string page_token;          // the free caller's first page of 1 (no filter)
  std::string running_page_token;  // the same with the filter JOB_STATE_RUNNING
  std::string other_page_token;    // the other caller's first page of 1
};

// One row of the matrix: a call and the answer it must get.
struct Row {
  Row(std::string rpc, std::string klass, std::string what, Who who, std::string request,
      grpc::StatusCode code, std::string reason, std::string field)
      : rpc(std::move(rpc)),
        klass(std::move(klass)),
        what(std::move(what)),
        who(who),
        request(std::move(request)),
        code(code),
        reason(std::move(reason)),
        field(std::move(field)) {}
  Row&& WithInfo(std::map<std::string, std::string> metadata) && {
    info = std::move(metadata);
    return std::move(*this);
  }
  Row&& NeverEchoing(std::vector<std::string> values) && {
    never_echoed = std::move(values);
    return std::move(*this);
  }
  Row&& WithMetadata(Metadata more) && {
    extra_metadata = std::move(more);
    return std::move(*this);
  }

  std::string rpc;    // the full method name, e.g. kGetJob
  std::string klass;  // the reason class of DESIGN it exercises
  std::string what;   // the case
  Who who;
  Metadata extra_metadata;  // sent besides who's
  std::string request;      // the serialized request
  grpc::StatusCode code;
  std::string reason;
  std::string field;                        // the BadRequest field; "" = no BadRequest
  std::map<std::string, std::string> info;  // ErrorInfo metadata the answer carries (a subset)
  std::vector<std::string> never_echoed;    // in neither the message nor the details
};

std::string MethodName(const std::string& rpc) { return rpc.substr(rpc.rfind('/') + 1); }

std::string RowName(const Row& row) {
  return absl::StrCat(MethodName(row.rpc), " | ", row.klass, " | ", row.what);
}

// ---- Requests ----------------------------------------------------------------------------------

std::string Serialized(const google::protobuf::MessageLite& message) {
  return message.SerializeAsString();
}

v1::SubmitBatchRequest Items(const std::vector<std::string>& items) {
  v1::SubmitBatchRequest request;
  request.mutable_citations();  // set, even without items
  for (const std::string& item : items) request.mutable_citations()->add_items(item);
  return request;
}

std::vector<std::string> Citations(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(CitationNumber(i));
  return out;
}

v1::SubmitBatchRequest Text(const std::string& text) {
  v1::SubmitBatchRequest request;
  request.set_text(text);
  return request;
}

v1::SubmitBatchRequest Html(const std::string& html) {
  v1::SubmitBatchRequest request;
  request.set_html(html);
  return request;
}

v1::SubmitBatchRequest DocumentText(const std::string& text) {
  v1::SubmitBatchRequest request;
  request.mutable_document()->set_text(text);
  return request;
}

v1::SubmitBatchRequest DocumentHtml(const std::string& html) {
  v1::SubmitBatchRequest request;
  request.mutable_document()->set_html(html);
  return request;
}

std::string Paragraphs(const std::vector<std::string>& items) {
  std::string html;
  for (const std::string& item : items) absl::StrAppend(&html, "<p>", item, "</p>");
  return html;
}

std::string BlankLineSeparated(const std::vector<std::string>& items) {
  return absl::StrJoin(items, "\n\n");
}

// A paper: `body`, the heading "References", then `references` one per paragraph.
std::string Paper(const std::string& body, const std::vector<std::string>& references) {
  return absl::StrCat(body, "\n\nReferences\n\n", BlankLineSeparated(references), "\n");
}

std::string WatchRequest(const std::string& job_id, int64_t after) {
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_sequence(after);
  return Serialized(request);
}

std::string ListRequest(int32_t page_size, const std::string& token, int state) {
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(token);
  request.set_state(static_cast<v1::JobState>(state));
  return Serialized(request);
}

std::string CreditsRequest(const std::string& token, int64_t credits, const std::string& order) {
  v1::GrantCreditsRequest request;
  request.set_token(token);
  request.set_credits(credits);
  request.set_order_id(order);
  return Serialized(request);
}

std::string PassRequest(const std::string& token, int32_t days, const std::string& order) {
  v1::GrantPassRequest request;
  request.set_token(token);
  request.set_days(days);
  request.set_order_id(order);
  return Serialized(request);
}

// An order id no grant used: a row that wrongly grants uses up only its own.
std::string NewOrderId() {
  static int next = 0;
  return absl::StrCat("matrix-order-new-", next++);
}

// A well-formed job id (the shape the server issues) that it never issued.
const std::string kUnknownJobId = "job_0123456789abcdef0123456789abcdef";
// `id` with its last hex digit changed: the right shape, another job.
std::string Altered(const std::string& id) {
  std::string out = id;
  out.back() = out.back() == '0' ? '1' : '0';
  return out;
}
// A page token with its byte at `at` (from the end when negative) changed.
std::string AlteredToken(const std::string& token, int at) {
  std::string out = token;
  char& c = at < 0 ? out[out.size() + at] : out[at];
  c = c == 'A' ? 'B' : 'A';
  return out;
}

const std::string kOversized(70 * 1000, 'x');  // beyond kMaxRequestBytes
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

// ---- The table -----------------------------------------------------------------------------

using grpc::StatusCode;
constexpr StatusCode kInvalid = StatusCode::INVALID_ARGUMENT;
constexpr StatusCode kNotFound = StatusCode::NOT_FOUND;

// Rows every RPC has: bytes that are no request, a request beyond the size limit (`oversized`),
// and a `valid` request under metadata beyond theirs.
void AddEveryRpcRows(const char* rpc, Who who, const std::string& oversized,
                     const std::string& valid, std::vector<Row>& rows) {
  rows.push_back({rpc, "MALFORMED_REQUEST", "bytes that are no request", who, kNotAProtobuf,
                  kInvalid, "MALFORMED_REQUEST", ""});
  rows.push_back(Row(rpc, "REQUEST_TOO_LARGE", "a request of 70,000 bytes (limit 64 KiB)", who,
                     oversized, kInvalid, "REQUEST_TOO_LARGE", "")
                     .WithInfo({{"max_request_bytes", absl::StrCat(kMaxRequestBytes)}})
                     .NeverEchoing({std::string(24, 'x')}));
  rows.push_back(Row(rpc, "REQUEST_TOO_LARGE", "a valid request with 16 KiB of metadata", who,
                     valid, kInvalid, "REQUEST_TOO_LARGE", "")
                     .WithMetadata({{"x-padding", std::string(16 * 1024, 'p')}})
                     .WithInfo({{"max_metadata_bytes", "8192"}})
                     .NeverEchoing({std::string(24, 'p')}));
}

std::vector<Row> SubmitBatchRows() {
  const char* rpc = kSubmitBatch;
  const Who who = Who::kFree;
  std::vector<Row> rows;
  AddEveryRpcRows(rpc, who, Serialized(Text(kOversized)), Serialized(Items({CitationNumber(9)})),
                  rows);
  rows.push_back({rpc, "MALFORMED_REQUEST", "citations that are no CitationList", who,
                  BytesField(3, kNotAProtobuf), kInvalid, "MALFORMED_REQUEST", ""});

  // INVALID_UTF8: every string field, named.
  const std::string one = Serialized(Items({kCitation}));
  rows.push_back({rpc, "INVALID_UTF8", "request_id", who, one + BytesField(1, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "request_id"});
  rows.push_back({rpc, "INVALID_UTF8", "model", who, one + BytesField(6, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "model"});
  rows.push_back({rpc, "INVALID_UTF8", "text", who, BytesField(4, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "text"});
  rows.push_back({rpc, "INVALID_UTF8", "html", who, BytesField(5, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "html"});
  rows.push_back({rpc, "INVALID_UTF8", "the second of three items", who,
                  BytesField(3, BytesField(1, kCitation) + BytesField(1, kNotUtf8) +
                                    BytesField(1, CitationNumber(2))),
                  kInvalid, "INVALID_UTF8", "citations.items[1]"});
  rows.push_back({rpc, "INVALID_UTF8", "document text", who, BytesField(7, BytesField(1, kNotUtf8)),
                  kInvalid, "INVALID_UTF8", "document"});
  rows.push_back({rpc, "INVALID_UTF8", "document html", who, BytesField(7, BytesField(2, kNotUtf8)),
                  kInvalid, "INVALID_UTF8", "document"});

  // EMPTY_BATCH: every input, and the unset oneofs.
  rows.push_back(
      {rpc, "EMPTY_BATCH", "no input (oneof unset)", who, "", kInvalid, "EMPTY_BATCH", "input"});
  rows.push_back({rpc, "EMPTY_BATCH", "a citation list without items", who, Serialized(Items({})),
                  kInvalid, "EMPTY_BATCH", "citations.items"});
  rows.push_back({rpc, "EMPTY_BATCH", "items that are blank or invisible", who,
                  Serialized(Items({"", " \t", "\u200B\uFEFF", "\u2003"})), kInvalid, "EMPTY_BATCH",
                  "citations.items"});
  rows.push_back({rpc, "EMPTY_BATCH", "blank text", who, Serialized(Text(" \n\n\t\n")), kInvalid,
                  "EMPTY_BATCH", "text"});
  rows.push_back({rpc, "EMPTY_BATCH", "html without text", who,
                  Serialized(Html("<p> </p><p><br></p><div></div>")), kInvalid, "EMPTY_BATCH",
                  "html"});
  rows.push_back({rpc, "EMPTY_BATCH", "a document without body (oneof unset)", who,
                  BytesField(7, ""), kInvalid, "EMPTY_BATCH", "document"});
  rows.push_back({rpc, "EMPTY_BATCH", "a document whose reference section is empty", who,
                  Serialized(DocumentText("As shown (Smith, 2020).\n\nReferences\n\n \n")),
                  kInvalid, "EMPTY_BATCH", "document"});

  // TOO_MANY_CITATIONS: every input.
  const std::map<std::string, std::string> batch_limit = {
      {"max_batch_citations", absl::StrCat(kMaxBatch)}};
  const std::vector<std::string> too_many = Citations(kMaxBatch + 1);
  auto too_many_citations = [&](const std::string& what, const v1::SubmitBatchRequest& request,
                                const std::string& field) {
    rows.push_back(Row(rpc, "TOO_MANY_CITATIONS", what, who, Serialized(request), kInvalid,
                       "TOO_MANY_CITATIONS", field)
                       .WithInfo(batch_limit));
  };
  too_many_citations("items", Items(too_many), "citations.items");
  too_many_citations("text", Text(BlankLineSeparated(too_many)), "text");
  too_many_citations("html", Html(Paragraphs(too_many)), "html");
  too_many_citations("document references",
                     DocumentText(Paper("As shown (Smith, 2020).", too_many)), "document");

  // CITATION_TOO_LONG: every input; the item named by its position in the request.
  const std::string too_long(kMaxCitationBytes + 1, 'a');
  std::string wide_too_long;  // 2,049 characters, 4,098 bytes
  for (size_t i = 0; i < kMaxCitationBytes / 2 + 1; ++i) wide_too_long += "é";
  rows.push_back(Row(rpc, "CITATION_TOO_LONG", "the third item, after a blank one", who,
                     Serialized(Items({kCitation, " ", too_long})), kInvalid, "CITATION_TOO_LONG",
                     "citations.items[2]")
                     .WithInfo({{"index", "1"}}));
  rows.push_back({rpc, "CITATION_TOO_LONG", "an item of 2,049 characters in 4,098 bytes", who,
                  Serialized(Items({wide_too_long})), kInvalid, "CITATION_TOO_LONG",
                  "citations.items[0]"});
  rows.push_back(Row(rpc, "CITATION_TOO_LONG", "text", who,
                     Serialized(Text(BlankLineSeparated({kCitation, too_long}))), kInvalid,
                     "CITATION_TOO_LONG", "text")
                     .WithInfo({{"index", "1"}}));
  rows.push_back({rpc, "CITATION_TOO_LONG", "html", who, Serialized(Html(Paragraphs({too_long}))),
                  kInvalid, "CITATION_TOO_LONG", "html"});
  rows.push_back({rpc, "CITATION_TOO_LONG", "document reference", who,
                  Serialized(DocumentText(Paper("As shown (Smith, 2020).", {too_long}))), kInvalid,
                  "CITATION_TOO_LONG", "document"});

  // UNSUPPORTED_STYLE: values the enum does not have.
  for (int style : {4, 99, -1}) {
    v1::SubmitBatchRequest request = Items({kCitation});
    request.set_style(static_cast<v1::Style>(style));
    rows.push_back({rpc, "UNSUPPORTED_STYLE", absl::StrCat("style ", style), who,
                    Serialized(request), kInvalid, "UNSUPPORTED_STYLE", "style"});
  }

  // UNSUPPORTED_MODEL.
  {
    v1::SubmitBatchRequest request = Items({kCitation});
    request.set_model("gpt-no-such-model");
    rows.push_back({rpc, "UNSUPPORTED_MODEL", "a model the server does not offer", who,
                    Serialized(request), kInvalid, "UNSUPPORTED_MODEL", "model"});
  }

  // INVALID_REQUEST_ID: at most 64 printable ASCII characters without spaces.
  for (const auto& [what, id] :
       std::vector<std::pair<std::string, std::string>>{{"65 characters", std::string(65, 'r')},
                                                        {"a space", "request 1"},
                                                        {"non-ASCII UTF-8", "r\u00e9quest"},
                                                        {"a control character", "request\x01"},
                                                        {"a newline", "request\nforged"}}) {
    v1::SubmitBatchRequest request = Items({kCitation});
    request.set_request_id(id);
    rows.push_back({rpc, "INVALID_REQUEST_ID", what, who, Serialized(request), kInvalid,
                    "INVALID_REQUEST_ID", "request_id"});
  }

  // REQUEST_ID_REUSED: the free caller's request id (one citation, APA) with another input.
  {
    v1::SubmitBatchRequest other_input = Items({CitationNumber(7)});
    other_input.set_request_id(kReusedRequestId);
    rows.push_back({rpc, "REQUEST_ID_REUSED", "another citation", who, Serialized(other_input),
                    kInvalid, "REQUEST_ID_REUSED", "request_id"});
    v1::SubmitBatchRequest other_style = Items({CitationNumber(0)});
    other_style.set_request_id(kReusedRequestId);
    other_style.set_style(v1::STYLE_MLA9);
    rows.push_back({rpc, "REQUEST_ID_REUSED", "the same citation in another style", who,
                    Serialized(other_style), kInvalid, "REQUEST_ID_REUSED", "request_id"});
    v1::SubmitBatchRequest more = Items({CitationNumber(0), CitationNumber(1)});
    more.set_request_id(kReusedRequestId);
    rows.push_back({rpc, "REQUEST_ID_REUSED", "one citation more", who, Serialized(more), kInvalid,
                    "REQUEST_ID_REUSED", "request_id"});
  }

  // NO_REFERENCE_SECTION.
  rows.push_back(
      {rpc, "NO_REFERENCE_SECTION", "document text without a reference heading", who,
       Serialized(DocumentText(absl::StrCat("As shown (Smith, 2020).\n\n", kCitation, "\n"))),
       kInvalid, "NO_REFERENCE_SECTION", "document"});
  rows.push_back({rpc, "NO_REFERENCE_SECTION", "the heading's word inside a sentence", who,
                  Serialized(DocumentText(absl::StrCat(
                      "As shown (Smith, 2020).\n\nThe references are below.\n\n", kCitation))),
                  kInvalid, "NO_REFERENCE_SECTION", "document"});
  rows.push_back({rpc, "NO_REFERENCE_SECTION", "document html without a reference heading", who,
                  Serialized(DocumentHtml(absl::StrCat(
                      "<h1>Title</h1><p>As shown (Smith, 2020).</p><p>", kCitation, "</p>"))),
                  kInvalid, "NO_REFERENCE_SECTION", "document"});

  // TOO_MANY_INLINE_CITATIONS.
  rows.push_back(Row(rpc, "TOO_MANY_INLINE_CITATIONS", "four in-text citations (limit 3)", who,
                     Serialized(DocumentText(Paper(
                         "One (Smith, 2020). Two (Lee, 2019). Three (Doe, 2018). Four (Roe, 2017).",
                         {kCitation}))),
                     kInvalid, "TOO_MANY_INLINE_CITATIONS", "document")
                     .WithInfo({{"max_inline_citations", absl::StrCat(kMaxInline)}}));

  // DAILY_LIMIT_REACHED (a quota, not a field): more than the pass's day allows.
  rows.push_back({rpc, "DAILY_LIMIT_REACHED", "a pass's batch beyond its daily limit", Who::kPass,
                  Serialized(Items(Citations(kPassDailyLimit + 1))), StatusCode::RESOURCE_EXHAUSTED,
                  "DAILY_LIMIT_REACHED", ""});
  return rows;
}

// GetJob and CancelJob: the same rows.
std::vector<Row> JobIdRows(const char* rpc, const World& world) {
  const Who who = Who::kFree;
  std::vector<Row> rows;
  AddEveryRpcRows(rpc, who, JobIdRequest(kOversized),
                  rpc == std::string(kWatchJob) ? WatchRequest(world.running_job, 0)
                                                : JobIdRequest(world.running_job),
                  rows);
  rows.push_back({rpc, "INVALID_UTF8", "job_id", who, BytesField(1, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "job_id"});
  auto not_found = [&](const std::string& what, const std::string& id) {
    Row row(rpc, "JOB_NOT_FOUND", what, who, JobIdRequest(id), kNotFound, "JOB_NOT_FOUND", "");
    if (!id.empty()) row.never_echoed = {id};
    rows.push_back(std::move(row));
  };
  not_found("no job_id", "");
  not_found("an unknown id of the issued shape", kUnknownJobId);
  not_found("an own id with one digit changed", Altered(world.running_job));
  not_found("a malformed id", "job_QQ-not-an-id\n[error] forged");
  not_found("an own id in capitals",
            absl::StrCat("job_", absl::AsciiStrToUpper(world.running_job.substr(4))));
  not_found("another caller's running job", world.other_job);
  return rows;
}

std::vector<Row> WatchJobRows(const World& world) {
  const char* rpc = kWatchJob;
  std::vector<Row> rows = JobIdRows(rpc, world);
  auto out_of_range = [&](const std::string& what, const std::string& job, int64_t after,
                          int64_t last) {
    rows.push_back(Row(rpc, "SEQUENCE_OUT_OF_RANGE", what, Who::kFree, WatchRequest(job, after),
                       StatusCode::OUT_OF_RANGE, "SEQUENCE_OUT_OF_RANGE", "")
                       .WithInfo({{"last_sequence", absl::StrCat(last)}}));
  };
  out_of_range("one after a running job's last", world.running_job, world.running_last + 1,
               world.running_last);
  out_of_range("one after a cancelled job's last", world.cancelled_job, world.cancelled_last + 1,
               world.cancelled_last);
  out_of_range("the largest int64", world.running_job, kInt64Max, world.running_last);
  out_of_range("negative", world.running_job, -1, world.running_last);
  out_of_range("the smallest int64", world.cancelled_job, kInt64Min, world.cancelled_last);
  rows.push_back(Row(rpc, "JOB_NOT_FOUND", "another caller's job, after_sequence out of range",
                     Who::kFree, WatchRequest(world.other_job, kInt64Max), kNotFound,
                     "JOB_NOT_FOUND", "")
                     .NeverEchoing({world.other_job}));
  return rows;
}

std::vector<Row> ListJobsRows(const World& world) {
  const char* rpc = kListJobs;
  const Who who = Who::kFree;
  std::vector<Row> rows;
  AddEveryRpcRows(rpc, who, ListRequest(1, kOversized, 0), ListRequest(0, "", 0), rows);
  rows.push_back({rpc, "INVALID_UTF8", "page_token", who, BytesField(2, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "page_token"});
  auto invalid_token = [&](const std::string& what, const std::string& token, int state) {
    rows.push_back(Row(rpc, "INVALID_PAGE_TOKEN", what, who, ListRequest(1, token, state), kInvalid,
                       "INVALID_PAGE_TOKEN", "page_token")
                       .NeverEchoing({token}));
  };
  invalid_token("not a token", "not-a-page-token", 0);
  invalid_token("the caller's token with its first byte altered", AlteredToken(world.page_token, 0),
                0);
  invalid_token("the caller's token with its last byte altered", AlteredToken(world.page_token, -1),
                0);
  invalid_token("the caller's token cut short",
                world.page_token.substr(0, world.page_token.size() - 1), 0);
  invalid_token("the caller's token written with padding", absl::StrCat(world.page_token, "=="), 0);
  invalid_token("the caller's token for another filter", world.page_token, v1::JOB_STATE_RUNNING);
  invalid_token("the caller's filtered token without the filter", world.running_page_token, 0);
  invalid_token("another caller's token", world.other_page_token, 0);
  for (int32_t size : {-1, kInt32Min}) {
    rows.push_back({rpc, "MALFORMED_REQUEST", absl::StrCat("page_size ", size), who,
                    ListRequest(size, "", 0), kInvalid, "MALFORMED_REQUEST", "page_size"});
  }
  for (int state : {6, 99, -1}) {
    rows.push_back({rpc, "MALFORMED_REQUEST", absl::StrCat("state ", state), who,
                    ListRequest(0, "", state), kInvalid, "MALFORMED_REQUEST", "state"});
  }
  return rows;
}

std::vector<Row> GetBalanceRows() {
  std::vector<Row> rows;
  // GetBalanceRequest has no fields: 70,000 bytes of an unknown one.
  AddEveryRpcRows(kGetBalance, Who::kFree, BytesField(15, kOversized), "", rows);
  rows.push_back({kGetBalance, "MALFORMED_REQUEST", "bytes that are no request, from an account",
                  Who::kPaid, kNotAProtobuf, kInvalid, "MALFORMED_REQUEST", ""});
  return rows;
}

// GrantCredits and GrantPass: `grant(token, order)` is a valid grant but for its ids.
std::vector<Row> GrantRows(
    const char* rpc,
    const std::function<std::string(const std::string&, const std::string&)>& grant,
    const std::string& target, const std::string& own_order, const std::string& other_order) {
  std::vector<Row> rows;
  const Who admin = Who::kAdmin;
  const std::string valid = grant(target, NewOrderId());
  AddEveryRpcRows(rpc, admin, grant(target, kOversized), valid, rows);
  const std::vector<std::string> secrets = {kAdminKey, kWrongAdminKey, target};
  auto denied = [&](const std::string& what, Who who, const std::string& request) {
    rows.push_back(Row(rpc, "ADMIN_KEY_REQUIRED", what, who, request, StatusCode::PERMISSION_DENIED,
                       "ADMIN_KEY_REQUIRED", "")
                       .NeverEchoing(secrets));
  };
  denied("no x-admin-key", Who::kNoAdminKey, valid);
  denied("a wrong x-admin-key", Who::kWrongAdminKey, valid);
  denied("the admin key as a bearer token", Who::kAdminKeyBearer, valid);
  denied("no x-admin-key, and an invalid grant", Who::kNoAdminKey, grant("", ""));
  denied("a wrong x-admin-key, and a reused order id", Who::kWrongAdminKey,
         grant(kFreshToken, own_order));

  rows.push_back(Row(rpc, "INVALID_UTF8", "token", admin,
                     valid + BytesField(1, absl::StrCat(kFreshToken, kNotUtf8)), kInvalid,
                     "INVALID_UTF8", "token")
                     .NeverEchoing({kFreshToken}));
  rows.push_back({rpc, "INVALID_UTF8", "order_id", admin, valid + BytesField(3, kNotUtf8), kInvalid,
                  "INVALID_UTF8", "order_id"});

  auto invalid = [&](const std::string& what, const std::string& field, const std::string& request,
                     std::vector<std::string> never_echoed = {}) {
    rows.push_back(Row(rpc, "INVALID_GRANT", what, admin, request, kInvalid, "INVALID_GRANT", field)
                       .NeverEchoing(std::move(never_echoed)));
  };
  invalid("no token", "token", grant("", NewOrderId()));
  invalid("a token with a newline", "token", grant("matrix-tok\nen-Zq86", NewOrderId()), {"Zq86"});
  invalid("a token with a NUL", "token",
          grant(std::string("matrix-tok\0en-Zq86", 18), NewOrderId()), {"Zq86"});
  invalid("a token that is not ASCII", "token", grant("matrix-t\u00f6ken-Zq86", NewOrderId()),
          {"Zq86"});
  invalid("a token with a leading space", "token", grant(" matrix-token-Zq86", NewOrderId()),
          {"Zq86"});
  invalid("a token of 2,000 bytes", "token",
          grant(absl::StrCat("Zq86", std::string(2000, 't')), NewOrderId()), {"Zq86"});
  invalid("no order_id", "order_id", grant(target, ""));
  invalid("an order_id of 129 bytes", "order_id",
          grant(target, absl::StrCat("QQ", std::string(127, 'o'))), {"QQ"});
  invalid("an order_id with a newline", "order_id", grant(target, "QQ\nforged log line"), {"QQ"});
  invalid("an order_id with an escape sequence", "order_id", grant(target, "QQ\x1b[31mred"),
          {"QQ"});
  invalid("an order_id that is not ASCII", "order_id", grant(target, "QQ-\u00e9"), {"QQ"});

  rows.push_back(Row(rpc, "ORDER_ID_REUSED", "the same order for another account", admin,
                     grant(kFreshToken, own_order), kInvalid, "ORDER_ID_REUSED", "order_id")
                     .NeverEchoing({kFreshToken, own_order}));
  rows.push_back(Row(rpc, "ORDER_ID_REUSED", "an order of the other kind of grant", admin,
                     grant(target, other_order), kInvalid, "ORDER_ID_REUSED", "order_id")
                     .NeverEchoing({target, other_order}));
  return rows;
}

std::vector<Row> GrantCreditsRows() {
  auto grant = [](const std::string& token, const std::string& order) {
    return CreditsRequest(token, 5, order);
  };
  std::vector<Row> rows = GrantRows(kGrantCredits, grant, kPaidToken, kPaidOrder, kPassOrder);
  const char* rpc = kGrantCredits;
  for (const auto& [what, credits] : std::vector<std::pair<std::string, int64_t>>{
           {"0 credits", 0}, {"-5 credits", -5}, {"the smallest int64", kInt64Min}}) {
    rows.push_back({rpc, "INVALID_GRANT", what, Who::kAdmin,
                    CreditsRequest(kPaidToken, credits, NewOrderId()), kInvalid, "INVALID_GRANT",
                    "credits"});
  }
  rows.push_back({rpc, "INVALID_GRANT", "credits that overflow the balance", Who::kAdmin,
                  CreditsRequest(kPaidToken, kInt64Max, NewOrderId()), kInvalid, "INVALID_GRANT",
                  "credits"});
  rows.push_back({rpc, "ORDER_ID_REUSED", "the same order with other credits", Who::kAdmin,
                  CreditsRequest(kPaidToken, kPaidCredits + 1, kPaidOrder), kInvalid,
                  "ORDER_ID_REUSED", "order_id"});
  return rows;
}

std::vector<Row> GrantPassRows() {
  auto grant = [](const std::string& token, const std::string& order) {
    return PassRequest(token, 7, order);
  };
  std::vector<Row> rows = GrantRows(kGrantPass, grant, kPassToken, kPassOrder, kPaidOrder);
  const char* rpc = kGrantPass;
  for (int days : {0, 2, -1, 31, 365, std::numeric_limits<int32_t>::max()}) {
    rows.push_back({rpc, "INVALID_GRANT", absl::StrCat(days, " days"), Who::kAdmin,
                    PassRequest(kPassToken, days, NewOrderId()), kInvalid, "INVALID_GRANT",
                    "days"});
  }
  rows.push_back({rpc, "ORDER_ID_REUSED", "the same order with other days", Who::kAdmin,
                  PassRequest(kPassToken, 30, kPassOrder), kInvalid, "ORDER_ID_REUSED",
                  "order_id"});
  return rows;
}

std::vector<Row> AllRows(const World& world) {
  std::vector<Row> rows;
  for (std::vector<Row> part : {SubmitBatchRows(), WatchJobRows(world), JobIdRows(kGetJob, world),
                                JobIdRows(kCancelJob, world), ListJobsRows(world), GetBalanceRows(),
                                GrantCreditsRows(), GrantPassRows()}) {
    for (Row& row : part) rows.push_back(std::move(row));
  }
  return rows;
}

// A world of placeholders of the right shapes, for reading the table without a server.
World PlaceholderWorld() {
  World world;
  world.running_job = "job_11111111111111111111111111111111";
  world.cancelled_job = "job_22222222222222222222222222222222";
  world.other_job = "job_33333333333333333333333333333333";
  world.page_token = world.running_page_token = world.other_page_token = "AQAAAAAAAAAA";
  return world;
}

// ---- The table's coverage --------------------------------------------------------------------

// The reasons of DESIGN §1's table that answer bad input (a request that is wrong whatever the
// server's load), as the server's header spells them.
const std::vector<std::string> kBadInputReasons = {
    "EMPTY_BATCH",           "TOO_MANY_CITATIONS",
    "CITATION_TOO_LONG",     "REQUEST_TOO_LARGE",
    "INVALID_UTF8",          "UNSUPPORTED_STYLE",
    "UNSUPPORTED_MODEL",     "INVALID_REQUEST_ID",
    "REQUEST_ID_REUSED",     "INVALID_GRANT",
    "ORDER_ID_REUSED",       "MALFORMED_REQUEST",
    "NO_REFERENCE_SECTION",  "TOO_MANY_INLINE_CITATIONS",
    "INVALID_PAGE_TOKEN",    "JOB_NOT_FOUND",
    "SEQUENCE_OUT_OF_RANGE", "ADMIN_KEY_REQUIRED"};

TEST(BadInputMatrixTableTest, EveryRpcOfTheProtoHasRowsAndEveryBadInputReasonIsExercised) {
  const std::vector<Row> rows = AllRows(PlaceholderWorld());
  std::map<std::string, int> per_rpc;
  std::set<std::string> reasons, names;
  for (const Row& row : rows) {
    ++per_rpc[row.rpc];
    reasons.insert(row.reason);
    EXPECT_TRUE(names.insert(RowName(row)).second) << "two rows named " << RowName(row);
  }
  const google::protobuf::FileDescriptor* file = v1::Job::descriptor()->file();
  int methods = 0;
  for (const char* service : {"CitationService", "AccountService"}) {
    const google::protobuf::ServiceDescriptor* descriptor = file->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const std::string rpc =
          absl::StrCat("/", descriptor->full_name(), "/", descriptor->method(i)->name());
      ++methods;
      EXPECT_GE(per_rpc[rpc], 2) << rpc << " has no rows";
      std::cout << "[matrix] " << rpc << ": " << per_rpc[rpc] << " rows\n";
    }
  }
  EXPECT_EQ(per_rpc.size(), static_cast<size_t>(methods)) << "a row names an RPC the proto lacks";
  for (const std::string& reason : kBadInputReasons) {
    EXPECT_TRUE(reasons.count(reason) > 0) << reason << " has no row";
  }
  std::cout << "[matrix] " << rows.size() << " rows in all\n";
}

// ---- Running the table --------------------------------------------------------------------

// What the books say: each observed caller's balance and job list, and the server's counters of
// jobs, citations and ledger rows.
struct Books {
  std::map<std::string, std::string> balances;                // caller → Balance (text)
  std::map<std::string, std::vector<std::string>> job_lists;  // caller → every listed job (text)
  std::map<std::string, double> counters;                     // sample (with labels) → value
};

// The callers whose books each row must leave alone, by name.
const std::vector<std::pair<std::string, Metadata>>& Observed() {
  static const auto* observed = new std::vector<std::pair<std::string, Metadata>>{
      {"free", MetadataOf(Who::kFree)},           {"other", MetadataOf(Who::kOther)},
      {"paid", MetadataOf(Who::kPaid)},           {"pass", MetadataOf(Who::kPass)},
      {"fresh", {{"x-user-token", kFreshToken}}},
  };
  return *observed;
}

// The counter families of the books: what SubmitBatch, the ledger and the jobs move.
const char* const kBookCounters[] = {"citecheck_jobs_submitted_total",
                                     "citecheck_jobs_finished_total", "citecheck_citations_total",
                                     "citecheck_ledger_entries_total"};

class BadInputMatrixTest : public SharedServerTest<BadInputMatrixTest> {
 public:
  static std::vector<std::string> ServerFlags() {
    return {absl::StrCat("--admin_key=", kAdminKey),
            "--admin_failures_per_minute=100000",
            "--free_limit=100",
            absl::StrCat("--max_batch_citations=", kMaxBatch),
            absl::StrCat("--max_inline_citations=", kMaxInline),
            absl::StrCat("--max_request_bytes=", kMaxRequestBytes),
            absl::StrCat("--pass_daily_limit=", kPassDailyLimit),
            "--checker_delay=1h",
            "--shutdown_grace=0s",
            "--metrics_listen=127.0.0.1:0"};
  }
  // No secret reached the log, whatever the rows did.
  static std::vector<std::string> Secrets() {
    return {kAdminKey, kWrongAdminKey, kPaidToken, kPassToken, kFreshToken, "Zq86"};
  }

 protected:
  static void SetUpTestSuite() {
    SharedServerTest::SetUpTestSuite();
    if (server_ == nullptr) return;
    channel_ = new std::shared_ptr<grpc::Channel>(NewChannel(server_->address()));
    world_ = new World(MakeWorld());
  }
  static void TearDownTestSuite() {
    delete world_;
    delete channel_;
    world_ = nullptr;
    channel_ = nullptr;
    SharedServerTest::TearDownTestSuite();
  }
  void SetUp() override {
    SharedServerTest::SetUp();
    ASSERT_NE(world_, nullptr);
  }

  // A unary call that must succeed; its response parsed into *response.
  static void MustCall(const std::string& rpc, const google::protobuf::Message& request, Who who,
                       google::protobuf::Message* response) {
    MustCall(rpc, Serialized(request), MetadataOf(who), response);
  }
  static void MustCall(const std::string& rpc, const std::string& request, const Metadata& metadata,
                       google::protobuf::Message* response) {
    std::string bytes;
    const grpc::Status status = RawUnaryCall(**channel_, rpc, request, metadata, &bytes);
    ASSERT_TRUE(status.ok()) << rpc << ": " << status.error_message();
    ASSERT_TRUE(response->ParseFromString(bytes)) << rpc;
  }

  static v1::Job Submit(Who who, v1::SubmitBatchRequest request) {
    v1::Job job;
    MustCall(kSubmitBatch, request, who, &job);
    return job;
  }

  static v1::Job Get(Who who, const std::string& job_id) {
    v1::Job job;
    MustCall(kGetJob, JobIdRequest(job_id), MetadataOf(who), &job);
    return job;
  }

  static std::string FirstPageToken(Who who, v1::JobState state) {
    v1::ListJobsResponse page;
    MustCall(kListJobs, ListRequest(1, "", state), MetadataOf(who), &page);
    EXPECT_FALSE(page.next_page_token().empty());
    return page.next_page_token();
  }

  // The jobs, grants and page tokens the rows refer to. Every job is left RUNNING (the checker
  // holds its citations for an hour) or CANCELLED, so that none moves while the rows run.
  static World MakeWorld() {
    v1::Balance balance;
    MustCall(kGrantCredits, CreditsRequest(kPaidToken, kPaidCredits, kPaidOrder),
             MetadataOf(Who::kAdmin), &balance);
    MustCall(kGrantPass, PassRequest(kPassToken, 7, kPassOrder), MetadataOf(Who::kAdmin), &balance);

    v1::SubmitBatchRequest with_id = Items({CitationNumber(0)});
    with_id.set_request_id(kReusedRequestId);
    std::vector<std::pair<Who, std::string>> running = {
        {Who::kFree, Submit(Who::kFree, with_id).job_id()},
        {Who::kFree, Submit(Who::kFree, Items(Citations(2))).job_id()},
        {Who::kOther, Submit(Who::kOther, Items(Citations(1))).job_id()},
        {Who::kOther, Submit(Who::kOther, Items(Citations(1))).job_id()},
        {Who::kPaid, Submit(Who::kPaid, Items(Citations(2))).job_id()},
    };
    World world;
    world.running_job = running[1].second;
    world.other_job = running[2].second;
    v1::Job cancelled;
    world.cancelled_job = Submit(Who::kFree, Items(Citations(1))).job_id();
    MustCall(kCancelJob, JobIdRequest(world.cancelled_job), MetadataOf(Who::kFree), &cancelled);
    EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
    world.cancelled_last = cancelled.last_sequence();

    // Each running job has begun its (held) check: no event comes until the rows are done.
    for (const auto& [who, job_id] : running) {
      EXPECT_TRUE(Eventually([&, who = who, job_id = job_id] {
        return Get(who, job_id).state() == v1::JOB_STATE_RUNNING;
      })) << job_id;
    }
    world.running_last = Get(Who::kFree, world.running_job).last_sequence();
    world.page_token = FirstPageToken(Who::kFree, v1::JOB_STATE_UNSPECIFIED);
    world.running_page_token = FirstPageToken(Who::kFree, v1::JOB_STATE_RUNNING);
    world.other_page_token = FirstPageToken(Who::kOther, v1::JOB_STATE_UNSPECIFIED);
    return world;
  }

  static Books ReadBooks() {
    Books books;
    for (const auto& [name, metadata] : Observed()) {
      v1::Balance balance;
      MustCall(kGetBalance, "", metadata, &balance);
      balance.clear_reset_time();  // moves at UTC midnight, with nothing spent
      books.balances[name] = balance.ShortDebugString();
      std::string token;
      do {
        v1::ListJobsResponse page;
        MustCall(kListJobs, ListRequest(200, token, 0), metadata, &page);
        for (const v1::Job& job : page.jobs()) {
          books.job_lists[name].push_back(job.ShortDebugString());
        }
        token = page.next_page_token();
      } while (!token.empty());
    }
    const PrometheusText metrics = ScrapeMetrics(server_->metrics_address());
    for (const char* family : kBookCounters) {
      if (!metrics.Has(family)) {
        ADD_FAILURE() << family << " is not exported";
        continue;
      }
      for (const Sample& sample : metrics.Family(family).samples) {
        std::string key = sample.name;
        for (const auto& [label, value] : sample.labels)
          absl::StrAppend(&key, ",", label, "=", value);
        books.counters[key] = sample.value;
      }
    }
    return books;
  }

  // Runs `row`'s call; the status, and the number of WatchJob events it got in *events.
  static grpc::Status Call(const Row& row, int* events) {
    *events = 0;
    Metadata metadata = MetadataOf(row.who);
    metadata.insert(metadata.end(), row.extra_metadata.begin(), row.extra_metadata.end());
    if (row.rpc == kWatchJob) return RawWatch(**channel_, row.request, metadata, 1, events);
    return RawUnaryCall(**channel_, row.rpc, row.request, metadata);
  }

  // Checks the answer to `row`.
  static void ExpectAnswer(const Row& row, const grpc::Status& status, int events) {
    EXPECT_EQ(events, 0) << "events before the error";
    EXPECT_EQ(status.error_code(), row.code)
        << client::StatusCodeName(status.error_code()) << ": " << status.error_message();
    std::optional<google::rpc::Status> details = client::DecodeStatusDetails(status);
    ASSERT_TRUE(details.has_value()) << "no google.rpc.Status in the details";
    EXPECT_EQ(details->code(), static_cast<int>(row.code));
    EXPECT_EQ(details->message(), status.error_message());
    int infos = 0;
    for (const google::protobuf::Any& any : details->details()) {
      google::rpc::ErrorInfo info;
      if (!any.UnpackTo(&info)) continue;
      ++infos;
      EXPECT_EQ(info.reason(), row.reason);
      EXPECT_EQ(info.domain(), client::kErrorDomain);
      for (const auto& [key, value] : row.info) {
        auto it = info.metadata().find(key);
        EXPECT_TRUE(it != info.metadata().end() && it->second == value)
            << "ErrorInfo metadata " << key << " is not " << value;
      }
    }
    EXPECT_EQ(infos, 1) << "ErrorInfo details";
    if (row.field.empty()) {
      EXPECT_THAT(client::FieldViolations(status), IsEmpty());
    } else {
      EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair(row.field, ::testing::_)));
    }
    for (const std::string& secret : row.never_echoed) {
      EXPECT_FALSE(absl::StrContains(status.error_message(), secret))
          << "the message echoes " << absl::CHexEscape(secret.substr(0, 40));
      EXPECT_FALSE(absl::StrContains(status.error_details(), secret))
          << "the details echo " << absl::CHexEscape(secret.substr(0, 40));
    }
  }

  // Runs every row: its answer, then the books exactly as before it.
  static void RunRows(const std::vector<Row>& rows) {
    ASSERT_FALSE(rows.empty());
    Books before = ReadBooks();
    for (const Row& row : rows) {
      SCOPED_TRACE(absl::StrCat("row ", RowName(row)));
      std::cout << "[row] " << RowName(row) << " -> "
                << client::StatusCodeName(static_cast<int>(row.code)) << " " << row.reason
                << (row.field.empty() ? "" : absl::StrCat(" [", row.field, "]")) << "\n";
      int events = 0;
      const grpc::Status status = Call(row, &events);
      ExpectAnswer(row, status, events);
      Books after = ReadBooks();
      EXPECT_EQ(after.balances, before.balances) << "a balance moved";
      EXPECT_EQ(after.job_lists, before.job_lists) << "a job list changed";
      EXPECT_EQ(after.counters, before.counters) << "the server's books moved";
      before = std::move(after);
    }
  }

  static inline std::shared_ptr<grpc::Channel>* channel_ = nullptr;
  static inline World* world_ = nullptr;
};

TEST_F(BadInputMatrixTest, SubmitBatch) { RunRows(SubmitBatchRows()); }
TEST_F(BadInputMatrixTest, WatchJob) { RunRows(WatchJobRows(*world_)); }
TEST_F(BadInputMatrixTest, GetJob) { RunRows(JobIdRows(kGetJob, *world_)); }
TEST_F(BadInputMatrixTest, CancelJob) { RunRows(JobIdRows(kCancelJob, *world_)); }
TEST_F(BadInputMatrixTest, ListJobs) { RunRows(ListJobsRows(*world_)); }
TEST_F(BadInputMatrixTest, GetBalance) { RunRows(GetBalanceRows()); }
TEST_F(BadInputMatrixTest, GrantCredits) { RunRows(GrantCreditsRows()); }
TEST_F(BadInputMatrixTest, GrantPass) { RunRows(GrantPassRows()); }

}  // namespace
}  // namespace citecheck::testing
