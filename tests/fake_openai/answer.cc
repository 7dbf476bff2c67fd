#include "tests/fake_openai/answer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "server/checking/checker.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/inline_matcher.h"
#include "server/checking/prompts.h"

namespace citecheck::fake_openai {
namespace {

constexpr absl::string_view kHeavyRule = "═══════════════════════════════════════════";
constexpr absl::string_view kLightRule = "───────────────────────────────────────────";

// If `line` starts a citation ("N. text"), sets *number and *text and returns true.
bool StartsCitation(absl::string_view line, int* number, absl::string_view* text) {
  size_t digits = 0;
  while (digits < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 6 || digits + 1 >= line.size() || line[digits] != '.' ||
      (line[digits + 1] != ' ' && line[digits + 1] != '\t')) {
    return false;
  }
  int value = 0;
  for (size_t i = 0; i < digits; ++i) value = value * 10 + (line[i] - '0');
  *number = value;
  *text = absl::StripAsciiWhitespace(line.substr(digits + 2));
  return true;
}

}  // namespace

std::vector<NumberedCitation> ParseNumberedCitations(absl::string_view message) {
  std::vector<NumberedCitation> citations;
  bool open = false;  // the last citation may still be continued
  for (absl::string_view raw : absl::StrSplit(message, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);  // also drops a trailing \r
    if (line.empty()) {
      open = false;
      continue;
    }
    int number = 0;
    absl::string_view text;
    if (StartsCitation(line, &number, &text)) {
      citations.push_back(NumberedCitation{number, std::string(text)});
      open = true;
    } else if (open) {
      std::string& current = citations.back().text;
      if (!current.empty()) current.push_back(' ');
      absl::StrAppend(&current, line);
    }
  }
  return citations;
}

v1::Style StyleFromPrompt(absl::string_view prompt) {
  if (absl::StrContains(prompt, "MLA 9")) return v1::STYLE_MLA9;
  if (absl::StrContains(prompt, "Chicago 17")) return v1::STYLE_CHICAGO17;
  return v1::STYLE_APA7;
}

std::string HtmlToMarkdown(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"<em>", "_"}, {"</em>", "_"}, {"<strong>", "**"}, {"</strong>", "**"}});
}

namespace {

// One block per citation not in `omit`, in the format of prompts.h. `results[i]` holds the
// findings of citations[i]; a missing or failed one reads as valid, source type "other".
std::string RenderBlocks(v1::Style style, const std::vector<NumberedCitation>& citations,
                         const std::set<int>& omit,
                         const std::vector<absl::StatusOr<v1::CitationResult>>& results) {
  std::string answer;
  for (size_t i = 0; i < citations.size(); ++i) {
    const NumberedCitation& citation = citations[i];
    if (omit.count(citation.number) > 0) continue;
    v1::CitationResult result;
    if (i < results.size() && results[i].ok()) result = *results[i];
    absl::StrAppend(&answer, kHeavyRule, "\nCITATION #", citation.number, "\n", kHeavyRule,
                    "\nORIGINAL:\n", citation.text, "\nSOURCE TYPE: ",
                    result.source_type().empty() ? "other" : result.source_type(),
                    "\nVALIDATION RESULTS:\n");
    if (result.errors().empty()) {
      absl::StrAppend(&answer, SuccessLine(style), "\n");
    }
    for (const v1::CitationError& error : result.errors()) {
      absl::StrAppend(&answer, "❌ ", error.component(), ": ", HtmlToMarkdown(error.problem()),
                      "\n");
      if (!error.correction().empty()) {
        absl::StrAppend(&answer, "   Should be: ", HtmlToMarkdown(error.correction()), "\n");
      }
    }
    const std::string corrected = result.corrected_citation().empty()
                                      ? citation.text
                                      : HtmlToMarkdown(result.corrected_citation());
    absl::StrAppend(&answer, kLightRule, "\nCORRECTED CITATION:\n", corrected, "\n", kLightRule,
                    "\n");
  }
  return answer;
}

}  // namespace

std::string RenderAnswer(v1::Style style, const std::vector<NumberedCitation>& citations,
                         const std::set<int>& omit) {
  CheckRequest request;
  request.style = style;
  for (const NumberedCitation& citation : citations) request.citations.push_back(citation.text);
  HeuristicChecker checker;
  return RenderBlocks(style, citations, omit, checker.Check(request));
}

std::string RenderValidAnswer(v1::Style style, const std::vector<NumberedCitation>& citations,
                              const std::set<int>& omit) {
  return RenderBlocks(style, citations, omit, {});
}

bool IsInlineMessage(absl::string_view message) {
  return absl::StartsWith(absl::StripLeadingAsciiWhitespace(message), "REFERENCES:");
}

InlineMessage ParseInlineMessage(absl::string_view message) {
  InlineMessage parsed;
  absl::string_view references = message;
  absl::string_view citations;
  if (size_t start = message.find("REFERENCES:"); start != absl::string_view::npos) {
    references = message.substr(start + absl::string_view("REFERENCES:").size());
  }
  if (size_t split = references.find("IN-TEXT CITATIONS:"); split != absl::string_view::npos) {
    citations = references.substr(split + absl::string_view("IN-TEXT CITATIONS:").size());
    references = references.substr(0, split);
  }
  parsed.references = ParseNumberedCitations(references);
  for (absl::string_view raw : absl::StrSplit(citations, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.size() < 3 || absl::ascii_tolower(static_cast<unsigned char>(line[0])) != 'c') {
      continue;
    }
    const size_t colon = line.find(':');
    int number = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(line.substr(1, colon - 1), &number)) {
      continue;
    }
    parsed.citations.push_back(IdentifiedCitation{
        number, std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)))});
  }
  return parsed;
}

std::string RenderInlineAnswer(v1::Style style, const InlineMessage& message,
                               const std::set<int>& omit, bool out_of_range) {
  std::vector<std::string> references;
  for (const NumberedCitation& reference : message.references) {
    references.push_back(reference.text);
  }
  const InlineMatcher matcher(style, references);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&writer](absl::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  writer.StartObject();
  writer.Key("results");
  writer.StartArray();
  bool first = true;
  for (const IdentifiedCitation& citation : message.citations) {
    if (omit.count(citation.number) > 0) continue;
    const v1::InlineCitation verdict = matcher.Match(citation.text);
    writer.StartObject();
    writer.Key("id");
    string(absl::StrCat("c", citation.number));
    writer.Key("match");
    switch (verdict.match()) {
      case v1::MATCH_STATUS_MATCHED:
        string("matched");
        break;
      case v1::MATCH_STATUS_MISMATCH:
        string("mismatch");
        break;
      case v1::MATCH_STATUS_AMBIGUOUS:
        string("ambiguous");
        break;
      default:
        string("not_found");
        break;
    }
    writer.Key("references");
    writer.StartArray();
    if (out_of_range && first) {
      writer.Int(static_cast<int>(references.size()) + 1);
    } else {
      for (int index : verdict.reference_indices()) writer.Int(index + 1);
    }
    writer.EndArray();
    writer.Key("problem");
    string(verdict.problem());
    writer.Key("correction");
    string(verdict.correction());
    writer.EndObject();
    first = false;
  }
  writer.EndArray();
  writer.EndObject();
  return absl::StrCat("```json\n", absl::string_view(buffer.GetString(), buffer.GetSize()),
                      "\n```");
}

}  // namespace citecheck::fake_openai
