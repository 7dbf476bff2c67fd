// Hostile and careless clients against the real server binary: every request that is not what
// the API says gets an exact status with its ErrorInfo reason (and a BadRequest naming the field
// where there is one), fails alone, costs nothing, and leaves the server and the other callers'
// calls unharmed.

#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/raw_calls.h"
#include "tests/integration/server_process.h"
#include "tests/integration/shared_server_test.h"

namespace citecheck::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kAdminKey[] = "hostile-test-admin-key";
constexpr char kCitation[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";

void ExpectInvalid(const grpc::Status& status, const std::string& reason, const std::string& field,
                   const std::string& what) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
  EXPECT_EQ(client::ErrorReason(status), reason) << what;
  if (field.empty()) {
    EXPECT_TRUE(client::FieldViolations(status).empty()) << what;
  } else {
    EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair(field, ::testing::_))) << what;
  }
}

class HostileClientsTest : public SharedServerTest<HostileClientsTest> {
 public:
  static std::vector<std::string> ServerFlags() {
    return {absl::StrCat("--admin_key=", kAdminKey), "--free_limit=100", "--watch_heartbeat=200ms"};
  }
};

// ---- Bodies that are not the request, strings that are not UTF-8 ----------------------------

struct StringField {
  std::string method;
  int number;         // the field's number in the request
  std::string field;  // its name
};

TEST_F(HostileClientsTest, InvalidUtf8IsInvalidUtf8NamingTheFieldOnEveryRpc) {
  auto channel = NewChannel(server_->address());
  const Metadata user = {{"x-free-user-id", "utf8-user"}};
  const Metadata admin = {{"x-admin-key", kAdminKey}};
  const std::vector<StringField> fields = {
      {kGetJob, 1, "job_id"},      {kCancelJob, 1, "job_id"},      {kListJobs, 2, "page_token"},
      {kGrantCredits, 1, "token"}, {kGrantCredits, 3, "order_id"}, {kGrantPass, 1, "token"},
      {kGrantPass, 3, "order_id"}, {kSubmitBatch, 4, "text"},      {kSubmitBatch, 5, "html"},
  };
  for (const StringField& f : fields) {
    const bool admin_rpc = absl::StrContains(f.method, "Grant");
    grpc::Status status =
        RawUnaryCall(*channel, f.method, BytesField(f.number, kNotUtf8), admin_rpc ? admin : user);
    ExpectInvalid(status, "INVALID_UTF8", f.field, absl::StrCat(f.method, " ", f.field));
  }
  grpc::Status watch = RawWatch(*channel, BytesField(1, kNotUtf8), user, 10);
  ExpectInvalid(watch, "INVALID_UTF8", "job_id", "WatchJob job_id");
  // One string of a list: the item is named.
  grpc::Status item = RawUnaryCall(
      *channel, kSubmitBatch, BytesField(3, BytesField(1, "fine") + BytesField(1, kNotUtf8)), user);
  ExpectInvalid(item, "INVALID_UTF8", "citations.items[1]", "SubmitBatch item");
}

TEST_F(HostileClientsTest, BytesThatAreNoRequestAreMalformedOnEveryRpc) {
  auto channel = NewChannel(server_->address());
  const Metadata admin = {{"x-admin-key", kAdminKey}};
  for (const char* method :
       {kSubmitBatch, kGetJob, kCancelJob, kListJobs, kGetBalance, kGrantCredits, kGrantPass}) {
    ExpectInvalid(RawUnaryCall(*channel, method, kNotAProtobuf, admin), "MALFORMED_REQUEST", "",
                  method);
  }
  ExpectInvalid(RawWatch(*channel, kNotAProtobuf, {}, 10), "MALFORMED_REQUEST", "", "WatchJob");
  // None of them was logged by libprotobuf, and the server still serves.
  EXPECT_THAT(server_->Log(), Not(HasSubstr("libprotobuf")));
  std::string balance;
  EXPECT_TRUE(RawUnaryCall(*channel, kGetBalance, "", {}, &balance).ok());
}

// ---- Job ids -----------------------------------------------------------------------------------

// Submits `n` citations as `who` on `channel`; the job (and a test failure when refused).
v1::Job SubmitCitations(grpc::Channel& channel, const Metadata& who, int n) {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) request.mutable_citations()->add_items(kCitation);
  std::string bytes;
  grpc::Status status =
      RawUnaryCall(channel, kSubmitBatch, request.SerializeAsString(), who, &bytes);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::Job job;
  EXPECT_TRUE(job.ParseFromString(bytes));
  return job;
}

