// Fuzzes the SubmitBatch wire decoding (request_validation.h ValidateSubmitBatch): the input is
// the serialized request as it arrives, checked under small limits so that every limit is
// reached, with the heuristic checker answering which models exist.
//
// Properties:
//   - a refusal is INVALID_ARGUMENT with one of the documented reasons;
//   - an accepted request keeps every limit: 1..max_batch_citations citations, each non-empty,
//     whitespace-collapsed, valid UTF-8 and at most max_citation_bytes; at most
//     max_inline_citations in-text citations, each valid UTF-8 at a non-negative offset; a
//     request id of at most 64 printable characters; a known style and model; a SHA-256
//     fingerprint;
//   - the two entry points (bytes, and an already-parsed request) agree.

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/api/request_validation.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/unicode_text.h"
#include "server/common/errors.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

SubmitLimits FuzzLimits() {
  SubmitLimits limits;
  limits.max_batch_citations = 8;
  limits.max_citation_bytes = 256;
  limits.max_request_bytes = 16 * 1024;
  limits.max_inline_citations = 8;
  return limits;
}

void CheckRefusal(const absl::Status& status, absl::string_view input) {
  static const std::set<std::string> kReasons = {std::string(reason::kRequestTooLarge),
                                                 std::string(reason::kMalformedRequest),
                                                 std::string(reason::kInvalidRequestId),
                                                 std::string(reason::kUnsupportedStyle),
                                                 std::string(reason::kUnsupportedModel),
                                                 std::string(reason::kInvalidUtf8),
                                                 std::string(reason::kEmptyBatch),
                                                 std::string(reason::kTooManyCitations),
                                                 std::string(reason::kCitationTooLong),
                                                 std::string(reason::kNoReferenceSection),
                                                 std::string(reason::kTooManyInlineCitations)};
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             absl::StrCat(status.ToString(), " for ", Printable(input)));
  FUZZ_CHECK(kReasons.count(ErrorReason(status)) > 0,
             absl::StrCat(status.ToString(), " for ", Printable(input)));
}

void CheckSpec(const BatchSpec& spec, const SubmitLimits& limits, absl::string_view input) {
  const std::string where = Printable(input);
  FUZZ_CHECK(spec.style == v1::STYLE_APA7 || spec.style == v1::STYLE_MLA9 ||
                 spec.style == v1::STYLE_CHICAGO17,
             where);
  FUZZ_CHECK(spec.model.empty() || spec.model == HeuristicChecker::kModelName, where);
  FUZZ_CHECK(spec.request_id.size() <= 64, where);
  for (char c : spec.request_id) FUZZ_CHECK(c >= 0x21 && c <= 0x7E, where);
  FUZZ_CHECK(!spec.citations.empty() &&
                 static_cast<int>(spec.citations.size()) <= limits.max_batch_citations,
             where);
  for (const std::string& citation : spec.citations) {
    FUZZ_CHECK(!citation.empty() && citation.size() <= limits.max_citation_bytes, where);
    FUZZ_CHECK(IsValidUtf8(citation) && CollapseWhitespace(citation) == citation, where);
  }
  FUZZ_CHECK(static_cast<int>(spec.inline_citations.size()) <= limits.max_inline_citations, where);
  FUZZ_CHECK(spec.document || spec.inline_citations.empty(), where);
  for (const NewJob::InlineItem& item : spec.inline_citations) {
    FUZZ_CHECK(item.offset >= 0 && !item.text.empty() && IsValidUtf8(item.text), where);
  }
  FUZZ_CHECK(spec.input_fingerprint.size() == 64, where);
  for (char c : spec.input_fingerprint) {
    FUZZ_CHECK(absl::ascii_isxdigit(static_cast<unsigned char>(c)) && !absl::ascii_isupper(c),
               where);
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  static const HeuristicChecker* const checker = new HeuristicChecker();
  const SubmitLimits limits = FuzzLimits();
  const absl::string_view input = AsText(data, size);

  const absl::StatusOr<BatchSpec> spec = ValidateSubmitBatch(input, limits, *checker);
  if (!spec.ok()) {
    CheckRefusal(spec.status(), input);
  } else {
    CheckSpec(*spec, limits, input);
  }

  internal::SubmitBatchWire wire;
  if (size <= limits.max_request_bytes && wire.ParseFromArray(data, static_cast<int>(size))) {
    const absl::StatusOr<BatchSpec> again = ValidateSubmitBatch(wire, size, limits, *checker);
    FUZZ_CHECK(again.ok() == spec.ok(), Printable(input));
    if (again.ok()) {
      FUZZ_CHECK(again->input_fingerprint == spec->input_fingerprint &&
                     again->citations == spec->citations,
                 Printable(input));
    } else {
      FUZZ_CHECK(again.status() == spec.status(), Printable(input));
    }
  }
  return 0;
}
