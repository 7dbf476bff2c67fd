#include "server/api/request_validation.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/fakes/fake_checker.h"

namespace citecheck {
namespace {

class RequestValidationTest : public ::testing::Test {
 protected:
  absl::StatusOr<BatchSpec> Validate(const v1::SubmitBatchRequest& request) {
    return ValidateSubmitBatch(request.SerializeAsString(), limits_, checker_);
  }
  // The BadRequest field of `status`, or "".
  static std::string Field(const absl::Status& status) {
    google::rpc::Status rpc = ToRpcStatus(status);
    for (const auto& any : rpc.details()) {
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
        return bad.field_violations(0).field();
      }
    }
    return "";
  }
  void ExpectInvalid(const absl::StatusOr<BatchSpec>& result, const std::string& reason,
                     const std::string& field) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(result.status()), reason);
    EXPECT_EQ(Field(result.status()), field);
  }

  SubmitLimits limits_;
  FakeChecker checker_;
};

TEST_F(RequestValidationTest, AcceptsTextAndDefaultsToApa7) {
  v1::SubmitBatchRequest request;
  request.set_text("First citation\ncontinued.\n\n\n  Second citation.  \n");
  auto spec = Validate(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->style, v1::STYLE_APA7);
  ASSERT_EQ(spec->citations.size(), 2u);
  EXPECT_EQ(spec->citations[0], "First citation continued.");
  EXPECT_FALSE(spec->input_fingerprint.empty());
}

TEST_F(RequestValidationTest, SameInputGivesTheSameFingerprint) {
  v1::SubmitBatchRequest a, b, c;
  a.set_text("One.\n\nTwo.");
  b.mutable_citations()->add_items("One.");
  b.mutable_citations()->add_items("Two.");
  c.set_text("One.\n\nThree.");
  EXPECT_EQ(Validate(a)->input_fingerprint, Validate(b)->input_fingerprint);
  EXPECT_NE(Validate(a)->input_fingerprint, Validate(c)->input_fingerprint);
  c.set_text("One.\n\nTwo.");
  c.set_style(v1::STYLE_MLA9);
  EXPECT_NE(Validate(a)->input_fingerprint, Validate(c)->input_fingerprint);
}

TEST_F(RequestValidationTest, EmptyOrWhitespaceInputIsEmptyBatch) {
  v1::SubmitBatchRequest request;
  ExpectInvalid(Validate(request), "EMPTY_BATCH", "input");
  request.set_text("  \n\n \t ");
  ExpectInvalid(Validate(request), "EMPTY_BATCH", "text");
  request.set_html("<p> </p><p>&nbsp;</p>");
  ExpectInvalid(Validate(request), "EMPTY_BATCH", "html");
  request.mutable_citations()->add_items("   ");
  ExpectInvalid(Validate(request), "EMPTY_BATCH", "citations.items");
}

TEST_F(RequestValidationTest, TooManyCitationsNamesTheField) {
  limits_.max_batch_citations = 3;
  v1::SubmitBatchRequest request;
  for (int i = 0; i < 4; ++i) request.mutable_citations()->add_items(absl::StrCat("c", i));
  ExpectInvalid(Validate(request), "TOO_MANY_CITATIONS", "citations.items");
  request.mutable_citations()->mutable_items()->RemoveLast();
  EXPECT_TRUE(Validate(request).ok());
}

TEST_F(RequestValidationTest, CitationTooLongNamesTheItemByItsRequestPosition) {
  v1::SubmitBatchRequest request;
  request.mutable_citations()->add_items("ok");
  request.mutable_citations()->add_items("");  // dropped, but the path counts it
  request.mutable_citations()->add_items(std::string(4097, 'x'));
  ExpectInvalid(Validate(request), "CITATION_TOO_LONG", "citations.items[2]");
  request.mutable_citations()->set_items(2, std::string(4096, 'x'));
  EXPECT_TRUE(Validate(request).ok());
  v1::SubmitBatchRequest text;
  text.set_text("ok\n\n" + std::string(5000, 'y'));
  ExpectInvalid(Validate(text), "CITATION_TOO_LONG", "text");
}

