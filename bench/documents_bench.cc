// Benchmark (not a test) of whole-document checking below the job layer: splitting a long
// generated paper, extracting its in-text citations and matching them with the heuristic
// matcher, in CPU time (getrusage of this process). The document: --references references and
// --citations in-text citations in the body, in every form the extractor reads (parenthetical,
// groups, narrative, et al., pages), about a tenth of them with a mistake. Each phase runs
// --runs times; the median is reported. See docs/PERFORMANCE.md ("Documents").
//
//   documents_bench [--references=200] [--citations=1000] [--runs=21] [--style=apa7]

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/document_splitter.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/inline_extractor.h"
#include "server/checking/inline_matcher.h"

ABSL_FLAG(int, references, 200, "references in the generated document");
ABSL_FLAG(int, citations, 1000, "in-text citations in its body");
ABSL_FLAG(int, runs, 21, "runs of each phase (the median is reported)");
ABSL_FLAG(std::string, style, "apa7", "apa7, mla9 or chicago17");
ABSL_FLAG(int, chunk, 10, "in-text citations per MatchInline call (--inline_per_call)");
ABSL_FLAG(std::string, dump, "", "also write the generated document to this file");

namespace citecheck {
namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The median CPU milliseconds of `runs` calls of `phase`.
double MedianCpuMs(int runs, const std::function<void()>& phase) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const double start = CpuSeconds();
    phase();
    samples.push_back((CpuSeconds() - start) * 1000);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// A deterministic pseudo-random sequence (no dependence on the library's generators).
class Sequence {
 public:
  uint32_t Next() {
    state_ = state_ * 1664525u + 1013904223u;
    return state_ >> 8;
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint32_t>(n)); }

 private:
  uint32_t state_ = 12345;
};

// A surname for reference i: distinct, pronounceable, some with accents or particles.
std::string Surname(int i) {
  static constexpr const char* kStarts[] = {"Bar", "Kel", "Mor", "Ste", "Al",  "Fen", "Gra",
                                            "Hol", "Ing", "Lun", "Par", "Rös", "Tam", "Wes"};
  static constexpr const char* kEnds[] = {"ton", "ley", "berg",  "son",  "dahl", "ford", "ini",
                                          "ak",  "ez",  "ström", "wood", "ard",  "ski",  "man"};
  std::string name = absl::StrCat(kStarts[i % 14], kEnds[(i / 14) % 14]);
  if (i >= 196) name = absl::StrCat(name, "-", kStarts[(i / 196) % 14], "e");
  if (i % 17 == 0) name = "van " + name;
  return name;
}

struct Work {
  std::vector<std::string> surnames;
  int year;
  std::string suffix;
};

std::string Reference(const Work& work, v1::Style style, int i) {
  const std::string title = absl::StrCat("Study number ", i, " of reading and writing");
  std::vector<std::string> names;
  if (style == v1::STYLE_APA7) {
    for (const std::string& surname : work.surnames) names.push_back(surname + ", A. B.");
    std::string authors = names.size() == 1 ? names[0]
                          : names.size() == 2
                              ? absl::StrCat(names[0], ", & ", names[1])
                              : absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "),
                                             ", & ", names.back());
    return absl::StrCat(authors, " (", work.year, work.suffix, "). ", title,
                        ". _Journal of Studies_, _", i % 40 + 1, "_(", i % 4 + 1, "), ", i + 10,
                        "–", i + 30, ". https://doi.org/10.1000/bench.", i);
  }
  names.push_back(work.surnames[0] + ", Anna");
  for (size_t k = 1; k < work.surnames.size(); ++k) names.push_back("Ben " + work.surnames[k]);
  std::string authors = names.size() == 1 ? names[0]
                        : names.size() == 2
                            ? absl::StrCat(names[0], ", and ", names[1])
                            : absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "),
                                           ", and ", names.back());
  if (style == v1::STYLE_MLA9) {
    return absl::StrCat(authors, ". \"", title, ".\" _Journal of Studies_, vol. ", i % 40 + 1,
                        ", no. ", i % 4 + 1, ", ", work.year, ", pp. ", i + 10, "–", i + 30, ".");
  }
  return absl::StrCat(authors, ". ", work.year, work.suffix, ". \"", title,
                      ".\" _Journal of Studies_ ", i % 40 + 1, " (", i % 4 + 1, "): ", i + 10, "–",
                      i + 30, ".");
}

