// The fixed slice of the checking-quality evaluation (docs/QUALITY.md): references rendered by
// citeproc-js with the official CSL styles (committed as text, so no node at test time), each
// also with one labelled error planted. A rule change that reports a correct reference as
// wrong, misses a planted error or breaks corrections fails here.
//
// data/quality_slice.jsonl is made by
//   node bench/quality/generate.mjs --seed 5150 --items 50 --one-error-per-item
//       --out tests/server/checking/data/quality_slice.jsonl
// (one command line).

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "server/checking/heuristic_checker.h"

namespace citecheck {
namespace {

struct SliceCase {
  std::string style;
  std::string source_type;
  std::string error;  // "none" for a correct reference.
  std::string input;
  std::string expected;
};

std::vector<SliceCase> ReadSlice() {
  std::vector<SliceCase> cases;
  std::ifstream in(CITECHECK_QUALITY_SLICE);
  EXPECT_TRUE(in.good()) << "cannot read " << CITECHECK_QUALITY_SLICE;
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document json;
    json.Parse(line.c_str());
    EXPECT_FALSE(json.HasParseError()) << line;
    if (json.HasParseError()) continue;
    cases.push_back({json["style"].GetString(), json["source_type"].GetString(),
                     json["error"].GetString(), json["input"].GetString(),
                     json["expected"].GetString()});
  }
  return cases;
}

v1::Style StyleOf(const std::string& name) {
  if (name == "mla9") return v1::STYLE_MLA9;
  if (name == "chicago17") return v1::STYLE_CHICAGO17;
  return v1::STYLE_APA7;
}

const std::vector<SliceCase>& Slice() {
  static const auto* const kCases = new std::vector<SliceCase>(ReadSlice());
  return *kCases;
}

TEST(QualitySliceTest, HasFiftyReferencesOfEachStyleWithTheirPlantedErrors) {
  std::map<std::string, int> correct;
  std::map<std::string, int> planted;
  for (const SliceCase& c : Slice()) ++(c.error == "none" ? correct : planted)[c.style];
  for (const char* style : {"apa7", "mla9", "chicago17"}) {
    EXPECT_GE(correct[style], 45) << style;
    EXPECT_GE(planted[style], 45) << style;
  }
}

TEST(QualitySliceTest, NoCorrectReferenceIsReportedWrong) {
  for (const SliceCase& c : Slice()) {
    if (c.error != "none") continue;
    v1::CitationResult result = HeuristicChecker::CheckCitation(StyleOf(c.style), c.input);
    EXPECT_TRUE(result.valid()) << c.style << ": " << c.input << "\n" << result.DebugString();
  }
}

TEST(QualitySliceTest, RecognisesTheSourceTypeOfEveryCorrectReference) {
  for (const SliceCase& c : Slice()) {
    if (c.error != "none") continue;
    EXPECT_EQ(HeuristicChecker::CheckCitation(StyleOf(c.style), c.input).source_type(),
              c.source_type)
        << c.style << ": " << c.input;
  }
}

TEST(QualitySliceTest, ReportsEveryPlantedError) {
  for (const SliceCase& c : Slice()) {
    if (c.error == "none") continue;
    EXPECT_FALSE(HeuristicChecker::CheckCitation(StyleOf(c.style), c.input).valid())
        << c.error << ": " << c.input;
  }
}

// At least 95 % of the planted errors of each style are corrected exactly (the corrected
// citation is the rendered reference). The misses are listed.
TEST(QualitySliceTest, CorrectsPlantedErrorsExactly) {
  std::map<std::string, int> planted;
  std::map<std::string, int> exact;
  std::map<std::string, std::string> misses;
  for (const SliceCase& c : Slice()) {
    if (c.error == "none") continue;
    v1::CitationResult result = HeuristicChecker::CheckCitation(StyleOf(c.style), c.input);
    ++planted[c.style];
    if (result.corrected_citation() == c.expected) {
      ++exact[c.style];
    } else {
      absl::StrAppend(&misses[c.style], "\n", c.error, ":\n  input:     ", c.input,
                      "\n  corrected: ", result.corrected_citation(),
                      "\n  expected:  ", c.expected);
    }
  }
  for (const auto& [style, count] : planted) {
    EXPECT_GE(exact[style] * 100, count * 95)
        << style << ": " << exact[style] << " of " << count << " exact" << misses[style];
  }
}

}  // namespace
}  // namespace citecheck
