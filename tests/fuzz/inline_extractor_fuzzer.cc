// Fuzzes in-text citation extraction (inline_extractor.h) and the grammar under it
// (cited_work.h), for each style, with the input as a document's body.
//
// Properties:
//   - citations come in order of appearance (offsets strictly increasing), inside the body;
//   - each citation's text reads back as a cited work of the style (ParseCitedWork);
//   - the offset points at the text in the body: body.substr(offset, text.size()) == text, or,
//     for the rebuilt forms ("Smith, 2020a" of "(Smith, 2019, 2020a)", "Smith (2019)" of
//     "Smith (2019, 2020)"), at the work's year or first name;
//   - valid UTF-8 in gives valid UTF-8 out;
//   - a work written back (FormatCitedWork) reads back with the same first name, title and
//     year.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/checking/cited_work.h"
#include "server/checking/inline_extractor.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

void CheckRoundTrip(const CitedWork& work, v1::Style style, absl::string_view input) {
  const std::string formatted = FormatCitedWork(work, style);
  std::optional<CitedWork> again = ParseCitedWork(formatted, style);
  FUZZ_CHECK(again.has_value(), absl::StrCat(Printable(formatted), " from ", Printable(input)));
  // The names may be written shorter ("Smith et al." for three in APA), never differently.
  FUZZ_CHECK(again->year == work.year && again->title == work.title &&
                 (work.names.empty()
                      ? again->names.empty()
                      : !again->names.empty() && again->names.front() == work.names.front()),
             absl::StrCat(Printable(formatted), " from ", Printable(input)));
}

void CheckStyle(absl::string_view body, v1::Style style, bool utf8) {
  size_t previous_offset = 0;
  bool first = true;
  for (const ExtractedCitation& cited : ExtractInlineCitations(body, style)) {
    const std::string where = absl::StrCat(Printable(cited.text), " at ", cited.offset, " of ",
                                           Printable(body), " style ", style);
    FUZZ_CHECK(cited.offset < body.size(), where);
    FUZZ_CHECK(first || cited.offset > previous_offset, where);
    first = false;
    previous_offset = cited.offset;
    FUZZ_CHECK(!utf8 || IsValidUtf8(cited.text), where);
    std::optional<CitedWork> work = ParseCitedWork(cited.text, style);
    FUZZ_CHECK(work.has_value(), where);
    const absl::string_view at = body.substr(cited.offset);
    const bool verbatim = absl::StartsWith(at, cited.text);
    const bool rebuilt = (!work->year.empty() && absl::StartsWith(at, work->year)) ||
                         (!work->names.empty() && absl::StartsWith(at, work->names.front()));
    FUZZ_CHECK(verbatim || rebuilt, where);
    CheckRoundTrip(*work, style, body);
  }
  if (std::optional<CitedWork> whole = ParseCitedWork(body, style)) {
    CheckRoundTrip(*whole, style, body);
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view body = AsText(data, size);
  const bool utf8 = IsValidUtf8(body);
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17}) {
    CheckStyle(body, style, utf8);
  }
  return 0;
}
