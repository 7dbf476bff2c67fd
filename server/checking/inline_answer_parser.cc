#include "server/checking/inline_answer_parser.h"

#include <cmath>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"
#include "server/common/json_nesting.h"

namespace citecheck {
namespace {

// How many '{' / '[' positions are tried before giving up on finding the results.
constexpr int kMaxStarts = 16;

// The "results" array of an object, or the value itself when it is an array; null otherwise.
const rapidjson::Value* ResultsOf(const rapidjson::Value& value) {
  if (value.IsArray()) return &value;
  if (!value.IsObject()) return nullptr;
  auto member = value.FindMember("results");
  return member != value.MemberEnd() && member->value.IsArray() ? &member->value : nullptr;
}

// The first complete JSON value of `answer`, starting at a '{' or '[', that holds results.
std::optional<rapidjson::Document> FindResults(absl::string_view answer) {
  size_t start = answer.find_first_of("{[");
  for (int tries = 0; tries < kMaxStarts && start != absl::string_view::npos; ++tries) {
    rapidjson::Document document;
    if (JsonNestingAtMost(answer.substr(start))) {
      document.Parse<rapidjson::kParseStopWhenDoneFlag>(answer.data() + start,
                                                        answer.size() - start);
      if (!document.HasParseError() && ResultsOf(document) != nullptr) return document;
    }
    start = answer.find_first_of("{[", start + 1);
  }
  return std::nullopt;
}

std::optional<std::string> ReadId(const rapidjson::Value& value) {
  if (value.IsString()) {
    std::string id = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(absl::string_view(value.GetString(), value.GetStringLength())));
    return id;
  }
  if (value.IsInt()) return absl::StrCat("c", value.GetInt());
  return std::nullopt;
}

std::optional<v1::MatchStatus> ReadMatch(const rapidjson::Value& value) {
  if (!value.IsString()) return std::nullopt;
  std::string match = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(value.GetString(), value.GetStringLength())));
  for (char& c : match) {
    if (c == '-' || c == ' ') c = '_';
  }
  if (match == "matched" || match == "match") return v1::MATCH_STATUS_MATCHED;
  if (match == "mismatch" || match == "mismatched") return v1::MATCH_STATUS_MISMATCH;
  if (match == "not_found" || match == "notfound") return v1::MATCH_STATUS_NOT_FOUND;
  if (match == "ambiguous") return v1::MATCH_STATUS_AMBIGUOUS;
  return std::nullopt;
}

std::string ReadString(const rapidjson::Value& entry, const char* key) {
  auto member = entry.FindMember(key);
  if (member == entry.MemberEnd() || !member->value.IsString()) return "";
  return std::string(absl::StripAsciiWhitespace(
      absl::string_view(member->value.GetString(), member->value.GetStringLength())));
}

// Reads one reference number; false when it is not a number.
bool ReadNumber(const rapidjson::Value& value, int64_t* number) {
  if (value.IsInt64()) {
    *number = value.GetInt64();
    return true;
  }
  if (value.IsDouble()) {
    const double d = value.GetDouble();
    if (d != std::trunc(d)) return false;  // 2.5 is no reference number
    // Past int64 the cast is undefined; such a number is outside every list anyway.
    *number = d >= 0x1p62 ? INT64_MAX : d <= -0x1p62 ? INT64_MIN : static_cast<int64_t>(d);
    return true;
  }
  if (value.IsString()) {
    return absl::SimpleAtoi(
        absl::StripAsciiWhitespace(absl::string_view(value.GetString(), value.GetStringLength())),
        number);
  }
  return false;
}

}  // namespace

ParsedInlineAnswer ParseInlineAnswer(absl::string_view answer,
                                     const std::vector<std::string>& asked_ids,
                                     int reference_count) {
  ParsedInlineAnswer parsed;
  auto bad = [&parsed, &asked_ids](std::string defect) {
    parsed.usable = false;
    parsed.results.clear();
    parsed.missing.clear();
    for (size_t i = 0; i < asked_ids.size(); ++i) parsed.missing.push_back(static_cast<int>(i));
    parsed.defect = std::move(defect);
    return parsed;
  };

  std::optional<rapidjson::Document> document = FindResults(answer);
  if (!document) return bad("no JSON object with a \"results\" array in the answer");
  const rapidjson::Value* results = ResultsOf(*document);

  for (const rapidjson::Value& entry : results->GetArray()) {
    if (!entry.IsObject()) continue;
    auto id_member = entry.FindMember("id");
    if (id_member == entry.MemberEnd()) continue;
    std::optional<std::string> id = ReadId(id_member->value);
    if (!id) continue;
    int position = -1;
    for (size_t i = 0; i < asked_ids.size(); ++i) {
      if (asked_ids[i] == *id) position = static_cast<int>(i);
    }
    if (position < 0 || parsed.results.count(position) > 0) continue;

    // Reference numbers are checked before anything else: one out of range spoils the answer.
    std::vector<int> references;
    auto references_member = entry.FindMember("references");
    if (references_member != entry.MemberEnd() && !references_member->value.IsNull()) {
      const rapidjson::Value& value = references_member->value;
      std::vector<const rapidjson::Value*> numbers;
      if (value.IsArray()) {
        for (const rapidjson::Value& item : value.GetArray()) numbers.push_back(&item);
      } else {
        numbers.push_back(&value);
      }
      bool readable = true;
      for (const rapidjson::Value* item : numbers) {
        int64_t number = 0;
        if (!ReadNumber(*item, &number)) {
          readable = false;
          break;
        }
        if (number < 1 || number > reference_count) {
          return bad(absl::StrCat("reference number ", number, " is outside 1..", reference_count));
        }
        references.push_back(static_cast<int>(number - 1));
      }
      if (!readable) continue;
    }

    auto match_member = entry.FindMember("match");
    if (match_member == entry.MemberEnd()) continue;
    std::optional<v1::MatchStatus> match = ReadMatch(match_member->value);
    if (!match) continue;
    if ((*match == v1::MATCH_STATUS_MATCHED || *match == v1::MATCH_STATUS_MISMATCH) &&
        references.size() != 1) {
      continue;
    }
    if (*match == v1::MATCH_STATUS_AMBIGUOUS && references.empty()) continue;
    if (*match == v1::MATCH_STATUS_NOT_FOUND) references.clear();

    v1::InlineCitation verdict;
    verdict.set_match(*match);
    for (int reference : references) verdict.add_reference_indices(reference);
    if (*match != v1::MATCH_STATUS_MATCHED) verdict.set_problem(ReadString(entry, "problem"));
    if (*match == v1::MATCH_STATUS_MISMATCH)
      verdict.set_correction(ReadString(entry, "correction"));
    parsed.results.emplace(position, std::move(verdict));
  }
  if (parsed.results.empty()) return bad("no valid entry for an asked id");
  parsed.usable = true;
  for (size_t i = 0; i < asked_ids.size(); ++i) {
    if (parsed.results.count(static_cast<int>(i)) == 0)
      parsed.missing.push_back(static_cast<int>(i));
  }
  return parsed;
}

}  // namespace citecheck
