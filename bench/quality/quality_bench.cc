// Benchmark (a program, not a test): how well a checker checks references, scored on the
// evaluation written by bench/quality/generate.mjs (references rendered by citeproc-js with the
// official CSL styles, each also copied with one labelled error). See docs/QUALITY.md.
//
//   build/bench/quality_bench [--cases=bench/quality/data/eval.jsonl]
//       [--llm_base_url=URL --llm_model=M --llm_api=chat|responses --llm_api_key_env=VAR]
//       [--citations_per_call=5] [--llm_parallel=4] [--show_misses=N] [--misses_out=FILE]
//
// Without --llm_base_url it scores the built-in heuristic checker (in process, the same code the
// server runs); with it, the LLM checker the server would build for those flags.
//
// Prints, per style: the false-positive rate (correct references reported invalid), recall per
// error type (planted errors reported), the exact correction rate (corrected citation equal to
// the expected one), the "fixes the labelled error" rate (the corrected citation is right around
// the planted error, whatever else it changed), and the source-type accuracy, also per source
// type. Exits 1 when the cases cannot be read or checked.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/input_parser.h"
#include "server/checking/llm_checker_setup.h"

ABSL_FLAG(std::string, cases, "bench/quality/data/eval.jsonl", "the evaluation's cases (JSONL)");
ABSL_FLAG(std::string, llm_base_url, "", "score the LLM checker at this OpenAI-compatible URL");
ABSL_FLAG(std::string, llm_model, "gpt-4o-mini", "model name sent to the endpoint");
ABSL_FLAG(std::string, llm_api, "chat", "chat or responses");
ABSL_FLAG(std::string, llm_api_key_env, "OPENAI_API_KEY", "variable holding the API key");
ABSL_FLAG(int, citations_per_call, 5, "citations per LLM call");
ABSL_FLAG(int, llm_parallel, 4, "LLM calls in flight at once");
ABSL_FLAG(int, show_misses, 0,
          "print up to N misses (false positives, misses, wrong fixes) per error type");
ABSL_FLAG(std::string, misses_out, "", "write every miss to this file (JSONL)");
ABSL_FLAG(std::string, explain, "",
          "print how the heuristic checker dissects and checks this one citation, then exit");
ABSL_FLAG(std::string, style, "apa7", "the style of --explain: apa7, mla9 or chicago17");

namespace citecheck {
namespace {

struct Case {
  std::string style;
  std::string item;
  std::string source_type;
  std::string error;  // "none" for a correct reference.
  std::string input;
  std::string expected;
};

v1::Style StyleOf(const std::string& name) {
  if (name == "mla9") return v1::STYLE_MLA9;
  if (name == "chicago17") return v1::STYLE_CHICAGO17;
  return v1::STYLE_APA7;
}

bool ReadCases(const std::string& path, std::vector<Case>* cases) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s (run bench/quality/run.sh, or node generate.mjs)\n",
                 path.c_str());
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    rapidjson::Document json;
    json.Parse(line.c_str());
    const char* fields[] = {"style", "item", "source_type", "error", "input", "expected"};
    bool ok = !json.HasParseError() && json.IsObject();
    for (const char* field : fields) {
      ok = ok && json.HasMember(field) && json[field].IsString();
    }
    if (!ok) {
      std::fprintf(stderr, "%s:%d: not a case\n", path.c_str(), number);
      return false;
    }
    // The reference as the server would receive it in CitationList.items.
    std::vector<std::string> input = ParseCitationList({json["input"].GetString()});
    cases->push_back({json["style"].GetString(), json["item"].GetString(),
                      json["source_type"].GetString(), json["error"].GetString(),
                      input.empty() ? "" : input.front(), json["expected"].GetString()});
  }
  return true;
}

// What the checker said about one case.
struct Outcome {
  bool checked = false;  // False when the checker failed the citation (LLM errors).
  bool valid = false;
  std::string corrected;
  std::string source_type;
  std::string errors;  // "Component: problem | ..." for the miss report.
};

Outcome OutcomeOf(const v1::CitationResult& result) {
  Outcome outcome;
  outcome.checked = true;
  outcome.valid = result.valid();
  outcome.corrected = result.corrected_citation();
  outcome.source_type = result.source_type();
  for (const v1::CitationError& error : result.errors()) {
    if (!outcome.errors.empty()) outcome.errors += " | ";
    absl::StrAppend(&outcome.errors, error.component(), ": ", error.problem());
  }
  return outcome;
}

// The LLM answers corrections in HTML (<em>); the evaluation writes italics as `_x_`.
std::string HtmlItalicsToMarkdown(std::string text) {
  for (const char* tag : {"<em>", "</em>", "<i>", "</i>"}) {
    for (size_t at = text.find(tag); at != std::string::npos; at = text.find(tag, at)) {
      text.replace(at, std::strlen(tag), "_");
    }
  }
  return text;
}

std::vector<Outcome> CheckWithHeuristics(const std::vector<Case>& cases) {
  std::vector<Outcome> outcomes;
  outcomes.reserve(cases.size());
  for (const Case& c : cases) {
    outcomes.push_back(OutcomeOf(HeuristicChecker::CheckCitation(StyleOf(c.style), c.input)));
  }
  return outcomes;
}