// Submits a one-citation batch as `who` on `channel`.
v1::Job SubmitOne(grpc::Channel& channel, const Metadata& who) {
  return SubmitCitations(channel, who, 1);
}

TEST_F(HostileClientsTest, JobIdsOfAnotherShapeAreNotFoundWithoutEchoAndTheConnectionServesOn) {
  auto channel = NewChannel(server_->address());
  const Metadata owner = {{"x-free-user-id", "job-id-owner"}};
  const v1::Job job = SubmitOne(*channel, owner);
  ASSERT_TRUE(absl::StartsWith(job.job_id(), "job_")) << job.job_id();
  // "QQ" marks every id below, so that an echo would show.
  const std::vector<std::string> ids = {
      "QQ",
      "job_QQ",
      absl::StrCat(job.job_id(), "QQ"),            // a real id, extended
      absl::StrCat("QQ", job.job_id().substr(2)),  // the length, not the prefix
      absl::AsciiStrToUpper(job.job_id()).replace(0, 4, "job_") + "QQ",
      std::string("job_QQ\n[error] forged\0line\x1b[31m", 31),  // newline, NUL, ANSI
      absl::StrCat("job_QQ", std::string(60 * 1000, 'a')),      // 60 KB
  };
  for (const std::string& id : ids) {
    const std::string what = id.substr(0, 40);
    for (const char* method : {kGetJob, kCancelJob}) {
      grpc::Status status = RawUnaryCall(*channel, method, JobIdRequest(id), owner);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << method << " " << what;
      EXPECT_EQ(client::ErrorReason(status), "JOB_NOT_FOUND") << method << " " << what;
      EXPECT_THAT(status.error_message(), Not(HasSubstr("QQ"))) << method;
      EXPECT_THAT(status.error_details(), Not(HasSubstr("QQ"))) << method;
    }
    grpc::Status watch = RawWatch(*channel, JobIdRequest(id), owner, 10);
    EXPECT_EQ(watch.error_code(), grpc::StatusCode::NOT_FOUND) << "WatchJob " << what;
    EXPECT_EQ(client::ErrorReason(watch), "JOB_NOT_FOUND") << "WatchJob " << what;
    EXPECT_THAT(watch.error_message(), Not(HasSubstr("QQ")));
  }
  // Beyond the request limit of the job RPCs (64 KiB) the request is too large, not looked at.
  for (size_t size : {size_t{70} * 1000, size_t{1} << 20}) {
    const std::string id = absl::StrCat("job_QQ", std::string(size, 'a'));
    for (const char* method : {kGetJob, kCancelJob}) {
      grpc::Status status = RawUnaryCall(*channel, method, JobIdRequest(id), owner);
      ExpectInvalid(status, "REQUEST_TOO_LARGE", "", absl::StrCat(method, " ", size));
      EXPECT_THAT(status.error_message(), Not(HasSubstr("QQ")));
    }
    ExpectInvalid(RawWatch(*channel, JobIdRequest(id), owner, 10), "REQUEST_TOO_LARGE", "",
                  "WatchJob");
  }
  // The same connection still serves, and the real id still works for its owner only.
  std::string bytes;
  ASSERT_TRUE(RawUnaryCall(*channel, kGetJob, JobIdRequest(job.job_id()), owner, &bytes).ok());
  EXPECT_EQ(RawUnaryCall(*channel, kGetJob, JobIdRequest(job.job_id()),
                         {{"x-free-user-id", "someone-else"}})
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ---- Order ids and the log ----------------------------------------------------------------

TEST_F(HostileClientsTest, OrderIdsThatAreNotPrintableOrTooLongAreInvalidGrantsAndNeverLogged) {
  auto channel = NewChannel(server_->address());
  const Metadata admin = {{"x-admin-key", kAdminKey}};
  auto grant = [&](const std::string& order_id, std::string* response = nullptr) {
    v1::GrantCreditsRequest request;
    request.set_token("order-test-account");
    request.set_credits(3);
    request.set_order_id(order_id);
    return RawUnaryCall(*channel, kGrantCredits, request.SerializeAsString(), admin, response);
  };
  // "QQ" marks them all, so that a logged one would show.
  for (const std::string& order_id :
       {std::string("QQ\n2027-01-01T00:00:00.000Z info GrantCredits: order forged OK"),
        std::string("QQ\r\x1b[2K\x1b[31mred"), std::string("QQ\0nul", 6),
        absl::StrCat("QQ", std::string(10 * 1000, 'o')),
        absl::StrCat("QQ", std::string(127, 'o'))}) {
    grpc::Status status = grant(order_id);
    ExpectInvalid(status, "INVALID_GRANT", "order_id", absl::CHexEscape(order_id.substr(0, 20)));
    EXPECT_THAT(status.error_message(), Not(HasSubstr("QQ")));
  }
  // A printable id of the longest length works; one with quotes and a backslash is logged
  // escaped and quoted.
  ASSERT_TRUE(grant(std::string(128, 'L')).ok());
  std::string bytes;
  ASSERT_TRUE(grant("pay \"7\" \\ x", &bytes).ok());
  v1::Balance balance;
  ASSERT_TRUE(balance.ParseFromString(bytes));
  EXPECT_EQ(balance.credits(), 6);  // the refused ones granted nothing
  const std::string log = server_->Log();
  EXPECT_THAT(log, Not(HasSubstr("QQ")));
  EXPECT_THAT(log, HasSubstr(R"(GrantCredits: order "pay \"7\" \\ x" for 3 credits OK)"));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("\"", std::string(64, 'L'), "\"...(+64 bytes)")));
}

