#include "server/api/request_validation.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/document_splitter.h"
#include "server/checking/inline_extractor.h"
#include "server/checking/input_parser.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

constexpr size_t kMaxRequestIdLength = 64;

bool IsValidRequestId(absl::string_view id) {
  if (id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;  // printable ASCII, no spaces
  }
  return true;
}

}  // namespace

absl::Status ParseRequest(absl::string_view bytes, size_t max_bytes, absl::string_view what,
                          google::protobuf::MessageLite* out) {
  if (bytes.size() > max_bytes) {
    absl::Status status = MakeError(
        absl::StatusCode::kInvalidArgument, reason::kRequestTooLarge,
        absl::StrCat("the request is ", bytes.size(), " bytes; the limit is ", max_bytes));
    AddErrorMetadata(status, "max_request_bytes", absl::StrCat(max_bytes));
    return status;
  }
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kMalformedRequest,
                     absl::StrCat("the request is not ", what));
  }
  return absl::OkStatus();
}

absl::Status CheckUtf8(absl::string_view value, absl::string_view field) {
  if (IsValidUtf8(value)) return absl::OkStatus();
  return FieldError(reason::kInvalidUtf8, field, "is not valid UTF-8");
}

absl::StatusOr<BatchSpec> ValidateSubmitBatch(absl::string_view serialized_request,
                                              const SubmitLimits& limits, const Checker& checker) {
  internal::SubmitBatchWire request;
  if (absl::Status parsed = ParseRequest(serialized_request, limits.max_request_bytes,
                                         "a SubmitBatchRequest", &request);
      !parsed.ok()) {
    return parsed;
  }
  return ValidateSubmitBatch(request, serialized_request.size(), limits, checker);
}