std::vector<Outcome> CheckWithLlm(const std::vector<Case>& cases) {
  LlmSetup setup;
  setup.base_url = absl::GetFlag(FLAGS_llm_base_url);
  setup.model = absl::GetFlag(FLAGS_llm_model);
  setup.api = absl::GetFlag(FLAGS_llm_api);
  setup.api_key_env = absl::GetFlag(FLAGS_llm_api_key_env);
  absl::StatusOr<std::unique_ptr<Checker>> checker = BuildLlmChecker(setup);
  if (!checker.ok()) {
    std::fprintf(stderr, "cannot build the LLM checker: %s\n", checker.status().ToString().c_str());
    std::exit(1);
  }
  // Chunks of one style, as the server sends them.
  struct Chunk {
    v1::Style style;
    std::vector<size_t> indices;
  };
  std::vector<Chunk> chunks;
  const size_t per_call = std::max(1, absl::GetFlag(FLAGS_citations_per_call));
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::Style style = StyleOf(cases[i].style);
    if (chunks.empty() || chunks.back().style != style ||
        chunks.back().indices.size() == per_call) {
      chunks.push_back({style, {}});
    }
    chunks.back().indices.push_back(i);
  }
  std::vector<Outcome> outcomes(cases.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  auto work = [&]() {
    for (size_t k = next++; k < chunks.size(); k = next++) {
      CheckRequest request;
      request.style = chunks[k].style;
      for (size_t i : chunks[k].indices) request.citations.push_back(cases[i].input);
      std::vector<absl::StatusOr<v1::CitationResult>> results = (*checker)->Check(request);
      for (size_t j = 0; j < chunks[k].indices.size() && j < results.size(); ++j) {
        if (!results[j].ok()) continue;
        Outcome outcome = OutcomeOf(*results[j]);
        outcome.corrected = HtmlItalicsToMarkdown(outcome.corrected);
        outcomes[chunks[k].indices[j]] = std::move(outcome);
      }
      size_t finished = ++done;
      if (finished % 20 == 0) std::fprintf(stderr, "%zu/%zu calls\n", finished, chunks.size());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, absl::GetFlag(FLAGS_llm_parallel)); ++t) {
    threads.emplace_back(work);
  }
  for (std::thread& thread : threads) thread.join();
  return outcomes;
}

// The corrected citation is right around the planted error: it contains the expected text of
// the region the error changed, with up to 12 bytes of context on each side.
bool FixesLabelledError(const Case& c, const Outcome& outcome) {
  if (outcome.valid || outcome.corrected.empty()) return false;
  const std::string& a = c.input;
  const std::string& b = c.expected;
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  constexpr size_t kContext = 12;
  size_t begin = prefix > kContext ? prefix - kContext : 0;
  size_t end = std::min(b.size(), b.size() - suffix + kContext);
  return outcome.corrected.find(b.substr(begin, end - begin)) != std::string::npos;
}

struct Tally {
  int correct = 0;
  int false_positives = 0;
  int planted = 0;
  int detected = 0;
  int exact = 0;
  int fixed = 0;
  int typed = 0;       // References whose source type was recognised.
  int references = 0;  // Correct references (the denominator of typed).
  int unchecked = 0;

  void Add(const Case& c, const Outcome& outcome) {
    if (!outcome.checked) {
      ++unchecked;
      return;
    }
    if (c.error == "none") {
      ++correct;
      ++references;
      if (!outcome.valid) ++false_positives;
      if (outcome.source_type == c.source_type) ++typed;
      return;
    }
    ++planted;
    if (!outcome.valid) ++detected;
    std::string corrected = outcome.corrected.empty() ? c.input : outcome.corrected;
    if (!outcome.valid && corrected == c.expected) ++exact;
    if (FixesLabelledError(c, outcome)) ++fixed;
  }
};

std::string Percent(int part, int whole) {
  if (whole == 0) return "-";
  return absl::StrFormat("%.1f %%", 100.0 * part / whole);
}

void PrintSummary(const std::map<std::string, Tally>& by_style) {
  std::printf("\n## Per style\n\n");
  std::printf(
      "| style | references | false positives | planted errors | detected | exact "
      "correction | fixes the labelled error | source type right |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& [style, t] : by_style) {
    std::printf("| %s | %d | %s (%d) | %d | %s | %s | %s | %s |\n", style.c_str(), t.correct,
                Percent(t.false_positives, t.correct).c_str(), t.false_positives, t.planted,
                Percent(t.detected, t.planted).c_str(), Percent(t.exact, t.planted).c_str(),
                Percent(t.fixed, t.planted).c_str(), Percent(t.typed, t.references).c_str());
  }
}