// ---- Invisible and control characters ------------------------------------------------------

TEST_F(HostileClientsTest, InvisibleCitationsAreBlankAndControlCharactersAreNeverEchoed) {
  auto channel = NewChannel(server_->address());
  const Metadata who = {{"x-free-user-id", "invisible-user"}};
  v1::SubmitBatchRequest blank;
  for (const char* item : {"\u2003", "\u200B", "\uFEFF", "\u2003\u200B\uFEFF", "\x1b[31m\x1b[0m"}) {
    blank.mutable_citations()->add_items(item);
  }
  grpc::Status status = RawUnaryCall(*channel, kSubmitBatch, blank.SerializeAsString(), who);
  ExpectInvalid(status, "EMPTY_BATCH", "citations.items", "invisible items");
  v1::SubmitBatchRequest text;
  text.set_text("\u200B\n\n\u2003\uFEFF\n");
  ExpectInvalid(RawUnaryCall(*channel, kSubmitBatch, text.SerializeAsString(), who), "EMPTY_BATCH",
                "text", "invisible text");

  // A real citation wrapped in terminal colours, a NUL and a bell: checked without them.
  v1::SubmitBatchRequest dressed;
  dressed.mutable_citations()->add_items(
      absl::StrCat("\x1b[1;31m", kCitation, std::string("\x1b[0m\0\x07", 6)));
  dressed.mutable_citations()->add_items("\u200B\uFEFF");
  std::string bytes;
  ASSERT_TRUE(RawUnaryCall(*channel, kSubmitBatch, dressed.SerializeAsString(), who, &bytes).ok());
  v1::Job job;
  ASSERT_TRUE(job.ParseFromString(bytes));
  EXPECT_EQ(job.total(), 1);
  EXPECT_EQ(job.accepted(), 1);
  v1::Job done;
  EXPECT_TRUE(Eventually([&] {
    return RawUnaryCall(*channel, kGetJob, JobIdRequest(job.job_id()), who, &bytes).ok() &&
           done.ParseFromString(bytes) && done.results_size() >= 1;
  }));
  ASSERT_EQ(done.results_size(), 1);
  EXPECT_EQ(done.results(0).original(), kCitation);
  // Only the one citation was charged.
  ASSERT_TRUE(RawUnaryCall(*channel, kGetBalance, "", who, &bytes).ok());
  v1::Balance balance;
  ASSERT_TRUE(balance.ParseFromString(bytes));
  EXPECT_EQ(balance.free_used(), 1);
}

// ---- Metadata ----------------------------------------------------------------------------------