TEST_F(RequestValidationTest, OversizedRequestIsRequestTooLarge) {
  limits_.max_request_bytes = 1000;
  v1::SubmitBatchRequest request;
  request.set_text(std::string(2000, 'a'));
  auto result = Validate(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(result.status()), "REQUEST_TOO_LARGE");
}

TEST_F(RequestValidationTest, InvalidUtf8NamesTheField) {
  internal::SubmitBatchWire wire;
  wire.set_text("Smith, J. \xff\xfe (2020).");
  ExpectInvalid(ValidateSubmitBatch(wire.SerializeAsString(), limits_, checker_), "INVALID_UTF8",
                "text");
  internal::SubmitBatchWire list;
  list.mutable_citations()->add_items("fine");
  list.mutable_citations()->add_items("\xc0\xaf overlong slash");
  ExpectInvalid(ValidateSubmitBatch(list.SerializeAsString(), limits_, checker_), "INVALID_UTF8",
                "citations.items[1]");
  internal::SubmitBatchWire surrogate;
  surrogate.set_html("<p>\xed\xa0\x80</p>");
  ExpectInvalid(ValidateSubmitBatch(surrogate.SerializeAsString(), limits_, checker_),
                "INVALID_UTF8", "html");
  internal::SubmitBatchWire truncated;
  truncated.set_text("caf\xc3");
  ExpectInvalid(ValidateSubmitBatch(truncated.SerializeAsString(), limits_, checker_),
                "INVALID_UTF8", "text");
  // Not UTF-8 is INVALID_UTF8 in the request id and the model too, before their own rules.
  internal::SubmitBatchWire request_id;
  request_id.set_text("A citation.");
  request_id.set_request_id("req\xff");
  ExpectInvalid(ValidateSubmitBatch(request_id.SerializeAsString(), limits_, checker_),
                "INVALID_UTF8", "request_id");
  internal::SubmitBatchWire model;
  model.set_text("A citation.");
  model.set_model("fake-fallback\xe2\x82");
  ExpectInvalid(ValidateSubmitBatch(model.SerializeAsString(), limits_, checker_), "INVALID_UTF8",
                "model");
  internal::SubmitBatchWire valid;
  valid.set_text("Müller, Ł. — “Quoted” 😀");
  EXPECT_TRUE(ValidateSubmitBatch(valid.SerializeAsString(), limits_, checker_).ok());
}

TEST_F(RequestValidationTest, UnknownStyleIsUnsupportedStyle) {
  internal::SubmitBatchWire wire;
  wire.set_text("A citation.");
  wire.set_style(42);
  ExpectInvalid(ValidateSubmitBatch(wire.SerializeAsString(), limits_, checker_),
                "UNSUPPORTED_STYLE", "style");
  wire.set_style(v1::STYLE_CHICAGO17);
  auto spec = ValidateSubmitBatch(wire.SerializeAsString(), limits_, checker_);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->style, v1::STYLE_CHICAGO17);
}

TEST_F(RequestValidationTest, ModelMustBeOneTheServerOffers) {
  v1::SubmitBatchRequest request;
  request.set_text("A citation.");
  request.set_model("gpt-imaginary");
  ExpectInvalid(Validate(request), "UNSUPPORTED_MODEL", "model");
  request.set_model("fake-fallback");
  EXPECT_TRUE(Validate(request).ok());
}

TEST_F(RequestValidationTest, RequestIdIsAtMost64PrintableAsciiCharacters) {
  v1::SubmitBatchRequest request;
  request.set_text("A citation.");
  request.set_request_id(std::string(64, 'r'));
  EXPECT_TRUE(Validate(request).ok());
  request.set_request_id(std::string(65, 'r'));
  ExpectInvalid(Validate(request), "INVALID_REQUEST_ID", "request_id");
  request.set_request_id("has space");
  ExpectInvalid(Validate(request), "INVALID_REQUEST_ID", "request_id");
  request.set_request_id("tab\there");
  ExpectInvalid(Validate(request), "INVALID_REQUEST_ID", "request_id");
}

TEST_F(RequestValidationTest, GarbageBytesAreAMalformedRequest) {
  auto result = ValidateSubmitBatch(std::string("\xff\xff\xff\xff", 4), limits_, checker_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(result.status()), "MALFORMED_REQUEST");
}

}  // namespace
}  // namespace citecheck