absl::StatusOr<BatchSpec> ValidateSubmitBatch(const internal::SubmitBatchWire& request,
                                              size_t request_bytes, const SubmitLimits& limits,
                                              const Checker& checker) {
  if (request_bytes > limits.max_request_bytes) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kRequestTooLarge,
                     absl::StrCat("the request is ", request_bytes, " bytes; the limit is ",
                                  limits.max_request_bytes));
  }
  BatchSpec spec;
  // A string that is not UTF-8 is INVALID_UTF8 whichever field it is in, as on every RPC; the
  // rules of each field apply to UTF-8 strings.
  if (absl::Status utf8 = CheckUtf8(request.request_id(), "request_id"); !utf8.ok()) return utf8;
  if (absl::Status utf8 = CheckUtf8(request.model(), "model"); !utf8.ok()) return utf8;
  if (!IsValidRequestId(request.request_id())) {
    return FieldError(reason::kInvalidRequestId, "request_id",
                      "must be at most 64 printable ASCII characters without spaces");
  }
  spec.request_id = request.request_id();

  switch (request.style()) {
    case v1::STYLE_UNSPECIFIED:
    case v1::STYLE_APA7:
      spec.style = v1::STYLE_APA7;
      break;
    case v1::STYLE_MLA9:
      spec.style = v1::STYLE_MLA9;
      break;
    case v1::STYLE_CHICAGO17:
      spec.style = v1::STYLE_CHICAGO17;
      break;
    default:
      return FieldError(reason::kUnsupportedStyle, "style",
                        absl::StrCat("unknown style ", request.style(),
                                     "; use STYLE_APA7, STYLE_MLA9 or STYLE_CHICAGO17"));
  }

  if (!checker.SupportsModel(request.model())) {
    return FieldError(reason::kUnsupportedModel, "model",
                      "is not a model this server offers; leave it empty for the default");
  }
  spec.model = request.model();

  std::string input_field;
  // For list input, the request index of each remaining citation (for error paths).
  std::vector<int> item_positions;
  switch (request.input_case()) {
    case internal::SubmitBatchWire::kCitations: {
      const auto& items = request.citations().items();
      for (int i = 0; i < items.size(); ++i) {
        absl::Status utf8 = CheckUtf8(items[i], absl::StrCat("citations.items[", i, "]"));
        if (!utf8.ok()) return utf8;
        std::vector<std::string> one = ParseCitationList({items[i]});
        if (one.empty()) continue;
        spec.citations.push_back(std::move(one.front()));
        item_positions.push_back(i);
      }
      input_field = "citations.items";
      break;
    }
    case internal::SubmitBatchWire::kText: {
      absl::Status utf8 = CheckUtf8(request.text(), "text");
      if (!utf8.ok()) return utf8;
      spec.citations = ParseCitationText(request.text());
      input_field = "text";
      break;
    }
    case internal::SubmitBatchWire::kHtml: {
      absl::Status utf8 = CheckUtf8(request.html(), "html");
      if (!utf8.ok()) return utf8;
      spec.citations = ParseCitationHtml(request.html());
      input_field = "html";
      break;
    }
    case internal::SubmitBatchWire::kDocument: {
      const internal::DocumentWire& document = request.document();
      const bool html = document.body_case() == internal::DocumentWire::kHtml;
      const std::string& body = html ? document.html() : document.text();
      absl::Status utf8 = CheckUtf8(body, "document");
      if (!utf8.ok()) return utf8;
      if (document.body_case() == internal::DocumentWire::BODY_NOT_SET) {
        return FieldError(reason::kEmptyBatch, "document", "set its text or its html");
      }
      absl::StatusOr<DocumentParts> parts =
          html ? SplitDocumentHtml(body) : SplitDocumentText(body);
      if (!parts.ok()) return parts.status();
      spec.citations = std::move(parts->references);
      spec.document = true;
      for (ExtractedCitation& cited : ExtractInlineCitations(parts->body, spec.style)) {
        spec.inline_citations.push_back({std::move(cited.text), static_cast<int>(cited.offset)});
      }
      if (static_cast<int>(spec.inline_citations.size()) > limits.max_inline_citations) {
        absl::Status status = FieldError(
            reason::kTooManyInlineCitations, "document",
            absl::StrCat("has ", spec.inline_citations.size(), " in-text citations; the limit is ",
                         limits.max_inline_citations));
        AddErrorMetadata(status, "max_inline_citations", absl::StrCat(limits.max_inline_citations));
        return status;
      }
      input_field = "document";
      break;
    }
    case internal::SubmitBatchWire::INPUT_NOT_SET:
      return FieldError(reason::kEmptyBatch, "input", "set one of citations, text or html");
  }
  if (spec.citations.empty()) {
    return FieldError(reason::kEmptyBatch, input_field, "contains no citation");
  }
  if (static_cast<int>(spec.citations.size()) > limits.max_batch_citations) {
    absl::Status status =
        FieldError(reason::kTooManyCitations, input_field,
                   absl::StrCat("has ", spec.citations.size(), " citations; the limit is ",
                                limits.max_batch_citations));
    AddErrorMetadata(status, "max_batch_citations", absl::StrCat(limits.max_batch_citations));
    return status;
  }
  for (size_t i = 0; i < spec.citations.size(); ++i) {
    if (spec.citations[i].size() <= limits.max_citation_bytes) continue;
    std::string field = item_positions.empty()
                            ? input_field
                            : absl::StrCat("citations.items[", item_positions[i], "]");
    absl::Status status =
        FieldError(reason::kCitationTooLong, field,
                   absl::StrCat("citation ", i + 1, " is ", spec.citations[i].size(),
                                " bytes of UTF-8; the limit is ", limits.max_citation_bytes));
    AddErrorMetadata(status, "index", absl::StrCat(i));
    return status;
  }
  std::string inline_part;
  for (const NewJob::InlineItem& item : spec.inline_citations) {
    absl::StrAppend(&inline_part, item.offset, "\x1d", item.text, "\x1e");
  }
  spec.input_fingerprint = Sha256Hex(absl::StrCat(
      static_cast<int>(spec.style), "\x1f", spec.model, "\x1f", spec.document ? "doc" : "list",
      "\x1f", absl::StrJoin(spec.citations, "\x1e"), "\x1f", inline_part));
  return spec;
}

}  // namespace citecheck