// The in-text citation of `work` in one of the forms (narrative only when `may_be_narrative`),
// sometimes with a mistake. *group_start: a second work should share its parenthesis.
std::string InText(const Work& work, v1::Style style, Sequence& random, bool may_be_narrative,
                   bool* group_start) {
  const bool mla = style == v1::STYLE_MLA9;
  const bool chicago = style == v1::STYLE_CHICAGO17;
  const int threshold = chicago ? 4 : 3;
  int year = work.year;
  std::vector<std::string> names = work.surnames;
  const int mistake = random.Below(30);
  if (mistake == 0) year += 1;                             // wrong year
  if (mistake == 1 && names.size() == 2) names.resize(1);  // missing second author
  if (mistake == 2) names = {"Nobody"};                    // not in the list
  std::string authors;
  const bool et_al = static_cast<int>(names.size()) >= threshold;
  int form = random.Below(4);  // 0 parenthetical, 1 narrative, 2-3 group of two
  if (form == 1 && !may_be_narrative) form = 0;
  const std::string joiner = !mla && !chicago && form != 1 ? " & " : " and ";
  if (et_al) {
    authors = names[0] + " et al.";
  } else if (names.size() == 1) {
    authors = names[0];
  } else if (names.size() == 2) {
    authors = names[0] + joiner + names[1];
  } else {
    authors = absl::StrCat(names[0], ", ", names[1], ",", joiner, names[2]);
  }
  const std::string page = random.Below(3) == 0 ? std::to_string(random.Below(300) + 1) : "";
  *group_start = form >= 2;
  if (mla) return absl::StrCat(authors, " ", page.empty() ? "12" : page);
  const std::string when = absl::StrCat(year, work.suffix);
  if (form == 1) {
    return absl::StrCat(authors, " (", when, page.empty() ? "" : absl::StrCat(", ", page), ")");
  }
  return absl::StrCat(authors, chicago ? " " : ", ", when,
                      page.empty() ? "" : absl::StrCat(chicago ? ", " : ", p. ", page));
}