TEST(HostileMetadataTest, OversizedMetadataFailItsCallAloneAndOtherStreamsOnTheConnectionGoOn) {
  auto server = ServerProcess::Start({absl::StrCat("--admin_key=", kAdminKey),
                                      "--checker_delay=300ms", "--citations_per_call=1",
                                      "--llm_max_inflight=1", "--watch_heartbeat=100ms"});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  auto stub = v1::CitationService::NewStub(channel);
  const Metadata owner = {{"x-free-user-id", "metadata-owner"}};
  v1::SubmitBatchRequest batch;
  for (int i = 0; i < 5; ++i) batch.mutable_citations()->add_items(kCitation);
  std::string bytes;
  ASSERT_TRUE(RawUnaryCall(*channel, kSubmitBatch, batch.SerializeAsString(), owner, &bytes).ok());
  v1::Job job;
  ASSERT_TRUE(job.ParseFromString(bytes));

  // Another caller's stream on the same connection, open and flowing.
  OpenWatch watch(*stub, job.job_id(), owner);
  v1::JobEvent event;
  ASSERT_TRUE(watch.Next(&event));

  // 16 KiB of metadata (twice the limit): each RPC refuses its own call.
  Metadata oversized = owner;
  oversized.push_back({"x-padding", std::string(16 * 1024, 'p')});
  oversized.push_back({"x-admin-key", kAdminKey});
  for (const char* method :
       {kSubmitBatch, kGetJob, kCancelJob, kListJobs, kGetBalance, kGrantCredits, kGrantPass}) {
    grpc::Status status = RawUnaryCall(*channel, method, "", oversized);
    ExpectInvalid(status, "REQUEST_TOO_LARGE", "", method);
    EXPECT_EQ(client::ErrorMetadata(status)["max_metadata_bytes"], "8192") << method;
  }
  ExpectInvalid(RawWatch(*channel, JobIdRequest(job.job_id()), oversized, 10), "REQUEST_TOO_LARGE",
                "", "WatchJob");
  // Just under the limit is fine.
  Metadata large = owner;
  large.push_back({"x-padding", std::string(7 * 1024, 'p')});
  EXPECT_TRUE(RawUnaryCall(*channel, kGetJob, JobIdRequest(job.job_id()), large).ok());

  // The stream lives on: more events, then the end of the job, OK.
  ASSERT_TRUE(watch.Next(&event));
  EXPECT_TRUE(RawUnaryCall(*channel, kCancelJob, JobIdRequest(job.job_id()), owner).ok());
  grpc::Status ended = watch.Finish();
  EXPECT_TRUE(ended.ok()) << ended.error_message();

  // Beyond the transport's limit (8 times ours: 64 KiB) gRPC itself refuses the request, ending
  // its connection (documented in docs/OPERATIONS.md); the server serves on.
  auto other = NewChannel(server->address());
  Metadata huge = owner;
  huge.push_back({"x-padding", std::string(80 * 1024, 'p')});
  EXPECT_EQ(RawUnaryCall(*other, kGetBalance, "", huge).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(RawUnaryCall(*NewChannel(server->address()), kGetBalance, "", owner).ok());
  EXPECT_EQ(server->Terminate(), 0);
}

// ---- Oversized requests --------------------------------------------------------------------

// A SubmitBatchRequest whose serialization is exactly `bytes` long (a text of 'a's).
std::string SubmitOfSize(size_t bytes) {
  for (size_t text = bytes; text > 0; --text) {
    v1::SubmitBatchRequest request;
    request.set_text(std::string(text, 'a'));
    if (request.ByteSizeLong() == bytes) return request.SerializeAsString();
  }
  return "";
}

TEST(HostileSizesTest, OversizedRequestsGetRequestTooLargeUpToTheDocumentedTransportLimit) {
  // With --max_request_bytes=64 KiB the transport's limit is 4 x 64 KiB + 1 MiB.
  constexpr size_t kMaxRequest = 64 * 1024;
  constexpr size_t kTransportLimit = 4 * kMaxRequest + (1 << 20);
  auto server = ServerProcess::Start(
      {absl::StrCat("--max_request_bytes=", kMaxRequest), absl::StrCat("--admin_key=", kAdminKey)});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  const Metadata who = {{"x-free-user-id", "big-sender"}, {"x-admin-key", kAdminKey}};
  for (size_t size : {kMaxRequest + 1, size_t{512 * 1024}, kTransportLimit}) {
    const std::string request = SubmitOfSize(size);
    ASSERT_EQ(request.size(), size);
    grpc::Status status = RawUnaryCall(*channel, kSubmitBatch, request, who);
    ExpectInvalid(status, "REQUEST_TOO_LARGE", "", absl::StrCat("SubmitBatch of ", size));
    EXPECT_EQ(client::ErrorMetadata(status)["max_request_bytes"], absl::StrCat(kMaxRequest));
  }
  // Every other RPC: 64 KiB, the same answer.
  const std::string job_id_request = JobIdRequest(std::string(70 * 1000, 'j'));
  for (const char* method :
       {kGetJob, kCancelJob, kListJobs, kGetBalance, kGrantCredits, kGrantPass}) {
    grpc::Status status = RawUnaryCall(*channel, method, job_id_request, who);
    ExpectInvalid(status, "REQUEST_TOO_LARGE", "", method);
    EXPECT_EQ(client::ErrorMetadata(status)["max_request_bytes"], "65536") << method;
  }
  ExpectInvalid(RawWatch(*channel, job_id_request, who, 10), "REQUEST_TOO_LARGE", "", "WatchJob");
  // One byte beyond the transport's limit: gRPC's own RESOURCE_EXHAUSTED, without details
  // (README and OPERATIONS say so).
  grpc::Status beyond =
      RawUnaryCall(*channel, kSubmitBatch, SubmitOfSize(kTransportLimit + 1), who);
  EXPECT_EQ(beyond.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(client::ErrorReason(beyond), "");
  // None of them cost anything: the free allowance is untouched.
  std::string bytes;
  ASSERT_TRUE(RawUnaryCall(*channel, kGetBalance, "", who, &bytes).ok());
  v1::Balance balance;
  ASSERT_TRUE(balance.ParseFromString(bytes));
  EXPECT_EQ(balance.free_used(), 0);
  EXPECT_EQ(server->Terminate(), 0);
}

// ---- Stream floods ------------------------------------------------------------------------

TEST(HostileStreamsTest, ACallerHasAtMostAHundredWatchStreamsOpenAndOthersAreUnaffected) {
  auto server = ServerProcess::Start({"--checker_delay=60s", "--citations_per_call=1",
                                      "--llm_max_inflight=1", "--shutdown_grace=0s"});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  auto stub = v1::CitationService::NewStub(channel);
  const Metadata flooder = {{"x-free-user-id", "flooder"}};
  const Metadata other = {{"x-free-user-id", "bystander"}};
  const v1::Job job = SubmitOne(*channel, flooder);
  const v1::Job other_job = SubmitOne(*channel, other);

  // The default limit: 100 streams open at once, all on one connection.
  std::vector<std::unique_ptr<OpenWatch>> open;
  for (int i = 0; i < 100; ++i) {
    open.push_back(std::make_unique<OpenWatch>(*stub, job.job_id(), flooder));
    v1::JobEvent event;
    ASSERT_TRUE(open.back()->Next(&event)) << "stream " << i;
  }
  OpenWatch refused(*stub, job.job_id(), flooder);
  grpc::Status status = refused.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(client::ErrorReason(status), "TOO_MANY_STREAMS");
  EXPECT_EQ(client::ErrorMetadata(status)["max_streams"], "100");
  EXPECT_THAT(client::QuotaViolations(status), ElementsAre(Pair("watch_streams", ::testing::_)));

  // Another caller on the same connection is not affected.
  OpenWatch bystander(*stub, other_job.job_id(), other);
  v1::JobEvent event;
  EXPECT_TRUE(bystander.Next(&event));

  // A closed stream frees its place (the server sees the cancellation asynchronously).
  open.pop_back();
  EXPECT_TRUE(Eventually([&] {
    OpenWatch again(*stub, job.job_id(), flooder);
    return again.Next(&event);
  }));
  open.clear();
  EXPECT_EQ(server->Terminate(), 0);
}

// ---- Free allowance per client address ---------------------------------------------------------

struct Totals {
  int accepted = 0;
  int locked = 0;
};

// `ids` new free user ids, each submitting `per_id` citations with the extra metadata `extra`.
Totals SubmitFromRotatedIds(grpc::Channel& channel, const std::string& prefix, int ids, int per_id,
                            const Metadata& extra = {}) {
  Totals totals;
  for (int i = 0; i < ids; ++i) {
    Metadata who = extra;
    who.push_back({"x-free-user-id", absl::StrCat(prefix, "-", i)});
    const v1::Job job = SubmitCitations(channel, who, per_id);
    totals.accepted += job.accepted();
    totals.locked += job.locked();
    if (job.locked() > 0) {
      EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_FREE_LIMIT) << i;
    }
  }
  return totals;
}

TEST(HostileFreeIdsTest, RotatingFreeUserIdsFromOneAddressGetOnlyTheAddressDailyLimit) {
  // The defaults: 5 free citations per id, 50 per client address per UTC day; no trusted proxy.
  auto server = ServerProcess::Start(
      {absl::StrCat("--admin_key=", kAdminKey), "--free_address_daily_limit=50"});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  // 50 new ids x 5 citations, each claiming another address in x-forwarded-for (not believed:
  // the peer is no trusted proxy).
  Totals totals;
  for (int i = 0; i < 50; ++i) {
    const v1::Job job = SubmitCitations(*channel,
                                        {{"x-free-user-id", absl::StrCat("rotated-", i)},
                                         {"x-forwarded-for", absl::StrCat("198.51.100.", i)}},
                                        5);
    EXPECT_EQ(job.accepted(), i < 10 ? 5 : 0) << i;
    EXPECT_EQ(job.locked(), i < 10 ? 0 : 5) << i;
    if (i >= 10) {
      EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_FREE_LIMIT) << i;
    }
    totals.accepted += job.accepted();
    totals.locked += job.locked();
  }
  EXPECT_EQ(totals.accepted, 50);
  EXPECT_EQ(totals.locked, 200);
  // Anonymous callers of that address, on another connection: nothing left either.
  const v1::Job anonymous = SubmitCitations(*NewChannel(server->address()), {}, 1);
  EXPECT_EQ(anonymous.accepted(), 0);
  EXPECT_EQ(anonymous.locked(), 1);
  // A paying account from the same address is not capped.
  v1::GrantCreditsRequest grant;
  grant.set_token("address-test-account");
  grant.set_credits(7);
  grant.set_order_id("address-test-order");
  ASSERT_TRUE(
      RawUnaryCall(*channel, kGrantCredits, grant.SerializeAsString(), {{"x-admin-key", kAdminKey}})
          .ok());
  const v1::Job paid = SubmitCitations(*channel, {{"x-user-token", "address-test-account"}}, 7);
  EXPECT_EQ(paid.accepted(), 7);
  EXPECT_EQ(paid.locked(), 0);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST(HostileFreeIdsTest, BehindATrustedProxyEachForwardedClientHasItsOwnAddressLimit) {
  // The test client plays the proxy: loopback is trusted.
  auto server =
      ServerProcess::Start({"--trusted_proxies=127.0.0.0/8,::1", "--free_address_daily_limit=10"});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  // Client A: 4 ids x 5 → 10.
  Totals a = SubmitFromRotatedIds(*channel, "a", 4, 5, {{"x-forwarded-for", "198.51.100.1"}});
  EXPECT_EQ(a.accepted, 10);
  EXPECT_EQ(a.locked, 10);
  // Client B writes A's address... and another in front of what the proxy appended: B is the
  // right-most untrusted hop, with a limit of its own.
  Totals b = SubmitFromRotatedIds(*channel, "b", 4, 5,
                                  {{"x-forwarded-for", "198.51.100.1, 198.51.100.2"}});
  EXPECT_EQ(b.accepted, 10);
  EXPECT_EQ(b.locked, 10);
  // Two IPv6 clients of one /64 share one limit; another /64 has its own.
  Totals c1 = SubmitFromRotatedIds(*channel, "c1", 1, 5, {{"x-forwarded-for", "2001:db8:0:1::1"}});
  Totals c2 = SubmitFromRotatedIds(*channel, "c2", 2, 5,
                                   {{"x-forwarded-for", "[2001:db8:0:1:ffff::2]:443"}});
  EXPECT_EQ(c1.accepted + c2.accepted, 10);
  Totals d = SubmitFromRotatedIds(*channel, "d", 1, 5, {{"x-forwarded-for", "2001:db8:0:2::1"}});
  EXPECT_EQ(d.accepted, 5);
  // Without x-forwarded-for the proxy itself is the client.
  Totals proxy = SubmitFromRotatedIds(*channel, "p", 3, 5);
  EXPECT_EQ(proxy.accepted, 10);
  EXPECT_EQ(server->Terminate(), 0);
}

// ---- Admin key guessing --------------------------------------------------------------------

// The sum of the numbers `pattern`'s first group matches in `log`.
int64_t SumOf(const std::string& log, const std::string& pattern) {
  int64_t sum = 0;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it) {
    sum += std::stoll((*it)[1].str());
  }
  return sum;
}