void PrintErrorTypes(const std::map<std::string, std::map<std::string, Tally>>& by_error) {
  std::printf("\n## Per error type\n\n");
  std::printf("| style | error type | planted | detected | exact correction | fixes it |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& [style, errors] : by_error) {
    for (const auto& [error, t] : errors) {
      if (error == "none") continue;
      std::printf("| %s | %s | %d | %s | %s | %s |\n", style.c_str(), error.c_str(), t.planted,
                  Percent(t.detected, t.planted).c_str(), Percent(t.exact, t.planted).c_str(),
                  Percent(t.fixed, t.planted).c_str());
    }
  }
}

void PrintSourceTypes(const std::map<std::string, std::map<std::string, Tally>>& by_type) {
  std::printf("\n## Per source type\n\n");
  std::printf(
      "| style | source type | references | false positives | source type right | "
      "planted | detected | exact correction | fixes it |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [style, types] : by_type) {
    for (const auto& [type, t] : types) {
      std::printf("| %s | %s | %d | %s | %s | %d | %s | %s | %s |\n", style.c_str(), type.c_str(),
                  t.correct, Percent(t.false_positives, t.correct).c_str(),
                  Percent(t.typed, t.references).c_str(), t.planted,
                  Percent(t.detected, t.planted).c_str(), Percent(t.exact, t.planted).c_str(),
                  Percent(t.fixed, t.planted).c_str());
    }
  }
}

std::string MissJson(const Case& c, const Outcome& outcome, const char* kind) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  auto field = [&](const char* name, const std::string& value) {
    writer.Key(name);
    writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  field("miss", kind);
  field("style", c.style);
  field("error", c.error);
  field("source_type", c.source_type);
  field("found_type", outcome.source_type);
  field("input", c.input);
  field("expected", c.expected);
  field("corrected", outcome.corrected);
  field("errors", outcome.errors);
  writer.EndObject();
  return buffer.GetString();
}

int Explain(const std::string& citation) {
  CitationAnatomy anatomy = ParseCitationAnatomy(citation);
  auto show = [&](const char* name, const TextSpan& span) {
    if (span.present()) std::printf("%-18s [%s]\n", name, std::string(anatomy.Of(span)).c_str());
  };
  show("authors", anatomy.authors);
  show("year_group", anatomy.year_group);
  show("title", anatomy.title);
  show("title_element", anatomy.title_element);
  show("container", anatomy.container);
  show("container_name", anatomy.container_name);
  show("container_details", anatomy.container_details);
  show("volume", anatomy.volume);
  show("issue", anatomy.issue);
  show("pages", anatomy.pages);
  show("link", anatomy.link);
  std::printf("source_type        %s\n", anatomy.source_type.c_str());
  v1::CitationResult result =
      HeuristicChecker::CheckCitation(StyleOf(absl::GetFlag(FLAGS_style)), citation);
  std::printf("%s", result.DebugString().c_str());
  return 0;
}

int Main() {
  if (!absl::GetFlag(FLAGS_explain).empty()) return Explain(absl::GetFlag(FLAGS_explain));
  std::vector<Case> cases;
  if (!ReadCases(absl::GetFlag(FLAGS_cases), &cases)) return 1;
  bool llm = !absl::GetFlag(FLAGS_llm_base_url).empty();
  std::vector<Outcome> outcomes = llm ? CheckWithLlm(cases) : CheckWithHeuristics(cases);

  std::map<std::string, Tally> by_style;
  std::map<std::string, std::map<std::string, Tally>> by_error;
  std::map<std::string, std::map<std::string, Tally>> by_type;
  std::map<std::string, int> shown;
  std::ofstream misses;
  if (!absl::GetFlag(FLAGS_misses_out).empty()) misses.open(absl::GetFlag(FLAGS_misses_out));
  int unchecked = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Outcome& outcome = outcomes[i];
    if (!outcome.checked) ++unchecked;
    by_style[c.style].Add(c, outcome);
    by_error[c.style][c.error].Add(c, outcome);
    by_type[c.style][c.source_type].Add(c, outcome);
    if (!outcome.checked) continue;
    const char* kind = nullptr;
    std::string corrected = outcome.corrected.empty() ? c.input : outcome.corrected;
    if (c.error == "none" && !outcome.valid) {
      kind = "false positive";
    } else if (c.error != "none" && outcome.valid) {
      kind = "missed";
    } else if (c.error != "none" && corrected != c.expected) {
      kind = "wrong correction";
    } else if (outcome.source_type != c.source_type && c.error == "none") {
      kind = "source type";
    }
    if (kind == nullptr) continue;
    std::string json = MissJson(c, outcome, kind);
    if (misses.is_open()) misses << json << "\n";
    if (shown[c.error]++ < absl::GetFlag(FLAGS_show_misses)) std::printf("%s\n", json.c_str());
  }
  std::printf("# Quality of the %s checker on %s (%zu cases)\n",
              llm ? absl::GetFlag(FLAGS_llm_model).c_str() : "heuristic",
              absl::GetFlag(FLAGS_cases).c_str(), cases.size());
  if (unchecked > 0) std::printf("\n%d cases could not be checked (LLM failures)\n", unchecked);
  PrintSummary(by_style);
  PrintErrorTypes(by_error);
  PrintSourceTypes(by_type);
  return 0;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::Main();
}
