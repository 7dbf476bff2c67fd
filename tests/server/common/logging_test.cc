#include "server/common/logging.h"

#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

rapidjson::Document Parse(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  EXPECT_FALSE(doc.HasParseError()) << line;
  EXPECT_TRUE(doc.IsObject()) << line;
  return doc;
}

TEST(LoggingTest, ClientValuesAreQuotedEscapedAndTruncated) {
  EXPECT_EQ(ClientValueForLog("order-42"), "\"order-42\"");
  // A newline cannot start a forged line; NUL, ESC and bytes beyond ASCII show as escapes.
  const std::string hostile("a\n[error] forged\0\x1b[31m\"\\\xff", 25);
  EXPECT_EQ(ClientValueForLog(hostile), R"("a\n[error] forged\x00\x1b[31m\"\\\xff")");
  EXPECT_EQ(ClientValueForLog(std::string(10000, 'x')),
            absl::StrCat("\"", std::string(kMaxLoggedClientBytes, 'x'), "\"...(+",
                         10000 - kMaxLoggedClientBytes, " bytes)"));
  EXPECT_EQ(ClientValueForLog("abcdef", 3), "\"abc\"...(+3 bytes)");
}

TEST(LoggingTest, ParsesTheTwoFormats) {
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("JSON").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoggingTest, JsonLineHasRfc3339MillisUtcLevelMessageAndFields) {
  // 2026-12-04T18:00:00.123Z
  const int64_t millis = int64_t{1796407200} * 1000 + 123;
  const std::string line =
      FormatJsonLogLine(millis, spdlog::level::info, "job finished",
                        {{"job_id", "j-1"}, {"code", "OK"}, {"duration_ms", 12.5}, {"count", 3}});
  EXPECT_EQ(line,
            "{\"ts\":\"2026-12-04T18:00:00.123Z\",\"level\":\"info\",\"msg\":\"job finished\","
            "\"job_id\":\"j-1\",\"code\":\"OK\",\"duration_ms\":12.500,\"count\":3}");
  rapidjson::Document doc = Parse(line);
  EXPECT_EQ(doc["duration_ms"].GetDouble(), 12.5);
}

TEST(LoggingTest, LevelsAreTheFourOfTheDesign) {
  EXPECT_THAT(FormatJsonLogLine(0, spdlog::level::trace, "x"), ::testing::HasSubstr("\"debug\""));
  EXPECT_THAT(FormatJsonLogLine(0, spdlog::level::debug, "x"), ::testing::HasSubstr("\"debug\""));
  EXPECT_THAT(FormatJsonLogLine(0, spdlog::level::warn, "x"), ::testing::HasSubstr("\"warn\""));
  EXPECT_THAT(FormatJsonLogLine(0, spdlog::level::err, "x"), ::testing::HasSubstr("\"error\""));
  EXPECT_THAT(FormatJsonLogLine(0, spdlog::level::critical, "x"),
              ::testing::HasSubstr("\"error\""));
}

TEST(LoggingTest, EscapingKeepsEveryLineValidJson) {
  const std::string nasty = std::string("quote\" backslash\\ newline\n tab\t bell\x07 ") +
                            "bad utf8 \xC3\x28 lone \xFF ok é ✓";
  const std::string line = FormatJsonLogLine(0, spdlog::level::err, nasty, {{"k\"", nasty}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  rapidjson::Document doc = Parse(line);
  EXPECT_EQ(std::string(doc["msg"].GetString()),
            "quote\" backslash\\ newline\n tab\t bell\x07 bad utf8 \xEF\xBF\xBD( lone "
            "\xEF\xBF\xBD ok é ✓");
  EXPECT_TRUE(doc.HasMember("k\""));
}

TEST(LoggingTest, ProcessFieldsAppearOnEveryLine) {
  SetProcessLogField("replica", "replica-a");
  SetProcessLogField("replica", "replica-b");  // replaces
  rapidjson::Document doc =
      Parse(FormatJsonLogLine(0, spdlog::level::info, "x", {{"job_id", "j"}}));
  EXPECT_EQ(std::string(doc["replica"].GetString()), "replica-b");
  EXPECT_EQ(std::string(doc["job_id"].GetString()), "j");
}

}  // namespace
}  // namespace citecheck