TEST(HostileAdminTest, WrongAdminKeysAreThrottledPerAddressAndLoggedInAggregate) {
  // The test client plays a trusted proxy so that x-forwarded-for gives each guesser its address.
  auto server = ServerProcess::Start({absl::StrCat("--admin_key=", kAdminKey),
                                      "--trusted_proxies=127.0.0.0/8,::1",
                                      "--admin_failure_log_interval=200ms"});
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(server->address());
  v1::GrantCreditsRequest grant;
  grant.set_token("admin-test-account");
  grant.set_credits(1);
  grant.set_order_id("admin-test-order");
  const std::string request = grant.SerializeAsString();

  // 200 guesses from one address: 10 compared (the default per minute), 190 refused unseen.
  int denied = 0, throttled = 0;
  for (int i = 0; i < 200; ++i) {
    grpc::Status status = RawUnaryCall(
        *channel, kGrantCredits, request,
        {{"x-admin-key", absl::StrCat("guess-", i)}, {"x-forwarded-for", "198.51.100.7"}});
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      EXPECT_EQ(client::ErrorReason(status), "ADMIN_KEY_REQUIRED");
      EXPECT_EQ(throttled, 0) << "a guess compared after the limit, at " << i;
      ++denied;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << i;
      EXPECT_EQ(client::ErrorReason(status), "TOO_MANY_ADMIN_ATTEMPTS") << i;
      std::optional<absl::Duration> retry = client::RetryDelay(status);
      ASSERT_TRUE(retry.has_value()) << i;
      EXPECT_GT(*retry, absl::ZeroDuration());
      EXPECT_LE(*retry, absl::Seconds(6));  // one token: 60 s / 10
      ++throttled;
    }
  }
  EXPECT_EQ(denied, 10);
  EXPECT_EQ(throttled, 190);
  // Now even the right key from that address waits (it is not compared) ...
  grpc::Status locked =
      RawUnaryCall(*channel, kGrantCredits, request,
                   {{"x-admin-key", kAdminKey}, {"x-forwarded-for", "198.51.100.7"}});
  EXPECT_EQ(client::ErrorReason(locked), "TOO_MANY_ADMIN_ATTEMPTS");
  // ... while another address, on the same connection, is served.
  std::string bytes;
  ASSERT_TRUE(RawUnaryCall(*channel, kGrantCredits, request,
                           {{"x-admin-key", kAdminKey}, {"x-forwarded-for", "198.51.100.8"}},
                           &bytes)
                  .ok());
  v1::Balance balance;
  ASSERT_TRUE(balance.ParseFromString(bytes));
  EXPECT_EQ(balance.credits(), 1);

  // The log sums them up in a line per interval, not a line per guess: wait for the totals.
  const std::string kRefused = "admin key refused ([0-9]+) times";
  const std::string kThrottled = "([0-9]+) more calls throttled";
  std::string log;
  Eventually([&] {
    log = server->Log();
    return SumOf(log, kRefused) >= 10 && SumOf(log, kThrottled) >= 191;
  });
  EXPECT_EQ(SumOf(log, kRefused), 10) << log;
  EXPECT_EQ(SumOf(log, "wrong x-admin-key x([0-9]+)"), 10) << log;
  EXPECT_EQ(SumOf(log, kThrottled), 191) << log;  // the right key's call too
  EXPECT_EQ(SumOf(log, "most from \"ip4:198\\.51\\.100\\.7\" x([0-9]+)"), 201) << log;
  int lines = 0;
  for (size_t at = log.find("x-admin-key"); at != std::string::npos;
       at = log.find("x-admin-key", at + 1)) {
    ++lines;
  }
  EXPECT_LE(lines, 3) << log;  // a summary holds the whole run unless it straddles intervals
  EXPECT_THAT(log, Not(HasSubstr("guess-")));
  EXPECT_THAT(log, Not(HasSubstr(kAdminKey)));
  EXPECT_EQ(server->Terminate(), 0);
}

}  // namespace
}  // namespace citecheck::testing
