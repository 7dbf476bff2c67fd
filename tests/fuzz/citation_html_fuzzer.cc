// Fuzzes the HTML input form of SubmitBatch (input_parser.h ParseCitationHtml) and what it is
// built on: the scanner and the HTML-to-text conversion (html_text.h), and character
// references (html_entities.h).
//
// Properties:
//   - the scanner's tokens tile the input in order: each lies after the previous one, inside
//     the input, `raw` is the bytes it spans, a text token holds no '<' but a lone one, a tag
//     starts with '<' and ends with '>' and has a lower-case name;
//   - valid UTF-8 in gives valid UTF-8 out: the plain text and each decoded text token
//     (whatever character references say);
//   - text without '<' or '&' is its own plain text;
//   - every citation is non-empty, cleaned (CollapseWhitespace leaves it as it is) and valid
//     UTF-8, whatever the input (a malformed byte becomes U+FFFD).

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/checking/html_entities.h"
#include "server/checking/html_text.h"
#include "server/checking/input_parser.h"
#include "server/checking/unicode_text.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view html = AsText(data, size);
  const bool utf8 = IsValidUtf8(html);

  HtmlScanner scanner(html);
  HtmlToken token;
  size_t previous_end = 0;
  while (scanner.Next(&token)) {
    FUZZ_CHECK(token.begin >= previous_end && token.begin < token.end && token.end <= size,
               Printable(html));
    FUZZ_CHECK(token.raw == html.substr(token.begin, token.end - token.begin), Printable(html));
    previous_end = token.end;
    if (token.kind == HtmlToken::Kind::kText) {
      FUZZ_CHECK(token.raw == "<" || !absl::StrContains(token.raw, '<'), Printable(token.raw));
      FUZZ_CHECK(!utf8 || IsValidUtf8(DecodeHtmlEntities(token.raw)), Printable(token.raw));
    } else {
      FUZZ_CHECK(absl::StartsWith(token.raw, "<") && absl::EndsWith(token.raw, ">"),
                 Printable(token.raw));
      FUZZ_CHECK(!token.name.empty() && absl::AsciiStrToLower(token.name) == token.name,
                 Printable(token.raw));
    }
  }

  const std::string text = HtmlToPlainText(html);
  FUZZ_CHECK(!utf8 || IsValidUtf8(text), Printable(html));
  if (html.find_first_of("<&") == absl::string_view::npos) {
    FUZZ_CHECK(text == html, Printable(html));
  }

  for (const std::string& citation : ParseCitationHtml(html)) {
    FUZZ_CHECK(!citation.empty(), Printable(html));
    FUZZ_CHECK(CollapseWhitespace(citation) == citation, Printable(citation));
    FUZZ_CHECK(IsValidUtf8(citation), Printable(html));
  }
  return 0;
}