int Run() {
  const int reference_count = absl::GetFlag(FLAGS_references);
  const int citation_count = absl::GetFlag(FLAGS_citations);
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  const int chunk = std::max(1, absl::GetFlag(FLAGS_chunk));
  const std::string style_name = absl::GetFlag(FLAGS_style);
  const v1::Style style = style_name == "mla9"        ? v1::STYLE_MLA9
                          : style_name == "chicago17" ? v1::STYLE_CHICAGO17
                                                      : v1::STYLE_APA7;

  Sequence random;
  std::vector<Work> works;
  for (int i = 0; i < reference_count; ++i) {
    Work work;
    const int authors = 1 + random.Below(5);
    work.surnames.push_back(Surname(i));
    for (int k = 1; k < authors; ++k) work.surnames.push_back(Surname((i * 7 + k * 13) % 150));
    work.year = 1990 + random.Below(34);
    works.push_back(work);
  }
  // Two works by the same author and year carry a/b suffixes.
  for (int i = 0; i + 1 < reference_count; i += 25) {
    works[i + 1].surnames = works[i].surnames;
    works[i + 1].year = works[i].year;
    works[i].suffix = "a";
    works[i + 1].suffix = "b";
  }
  std::sort(works.begin(), works.end(),
            [](const Work& a, const Work& b) { return a.surnames[0] < b.surnames[0]; });

  static constexpr const char* kFiller[] = {
      "Reading habits changed as screens replaced paper in most classrooms",
      "The effect was small but it held across samples and languages",
      "Several reviews reached the same conclusion with different methods",
      "Teachers reported that students skimmed more and reread less",
      "The measures differed, which makes direct comparison difficult"};
  std::string body = "Introduction\n\n";
  std::vector<std::string> written_texts;  // for diagnosing a miscount
  int written = 0;
  while (written < citation_count) {
    absl::StrAppend(&body, kFiller[random.Below(5)]);
    bool group = false;
    const Work& first = works[random.Below(reference_count)];
    std::string citation = InText(first, style, random, /*may_be_narrative=*/true, &group);
    if (group && written + 1 < citation_count) {
      bool ignored = false;
      const Work& second = works[random.Below(reference_count)];
      const std::string other = InText(second, style, random, /*may_be_narrative=*/false, &ignored);
      absl::StrAppend(&body, " (", citation, "; ", other, ").");
      written_texts.push_back(citation);
      written_texts.push_back(other);
      written += 2;
    } else if (citation.back() == ')') {  // narrative
      absl::StrAppend(&body, ", as ", citation, " showed.");
      written_texts.push_back(citation);
      ++written;
    } else {
      absl::StrAppend(&body, " (", citation, ").");
      written_texts.push_back("(" + citation + ")");
      ++written;
    }
    absl::StrAppend(&body, written % 8 == 0 ? "\n\n" : " ");
  }
  std::string document = absl::StrCat(body, "\n\nReferences\n\n");
  for (int i = 0; i < reference_count; ++i) {
    absl::StrAppend(&document, Reference(works[i], style, i), "\n\n");
  }

  if (const std::string path = absl::GetFlag(FLAGS_dump); !path.empty()) {
    if (FILE* file = std::fopen(path.c_str(), "w"); file != nullptr) {
      std::fwrite(document.data(), 1, document.size(), file);
      std::fclose(file);
    }
  }

  // Correctness first: the phases see what was written.
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(document);
  if (!parts.ok() || static_cast<int>(parts->references.size()) != reference_count) {
    std::fprintf(stderr, "the generated document did not split into %d references\n",
                 reference_count);
    return 1;
  }
  const std::vector<ExtractedCitation> extracted = ExtractInlineCitations(parts->body, style);
  if (static_cast<int>(extracted.size()) != citation_count) {
    std::fprintf(stderr, "extracted %zu in-text citations, wrote %d; not extracted:\n",
                 extracted.size(), citation_count);
    int shown = 0;
    for (const std::string& text : written_texts) {
      const bool found = std::any_of(extracted.begin(), extracted.end(),
                                     [&](const ExtractedCitation& c) { return c.text == text; });
      if (!found && shown++ < 10) std::fprintf(stderr, "  %s\n", text.c_str());
    }
    return 1;
  }
  std::map<std::string, int> outcomes;
  {
    const InlineMatcher matcher(style, parts->references);
    for (const ExtractedCitation& citation : extracted) {
      ++outcomes[v1::MatchStatus_Name(matcher.Match(citation.text).match())];
    }
  }

  const double split_ms = MedianCpuMs(runs, [&] { (void)SplitDocumentText(document); });
  const double extract_ms =
      MedianCpuMs(runs, [&] { (void)ExtractInlineCitations(parts->body, style); });
  const double match_once_ms = MedianCpuMs(runs, [&] {
    const InlineMatcher matcher(style, parts->references);
    for (const ExtractedCitation& citation : extracted) (void)matcher.Match(citation.text);
  });
  auto match_in_chunks = [&](HeuristicChecker& checker) {
    for (size_t start = 0; start < extracted.size(); start += chunk) {
      InlineCheckRequest request;
      request.style = style;
      request.references = parts->references;
      for (size_t i = start; i < extracted.size() && i < start + chunk; ++i) {
        request.citations.push_back({static_cast<int>(i), extracted[i].text});
      }
      (void)checker.MatchInline(request);
    }
  };
  const double match_chunks_ms = MedianCpuMs(runs, [&] {
    HeuristicChecker checker;  // a fresh checker: the first chunk reads the reference list
    match_in_chunks(checker);
  });
  const double match_chunks_unkept_ms = MedianCpuMs(runs, [&] {
    for (size_t start = 0; start < extracted.size(); start += chunk) {
      const InlineMatcher matcher(style, parts->references);  // read for every chunk
      for (size_t i = start; i < extracted.size() && i < start + chunk; ++i) {
        (void)matcher.Match(extracted[i].text);
      }
    }
  });

  constexpr double kGoalMs = 50;
  const double total_ms = extract_ms + match_once_ms;
  std::printf(
      "documents_bench: %s, %d references, %d in-text citations, body %.0f KB, "
      "document %.0f KB; median of %d runs, CPU time (getrusage)\n",
      style_name.c_str(), reference_count, citation_count, parts->body.size() / 1024.0,
      document.size() / 1024.0, runs);
  std::printf("  verdicts:");
  for (const auto& [name, count] : outcomes) std::printf(" %s=%d", name.c_str() + 13, count);
  std::printf("\n");
  std::printf("  split document (text)                  %8.2f ms\n", split_ms);
  std::printf("  extract in-text citations              %8.2f ms\n", extract_ms);
  std::printf("  match, one matcher for the document    %8.2f ms\n", match_once_ms);
  std::printf("  match, HeuristicChecker chunks of %-3d  %8.2f ms\n", chunk, match_chunks_ms);
  std::printf("  match, list re-read for every chunk    %8.2f ms\n", match_chunks_unkept_ms);
  std::printf("  extraction + matching                  %8.2f ms = %.2f of the %.0f ms goal\n",
              total_ms, total_ms / kGoalMs, kGoalMs);
  std::printf("  extraction + matching through checker  %8.2f ms = %.2f of the %.0f ms goal\n",
              extract_ms + match_chunks_ms, (extract_ms + match_chunks_ms) / kGoalMs, kGoalMs);
  return 0;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::Run();
}
