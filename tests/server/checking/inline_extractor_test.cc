// Table-driven tests of ExtractInlineCitations: for each body, exactly the in-text citations
// that must be extracted (texts and offsets), so that everything else — the false positives a
// case lists under must_not — is asserted absent.

#include "server/checking/inline_extractor.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/cited_work.h"

namespace citecheck {
namespace {

constexpr v1::Style kApa = v1::STYLE_APA7;
constexpr v1::Style kMla = v1::STYLE_MLA9;
constexpr v1::Style kChicago = v1::STYLE_CHICAGO17;

// One citation that must be extracted. Its offset is where `at` first occurs in the body
// (`at` defaults to the text itself, which then must be written there).
struct Expected {
  std::string text;
  std::string at;
};

Expected E(std::string text) { return {text, text}; }
Expected E(std::string text, std::string at) { return {std::move(text), std::move(at)}; }

struct Case {
  std::string name;
  v1::Style style;
  std::string body;
  std::vector<Expected> must;
  // Parts of the body no extracted citation may contain (documentation of false positives;
  // `must` being exact already excludes them).
  std::vector<std::string> must_not;
};

std::vector<Case> Cases() {
  return {
      // ---- APA 7 ------------------------------------------------------------------------------
      {"ApaParenthetical", kApa, "Reading matters (Smith, 2020).", {E("(Smith, 2020)")}, {}},
      {"ApaTwoAuthorsWithPage",
       kApa,
       "As shown (Smith & Lee, 2020, p. 4).",
       {E("(Smith & Lee, 2020, p. 4)")},
       {}},
      {"ApaEtAlWithSuffix",
       kApa,
       "Also (Smith et al., 2020a) agree.",
       {E("(Smith et al., 2020a)")},
       {}},
      {"ApaGroupGivesOnePerWork",
       kApa,
       "Two views (Lee, 2019; Smith, 2020).",
       {E("Lee, 2019"), E("Smith, 2020")},
       {}},
      {"ApaNarrative", kApa, "Smith (2020) argued this.", {E("Smith (2020)")}, {}},
      {"ApaNarrativeTwoAuthors",
       kApa,
       "Later, Smith and Lee (2020) disagreed.",
       {E("Smith and Lee (2020)")},
       {"Later"}},
      {"ApaNarrativeEtAl",
       kApa,
       "Work by Smith et al. (2020) shows it.",
       {E("Smith et al. (2020)")},
       {"Work by"}},
      {"ApaPossessive",
       kApa,
       "Smith's (2020) study and Jones' (2019) reply.",
       {E("Smith's (2020)"), E("Jones' (2019)")},
       {}},
      {"ApaCurlyApostrophes",
       kApa,
       "O\xE2\x80\x99"
       "Brien\xE2\x80\x99s (2016) view.",
       {E("O\xE2\x80\x99"
          "Brien\xE2\x80\x99s (2016)")},
       {}},
      {"ApaCorporateAuthor",
       kApa,
       "Rates rose (World Health Organization, 2020).",
       {E("(World Health Organization, 2020)")},
       {}},
      {"ApaCorporateWithAbbreviation",
       kApa,
       "First (World Health Organization [WHO], 2020), then (WHO, 2021).",
       {E("(World Health Organization [WHO], 2020)"), E("(WHO, 2021)")},
       {}},
      {"ApaNoDate",
       kApa,
       "Undated (Brown, n.d.) and (Brown, n.d.-a).",
       {E("(Brown, n.d.)"), E("(Brown, n.d.-a)")},
       {}},
      {"ApaInPress", kApa, "Forthcoming (Garcia, in press).", {E("(Garcia, in press)")}, {}},
      {"ApaSameAuthorSeveralYears",
       kApa,
       "Often (Smith, 2019, 2020a).",
       {E("Smith, 2019"), E("Smith, 2020a", "2020a")},
       {}},
      {"ApaNarrativeSeveralYears",
       kApa,
       "Smith (2019, 2020) says so.",
       {E("Smith (2019)", "Smith"), E("Smith (2020)", "2020)")},
       {}},
      {"ApaPrefixesInAGroup",
       kApa,
       "Much (see also Brown, 2018; e.g., Lee, 2019).",
       {E("Brown, 2018"), E("Lee, 2019")},
       {"see also", "e.g."}},
      {"ApaPrefixOfASingleWorkStaysInItsText",
       kApa,
       "It holds (see Brown, 2018).",
       {E("(see Brown, 2018)")},
       {}},
      {"ApaPageRangesWithEnDash",
       kApa,
       "Quoted (Smith, 2020, pp. 4\xE2\x80\x93"
       "6).",
       {E("(Smith, 2020, pp. 4\xE2\x80\x93"
          "6)")},
       {}},
      {"ApaThreeNamesAreStillOneCitation",
       kApa,
       "Listed (Smith, Lee, & Brown, 2020).",
       {E("(Smith, Lee, & Brown, 2020)")},
       {}},
      {"ApaNarrativeWithLocator",
       kApa,
       "Smith (2020, p. 12) wrote it.",
       {E("Smith (2020, p. 12)")},
       {}},
      {"ApaNestedParenthesis",
       kApa,
       "Argued (as before (Smith, 2020)) twice.",
       {E("(Smith, 2020)")},
       {"as before"}},
      {"ApaNarrativeSharingItsParenthesis",
       kApa,
       "Smith (2020; see also Lee, 2019) agrees.",
       {E("Smith (2020)", "Smith"), E("Lee, 2019")},
       {}},
      {"ApaTitleForAnAuthor",
       kApa,
       "Unsigned (\"Learning to Read,\" 2019).",
       {E("(\"Learning to Read,\" 2019)")},
       {}},
      {"ApaParticlesAndDiacritics",
       kApa,
       "Zo\xC3\xAB cites van der Berg (2019) and (de Souza, 2018) and (M\xC3\xBCller & "
       "O'Brien, 2017).",
       {E("van der Berg (2019)"), E("(de Souza, 2018)"), E("(M\xC3\xBCller & O'Brien, 2017)")},
       {"Zo\xC3\xAB"}},
      {"ApaSentenceWordsAreNoNames",
       kApa,
       "As Smith (2020) notes. According to Smith and Lee (2021), it is. The World Health "
       "Organization (2022) agrees.",
       {E("Smith (2020)"), E("Smith and Lee (2021)"), E("World Health Organization (2022)")},
       {"As ", "According", "The "}},
      {"ApaLineBreakInsideACitation",
       kApa,
       "Seen (Smith &\nLee, 2020) here.",
       {E("(Smith &\nLee, 2020)")},
       {}},
      {"ApaNoBreakSpaceBeforeThePage",
       kApa,
       "Seen (Smith, 2020, p.\xC2\xA0"
       "4).",
       {E("(Smith, 2020, p.\xC2\xA0"
          "4)")},
       {}},
      {"ApaFalsePositives",
       kApa,
       "Results (see Figure 2) were strong (n = 45) and significant (p < .05) in a later study "
       "(2020) (Table 3) by the (WHO) with (M = 3.2, SD = 1.1) (which was surprising) in 2019 "
       "(2020) as (Smith, 2020, Lee, 2019).",
       {},
       {"Figure", "n = 45", "p < .05", "(2020)", "Table", "(WHO)", "M = 3.2", "surprising",
        "Lee, 2019"}},
      {"ApaYearsAloneNeedANarrativeAuthor",
       kApa,
       "the election (2020) and COVID-19 (2020) and results. (2021) and Smith\n\n(2022)",
       {},
       {"election", "COVID", "2021", "2022"}},
      {"ApaByteOffsetsCountUtf8",
       kApa,
       "\xE2\x80\x9CQuoted\xE2\x80\x9D text \xE2\x80\x94 as (Smith, 2020) said.",
       {E("(Smith, 2020)")},
       {}},
      {"ApaMissingCommaIsStillRead",
       kApa,
       "Odd (Smith 2020) and (Smith-Jones, 2015).",
       {E("(Smith 2020)"), E("(Smith-Jones, 2015)")},
       {}},

      // ---- Chicago 17 author-date --------------------------------------------------------------
      {"ChicagoParentheticalWithPage",
       kChicago,
       "As seen (Smith 2020, 45).",
       {E("(Smith 2020, 45)")},
       {}},
      {"ChicagoTwoAuthors",
       kChicago,
       "Both (Smith and Lee 2020) agree.",
       {E("(Smith and Lee 2020)")},
       {}},
      {"ChicagoThreeAuthorsAndRange",
       kChicago,
       "All (Smith, Lee, and Brown 2020, 12\xE2\x80\x93"
       "15) agree.",
       {E("(Smith, Lee, and Brown 2020, 12\xE2\x80\x93"
          "15)")},
       {}},
      {"ChicagoEtAlWithSuffix",
       kChicago,
       "Many (Smith et al. 2020a).",
       {E("(Smith et al. 2020a)")},
       {}},
      {"ChicagoNarrativeWithPage",
       kChicago,
       "Thus Smith (2020, 45) holds.",
       {E("Smith (2020, 45)")},
       {"Thus"}},
      {"ChicagoGroup",
       kChicago,
       "Views differ (Lee 2019; Smith 2020).",
       {E("Lee 2019"), E("Smith 2020")},
       {}},
      {"ChicagoCorporateAuthor",
       kChicago,
       "Data (National Institute of Mental Health 2019).",
       {E("(National Institute of Mental Health 2019)")},
       {}},
      {"ChicagoFalsePositives",
       kChicago,
       "See (see chapter 3) and the period (1998\xE2\x80\x93"
       "2004) and (ca. 1850) and "
       "(Figure 4) and (N = 120).",
       {},
       {"chapter", "1998", "1850", "Figure", "N = 120"}},

      // ---- MLA 9 --------------------------------------------------------------------------------
      {"MlaAuthorPage", kMla, "A claim (Smith 45).", {E("(Smith 45)")}, {}},
      {"MlaTwoAuthorsAndRange",
       kMla,
       "A claim (Smith and Lee 45\xE2\x80\x93"
       "46).",
       {E("(Smith and Lee 45\xE2\x80\x93"
          "46)")},
       {}},
      {"MlaEtAl", kMla, "A claim (Smith et al. 12).", {E("(Smith et al. 12)")}, {}},
      {"MlaGroup", kMla, "Claims (Smith 45; Lee 12).", {E("Smith 45"), E("Lee 12")}, {}},
      {"MlaShortTitle",
       kMla,
       "One (Smith, \"Reading Minds\" 33).",
       {E("(Smith, \"Reading Minds\" 33)")},
       {}},
      {"MlaItalicShortTitle",
       kMla,
       "Both (Cather, My \xC3\x81ntonia 88) and (Cather, _O Pioneers!_ 12).",
       {E("(Cather, My \xC3\x81ntonia 88)"), E("(Cather, _O Pioneers!_ 12)")},
       {}},
      {"MlaTitleOnly",
       kMla,
       "Unsigned (\"Reading Habits\" 12).",
       {E("(\"Reading Habits\" 12)")},
       {}},
      {"MlaCorporateAuthor",
       kMla,
       "Data (World Health Organization 12).",
       {E("(World Health Organization 12)")},
       {}},
      {"MlaIndirectSourceAndNumerals",
       kMla,
       "Said (qtd. in Smith 45), in the preface (Smith xii) and the epic (Homer 1.2.34).",
       {E("(qtd. in Smith 45)"), E("(Smith xii)"), E("(Homer 1.2.34)")},
       {}},
      {"MlaTwoNamesWithoutPage", kMla, "A web source (Smith and Lee).", {E("(Smith and Lee)")}, {}},
      {"MlaFalsePositives",
       kMla,
       "See (Table 3) and (see Figure 2) with (n = 45), the (WHO), one name (Smith), the year "
       "(2020) and (1999), and a narrative page: Smith argues (45).",
       {},
       {"Table", "Figure", "n = 45", "WHO", "(Smith)", "2020", "1999", "(45)"}},
      {"MlaReadsAYearAsAPage",
       kMla,
       "Not MLA (Smith, 2020).",
       {E("(Smith, 2020)")},
       {}},  // author and page 2020: MLA has no years to tell apart
  };
}

class InlineExtractorTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(InlineExtractorTableTest, ExtractsExactlyWhatItMust) {
  const Case& c = GetParam();
  std::vector<ExtractedCitation> found = ExtractInlineCitations(c.body, c.style);
  std::vector<std::string> texts;
  for (const ExtractedCitation& citation : found) texts.push_back(citation.text);
  std::vector<std::string> expected_texts;
  for (const Expected& e : c.must) expected_texts.push_back(e.text);
  EXPECT_THAT(texts, ::testing::ElementsAreArray(expected_texts));
  for (size_t i = 0; i < found.size() && i < c.must.size(); ++i) {
    const size_t at = c.body.find(c.must[i].at);
    ASSERT_NE(at, std::string::npos) << c.must[i].at;
    EXPECT_EQ(found[i].offset, at) << found[i].text;
    // Every text reads back as one cited work of the style.
    EXPECT_TRUE(ParseCitedWork(found[i].text, c.style).has_value()) << found[i].text;
  }
  for (const std::string& fragment : c.must_not) {
    for (const ExtractedCitation& citation : found) {
      EXPECT_EQ(citation.text.find(fragment), std::string::npos)
          << "\"" << citation.text << "\" holds \"" << fragment << "\"";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Forms, InlineExtractorTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(InlineExtractorTest, HasAtLeastFortyCasesAcrossTheThreeStyles) {
  int per_style[3] = {0, 0, 0};
  for (const Case& c : Cases()) {
    ++per_style[c.style == kApa ? 0 : c.style == kMla ? 1 : 2];
  }
  EXPECT_GE(per_style[0] + per_style[1] + per_style[2], 40);
  for (int count : per_style) EXPECT_GE(count, 8);
}

TEST(InlineExtractorTest, OffsetsOfTextsWrittenAsIsPointAtThem) {
  const std::string body =
      "Intro (Lee, 2019; Smith & Lee, 2020, p. 4). Later Brown et al. (2018) and "
      "M\xC3\xBCller's (2017b) work (see Garcia, n.d.).";
  for (const ExtractedCitation& citation : ExtractInlineCitations(body, kApa)) {
    EXPECT_EQ(body.substr(citation.offset, citation.text.size()), citation.text);
  }
  EXPECT_EQ(ExtractInlineCitations(body, kApa).size(), 5u);
}

TEST(InlineExtractorTest, StylesUnspecifiedReadsAsApa) {
  EXPECT_EQ(ExtractInlineCitations("x (Smith, 2020)", v1::STYLE_UNSPECIFIED).size(), 1u);
}

TEST(InlineExtractorTest, AnEmptyBodyHasNoCitations) {
  EXPECT_TRUE(ExtractInlineCitations("", kApa).empty());
  EXPECT_TRUE(ExtractInlineCitations("((((", kApa).empty());
}

// Found in the fuzzing work (inline_extractor_fuzzer, whose inputs are too short to show it):
// each "(" was matched by scanning up to 1,000 bytes
// afresh from it, so a body of megabytes of "(" took billions of steps (seconds, minutes under
// the sanitizers). The parentheses are now matched in one pass over the body; which ")" closes
// which "(" is unchanged: the innermost first, within 1,000 bytes, never across a blank line.
TEST(InlineExtractorTest, MegabytesOfOpenParenthesesAreMatchedInOnePass) {
  const std::string opens(4 << 20, '(');
  EXPECT_TRUE(ExtractInlineCitations(opens, kApa).empty());

  const std::string body = opens + " (Smith, 2020) then (Lee, 2019\n\n) and\n\n(Brown, 2018)";
  const std::vector<ExtractedCitation> citations = ExtractInlineCitations(body, kApa);
  ASSERT_EQ(citations.size(), 2u);
  EXPECT_EQ(citations[0].text, "(Smith, 2020)");
  EXPECT_EQ(citations[0].offset, opens.size() + 1);
  EXPECT_EQ(citations[1].text, "(Brown, 2018)");
  EXPECT_EQ(citations[1].offset, body.find("(Brown"));
}

// Found by fuzzing (inline_extractor_fuzzer): in "(S 2020,2021,())" the later year is written
// "S 2021,()", which ends in ")" and so was read only as a narrative citation, and not at all:
// an extracted citation that does not read back. A text ending in ")" that is no narrative
// citation is read as one work's part.
TEST(InlineExtractorTest, ALaterYearWhosePartEndsInAParenthesisReadsBack) {
  for (const char* body : {"(S 2020,2021,())", "(Smith 2020, 2021, (n.p.))"}) {
    const std::vector<ExtractedCitation> citations = ExtractInlineCitations(body, kApa);
    ASSERT_EQ(citations.size(), 2u) << body;
    for (const ExtractedCitation& citation : citations) {
      std::optional<CitedWork> work = ParseCitedWork(citation.text, kApa);
      ASSERT_TRUE(work.has_value()) << citation.text;
      EXPECT_EQ(work->names.front(), body[1] == 'S' && body[2] == ' ' ? "S" : "Smith");
    }
    EXPECT_EQ(ParseCitedWork(citations[1].text, kApa)->year, "2021") << body;
  }
  // A narrative citation still reads as one.
  std::optional<CitedWork> narrative = ParseCitedWork("Smith (2020)", kApa);
  ASSERT_TRUE(narrative.has_value());
  EXPECT_EQ(narrative->form, CitedWork::Form::kNarrative);
}

// Found by fuzzing (inline_extractor_fuzzer): in "B(2013,(];))" the part splitter closed the
// inner "(" with "]" and split at the ";", so the narrative citation was written
// "B (2013,(])", which does not read back. Parentheses and brackets now nest each on their own.
TEST(InlineExtractorTest, ABracketClosesNoParenthesisWhenSplittingParts) {
  const std::string body = "B(2013,(];))";
  for (const ExtractedCitation& citation : ExtractInlineCitations(body, kApa)) {
    EXPECT_TRUE(ParseCitedWork(citation.text, kApa).has_value()) << citation.text;
  }
  EXPECT_EQ(SplitCitationSegments("2013,(];)").size(), 1u);
  EXPECT_EQ(SplitCitationSegments("see [Smith]; Lee, 2020").size(), 2u);
}

TEST(InlineExtractorTest, AParenthesisClosesWithinAThousandBytes) {
  // ")" 999 bytes after "(" closes it; 1,000 bytes after, it does not.
  const std::string in_reach = "x (Smith," + std::string(999 - 11, ' ') + "2020)";
  ASSERT_EQ(in_reach.find(')') - in_reach.find('('), 999u);
  ASSERT_EQ(ExtractInlineCitations(in_reach, kApa).size(), 1u);
  EXPECT_EQ(ExtractInlineCitations(in_reach, kApa)[0].offset, 2u);
  const std::string too_far = "x (Smith," + std::string(1000 - 11, ' ') + "2020)";
  ASSERT_EQ(too_far.find(')') - too_far.find('('), 1000u);
  EXPECT_TRUE(ExtractInlineCitations(too_far, kApa).empty());
}

}  // namespace
}  // namespace citecheck
