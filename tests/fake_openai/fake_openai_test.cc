// Self-test of the fake OpenAI server: the in-process server through httplib and libcurl, the
// pure answer functions, and the fake_openai binary's start/stop contract.

#include <curl/curl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/inline_answer_parser.h"
#include "server/checking/inline_matcher.h"
#include "server/checking/inline_prompts.h"
#include "server/checking/llm_answer_parser.h"
#include "server/checking/markdown_html.h"
#include "server/checking/prompts.h"
#include "tests/fake_openai/answer.h"
#include "tests/fake_openai/canned_server.h"
#include "tests/fake_openai/fake_openai_server.h"
#include "tests/fakes/eventually.h"

namespace citecheck::fake_openai {
namespace {

constexpr char kValidApa[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";
constexpr char kBadApa[] =
    "Smith, J. A. and Doe, R. 2020. Deep Learning For Citation Analysis. Journal of "
    "Informetrics, 14(2), pp. 101-115. doi:10.1016/j.joi.2020.101015";
constexpr char kValidMla[] =
    "Smith, John, and Rachel Doe. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.";
constexpr char kApaSuccess[] = "✓ No APA 7 formatting errors detected";

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter& writer, const std::string& text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string ChatBody(const std::string& model, const std::string& system, const std::string& user) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("model");
  Str(writer, model);
  writer.Key("messages");
  writer.StartArray();
  writer.StartObject();
  writer.Key("role");
  writer.String("system");
  writer.Key("content");
  Str(writer, system);
  writer.EndObject();
  writer.StartObject();
  writer.Key("role");
  writer.String("user");
  writer.Key("content");
  Str(writer, user);
  writer.EndObject();
  writer.EndArray();
  writer.Key("temperature");
  writer.Int(0);
  writer.EndObject();
  return buffer.GetString();
}

std::string ResponsesBody(const std::string& model, const std::string& instructions,
                          const std::string& input) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("model");
  Str(writer, model);
  writer.Key("instructions");
  Str(writer, instructions);
  writer.Key("input");
  Str(writer, input);
  writer.EndObject();
  return buffer.GetString();
}

std::string TwoCitationsChat() {
  return ChatBody("gpt-fake", std::string(SystemPrompt(v1::STYLE_APA7)),
                  NumberedCitations({kValidApa, kBadApa}));
}

// Parses `body`; ADD_FAILUREs when it is not a JSON object.
rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) ADD_FAILURE() << "not a JSON object: " << body;
  return doc;
}

std::string ChatContent(const rapidjson::Document& doc) {
  if (!doc.IsObject() || !doc.HasMember("choices")) return "<no choices>";
  return doc["choices"][0]["message"]["content"].GetString();
}

// The text of block `n` of `answer`, from its CITATION line to the next one (or the end).
std::string Block(const std::string& answer, int n) {
  const std::string header = absl::StrCat("CITATION #", n, "\n");
  size_t start = answer.find(header);
  if (start == std::string::npos) return "";
  size_t end = answer.find("CITATION #", start + header.size());
  return answer.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// ---- pure functions ----------------------------------------------------------------------------

TEST(AnswerTest, ParsesNumberedCitations) {
  std::vector<NumberedCitation> citations = ParseNumberedCitations(
      "Check these:\r\n1. First line\r\n   continued\r\n\r\n2. Second\n\nstray prose\n"
      "  10.\tTenth ");
  ASSERT_EQ(citations.size(), 3u);
  EXPECT_EQ(citations[0].number, 1);
  EXPECT_EQ(citations[0].text, "First line continued");
  EXPECT_EQ(citations[1].number, 2);
  EXPECT_EQ(citations[1].text, "Second");
  EXPECT_EQ(citations[2].number, 10);
  EXPECT_EQ(citations[2].text, "Tenth");
  EXPECT_TRUE(ParseNumberedCitations("").empty());
  EXPECT_TRUE(ParseNumberedCitations("1.5 is not a citation\n2.x neither").empty());
}

TEST(AnswerTest, ReadsStyleFromPrompt) {
  EXPECT_EQ(StyleFromPrompt(SystemPrompt(v1::STYLE_APA7)), v1::STYLE_APA7);
  EXPECT_EQ(StyleFromPrompt(SystemPrompt(v1::STYLE_MLA9)), v1::STYLE_MLA9);
  EXPECT_EQ(StyleFromPrompt(SystemPrompt(v1::STYLE_CHICAGO17)), v1::STYLE_CHICAGO17);
  EXPECT_EQ(StyleFromPrompt(""), v1::STYLE_APA7);
}

TEST(AnswerTest, TurnsMarkupBackIntoMarkdown) {
  EXPECT_EQ(HtmlToMarkdown("<em>Journal</em>, <strong>14</strong> a<b"), "_Journal_, **14** a<b");
}

TEST(AnswerTest, AnswerReadsBackThroughCitecheckParser) {
  const std::vector<NumberedCitation> citations = {{1, kValidApa}, {2, kBadApa}, {3, "junk"}};
  const std::string answer = RenderAnswer(v1::STYLE_APA7, citations, {});
  ParsedAnswer parsed = ParseLlmAnswer(answer, v1::STYLE_APA7, 3);
  EXPECT_TRUE(parsed.any_block);
  EXPECT_TRUE(parsed.missing.empty());
  for (const NumberedCitation& citation : citations) {
    SCOPED_TRACE(citation.text);
    const v1::CitationResult direct =
        HeuristicChecker::CheckCitation(v1::STYLE_APA7, citation.text);
    ASSERT_EQ(parsed.results.count(citation.number), 1u);
    const v1::CitationResult& read = parsed.results[citation.number];
    EXPECT_EQ(read.valid(), direct.valid());
    EXPECT_EQ(read.source_type(), direct.source_type());
    ASSERT_EQ(read.errors_size(), direct.errors_size());
    for (int i = 0; i < read.errors_size(); ++i) {
      EXPECT_EQ(read.errors(i).component(), direct.errors(i).component());
      EXPECT_EQ(read.errors(i).correction(), direct.errors(i).correction());
    }
    EXPECT_EQ(read.corrected_citation(), MarkdownToHtml(direct.corrected_citation()));
  }
  EXPECT_FALSE(parsed.results[1].valid() == parsed.results[2].valid());
}

TEST(AnswerTest, OmitLeavesBlocksOut) {
  const std::string answer =
      RenderAnswer(v1::STYLE_APA7, {{1, kValidApa}, {2, kBadApa}, {3, kValidApa}}, {2, 3});
  EXPECT_EQ(Count(answer, "CITATION #"), 1);
  EXPECT_EQ(ParseLlmAnswer(answer, v1::STYLE_APA7, 3).missing, (std::vector<int>{2, 3}));
}

TEST(AnswerTest, ValidAnswerEchoesEveryCitationAsValid) {
  const std::vector<NumberedCitation> citations = {{1, kValidApa}, {2, kBadApa}, {3, "junk"}};
  const std::string answer = RenderValidAnswer(v1::STYLE_MLA9, citations, {3});
  EXPECT_EQ(Count(answer, "CITATION #"), 2);
  ParsedAnswer parsed = ParseLlmAnswer(answer, v1::STYLE_MLA9, 3);
  EXPECT_EQ(parsed.missing, (std::vector<int>{3}));
  for (int number : {1, 2}) {
    ASSERT_EQ(parsed.results.count(number), 1u);
    const v1::CitationResult& read = parsed.results[number];
    EXPECT_TRUE(read.valid()) << number;
    EXPECT_EQ(read.source_type(), "other");
    EXPECT_EQ(read.corrected_citation(), "");
  }
  EXPECT_EQ(parsed.results[2].original(), kBadApa);
  EXPECT_TRUE(absl::StrContains(answer, "✓ No MLA 9 formatting errors detected"));
}

const std::vector<std::string> kReferences = {
    "Lee, K. (2019). Reading habits. _Reading Research Quarterly_, _54_(1), 1–20.",
    "Smith, J. (2020a). Writing. Routledge.", "Smith, J. (2020b). Speaking. Routledge."};
const std::vector<InlineQuery> kInTextCitations = {
    {0, "(Lee, 2019)"}, {1, "(Lee, 2018)"}, {2, "(Smith, 2020)"}, {4, "(Brown, 2001)"}};

std::string InlineUser() { return InlineUserMessage(kReferences, kInTextCitations); }

TEST(AnswerTest, ParsesAnInlineMessage) {
  EXPECT_TRUE(IsInlineMessage("  REFERENCES:\n1. x"));
  EXPECT_FALSE(IsInlineMessage("1. REFERENCES:"));
  InlineMessage message = ParseInlineMessage(InlineUser());
  ASSERT_EQ(message.references.size(), 3u);
  EXPECT_EQ(message.references[1].number, 2);
  EXPECT_EQ(message.references[1].text, kReferences[1]);
  ASSERT_EQ(message.citations.size(), 4u);
  EXPECT_EQ(message.citations[3].number, 5);
  EXPECT_EQ(message.citations[3].text, "(Brown, 2001)");
}

TEST(AnswerTest, InlineAnswerReadsBackThroughCitecheckParser) {
  const std::string answer =
      RenderInlineAnswer(v1::STYLE_APA7, ParseInlineMessage(InlineUser()), {}, false);
  EXPECT_TRUE(absl::StartsWith(answer, "```json\n")) << answer;
  ParsedInlineAnswer parsed = ParseInlineAnswer(answer, {"c1", "c2", "c3", "c5"}, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_TRUE(parsed.missing.empty());
  const InlineMatcher matcher(v1::STYLE_APA7, kReferences);
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(kInTextCitations[i].text);
    const v1::InlineCitation direct = matcher.Match(kInTextCitations[i].text);
    EXPECT_EQ(parsed.results[i].match(), direct.match());
    EXPECT_EQ(parsed.results[i].reference_indices().size(), direct.reference_indices().size());
    EXPECT_EQ(parsed.results[i].correction(), direct.correction());
  }
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(parsed.results[1].match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(parsed.results[2].match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_EQ(parsed.results[3].match(), v1::MATCH_STATUS_NOT_FOUND);
}

TEST(AnswerTest, InlineOmitAndOutOfRange) {
  const InlineMessage message = ParseInlineMessage(InlineUser());
  ParsedInlineAnswer omitted = ParseInlineAnswer(
      RenderInlineAnswer(v1::STYLE_APA7, message, {2, 5}, false), {"c1", "c2", "c3", "c5"}, 3);
  ASSERT_TRUE(omitted.usable);
  EXPECT_EQ(omitted.missing, (std::vector<int>{1, 3}));
  ParsedInlineAnswer out_of_range = ParseInlineAnswer(
      RenderInlineAnswer(v1::STYLE_APA7, message, {}, true), {"c1", "c2", "c3", "c5"}, 3);
  EXPECT_FALSE(out_of_range.usable);
}

// ---- the server --------------------------------------------------------------------------------

// A started server of type ServerT (FakeOpenAiServer or CannedServer) and an HTTP client to it.
template <typename ServerT>
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    server_ = ServerT::Start(Options(), &error);
    ASSERT_NE(server_, nullptr) << error;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  httplib::Result Post(const std::string& path, const std::string& body) {
    return client_->Post(path.c_str(), body, "application/json");
  }

  rapidjson::Document Stats() {
    httplib::Result res = client_->Get("/control/stats");
    if (!res || res->status != 200) {
      ADD_FAILURE() << "no stats";
      return rapidjson::Document();
    }
    return Json(res->body);
  }

  std::unique_ptr<ServerT> server_;
  std::unique_ptr<httplib::Client> client_;
};

class FakeOpenAiTest : public ServerTest<FakeOpenAiServer> {
 protected:
  std::string url() const { return absl::StrCat("http://", server_->address()); }

  void Script(const std::string& actions) {
    httplib::Result res = Post("/control/script", absl::StrCat("{\"actions\":", actions, "}"));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }

  std::vector<std::string> Actions() {
    std::vector<std::string> actions;
    rapidjson::Document stats = Stats();
    for (const auto& entry : stats["log"].GetArray()) {
      actions.push_back(entry["action"].GetString());
    }
    return actions;
  }
};

TEST_F(FakeOpenAiTest, ChatAnswerHasOneBlockPerCitation) {
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(absl::StartsWith(res->get_header_value("Content-Type"), "application/json"));
  rapidjson::Document doc = Json(res->body);
  EXPECT_TRUE(absl::StartsWith(doc["id"].GetString(), "chatcmpl-fake-"));
  EXPECT_STREQ(doc["object"].GetString(), "chat.completion");
  EXPECT_STREQ(doc["model"].GetString(), "gpt-fake");
  EXPECT_GT(doc["created"].GetInt64(), 0);
  EXPECT_STREQ(doc["choices"][0]["message"]["role"].GetString(), "assistant");
  EXPECT_STREQ(doc["choices"][0]["finish_reason"].GetString(), "stop");
  const auto& usage = doc["usage"];
  EXPECT_GT(usage["prompt_tokens"].GetInt(), 0);
  EXPECT_GT(usage["completion_tokens"].GetInt(), 0);
  EXPECT_EQ(usage["total_tokens"].GetInt(),
            usage["prompt_tokens"].GetInt() + usage["completion_tokens"].GetInt());

  const std::string content = ChatContent(doc);
  EXPECT_EQ(Count(content, "CITATION #"), 2) << content;
  const std::string first = Block(content, 1);
  const std::string second = Block(content, 2);
  EXPECT_TRUE(absl::StrContains(first, absl::StrCat("ORIGINAL:\n", kValidApa, "\n"))) << first;
  EXPECT_TRUE(absl::StrContains(first, "SOURCE TYPE: journal article\n")) << first;
  EXPECT_TRUE(absl::StrContains(first, kApaSuccess)) << first;
  EXPECT_TRUE(absl::StrContains(second, absl::StrCat("ORIGINAL:\n", kBadApa, "\n"))) << second;
  EXPECT_FALSE(absl::StrContains(second, kApaSuccess)) << second;
  EXPECT_TRUE(absl::StrContains(second, "❌ Authors: ")) << second;
  EXPECT_TRUE(absl::StrContains(second, "   Should be: _Journal of Informetrics_\n")) << second;
  EXPECT_TRUE(absl::StrContains(second, absl::StrCat("CORRECTED CITATION:\n", kValidApa, "\n")))
      << second;
  EXPECT_FALSE(absl::StrContains(content, "<em>"));
}

TEST_F(FakeOpenAiTest, StyleComesFromSystemPrompt) {
  const std::string body =
      ChatBody("m", std::string(SystemPrompt(v1::STYLE_MLA9)), NumberedCitations({kValidMla}));
  httplib::Result res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_TRUE(
      absl::StrContains(ChatContent(Json(res->body)), "✓ No MLA 9 formatting errors detected"));
  EXPECT_STREQ(Stats()["log"][0]["style"].GetString(), "MLA9");
}

TEST_F(FakeOpenAiTest, ResponsesApiShape) {
  httplib::Result res =
      Post("/v1/responses", ResponsesBody("gpt-resp", std::string(SystemPrompt(v1::STYLE_APA7)),
                                          NumberedCitations({kValidApa})));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  rapidjson::Document doc = Json(res->body);
  EXPECT_TRUE(absl::StartsWith(doc["id"].GetString(), "resp-fake-"));
  EXPECT_STREQ(doc["object"].GetString(), "response");
  EXPECT_STREQ(doc["model"].GetString(), "gpt-resp");
  ASSERT_TRUE(doc["output"].IsArray());
  const auto& message = doc["output"][0];
  EXPECT_STREQ(message["type"].GetString(), "message");
  EXPECT_STREQ(message["role"].GetString(), "assistant");
  EXPECT_STREQ(message["content"][0]["type"].GetString(), "output_text");
  const std::string text = message["content"][0]["text"].GetString();
  EXPECT_EQ(text, doc["output_text"].GetString());
  EXPECT_EQ(Count(text, "CITATION #1\n"), 1);
  EXPECT_TRUE(absl::StrContains(text, kApaSuccess));
  const auto& usage = doc["usage"];
  EXPECT_EQ(usage["total_tokens"].GetInt(),
            usage["input_tokens"].GetInt() + usage["output_tokens"].GetInt());
  rapidjson::Document stats = Stats();
  EXPECT_STREQ(stats["log"][0]["path"].GetString(), "/v1/responses");
  EXPECT_STREQ(stats["log"][0]["citations"][0].GetString(), kValidApa);
}

TEST_F(FakeOpenAiTest, LogsWhatEachRequestAsked) {
  httplib::Headers headers = {{"Authorization", "Bearer sk-test-123"}};
  httplib::Result res =
      client_->Post("/v1/chat/completions", headers, TwoCitationsChat(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_TRUE(Post("/v1/chat/completions", ChatBody("other", "", "1. x")));
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["requests"].GetInt(), 2);
  ASSERT_EQ(stats["log"].Size(), 2u);
  const auto& first = stats["log"][0];
  EXPECT_STREQ(first["path"].GetString(), "/v1/chat/completions");
  EXPECT_STREQ(first["model"].GetString(), "gpt-fake");
  EXPECT_STREQ(first["authorization"].GetString(), "Bearer sk-test-123");
  ASSERT_EQ(first["citations"].Size(), 2u);
  EXPECT_STREQ(first["citations"][0].GetString(), kValidApa);
  EXPECT_STREQ(first["citations"][1].GetString(), kBadApa);
  EXPECT_STREQ(first["style"].GetString(), "APA7");
  EXPECT_STREQ(first["action"].GetString(), "ok");
  EXPECT_GE(first["received_ms"].GetInt64(), 0);
  EXPECT_STREQ(stats["log"][1]["authorization"].GetString(), "");
  EXPECT_GE(stats["log"][1]["received_ms"].GetInt64(), first["received_ms"].GetInt64());
}

TEST_F(FakeOpenAiTest, Scripted429WithRetryAfterThenNormal) {
  Script(R"([{"status":429,"headers":{"retry-after":"1","x-should-retry":"true"},
             "error_code":"rate_limit_exceeded"}])");
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("retry-after"), "1");
  EXPECT_EQ(res->get_header_value("x-should-retry"), "true");
  rapidjson::Document error = Json(res->body);
  EXPECT_STREQ(error["error"]["message"].GetString(), "fake error");
  EXPECT_STREQ(error["error"]["type"].GetString(), "fake");
  EXPECT_STREQ(error["error"]["code"].GetString(), "rate_limit_exceeded");

  res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("retry-after"));
  EXPECT_EQ(Count(ChatContent(Json(res->body)), "CITATION #"), 2);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"status", "ok"}));
}

TEST_F(FakeOpenAiTest, StatusWithoutErrorCodeHasNullCode) {
  Script(R"([{"status":503}])");
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_TRUE(Json(res->body)["error"]["code"].IsNull());
}

TEST_F(FakeOpenAiTest, OmitDropsBlocks) {
  Script(R"([{"omit":[2]}])");
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const std::string content = ChatContent(Json(res->body));
  EXPECT_EQ(Count(content, "CITATION #"), 1);
  EXPECT_FALSE(Block(content, 1).empty());
  EXPECT_TRUE(Block(content, 2).empty());
  EXPECT_EQ(Actions(), (std::vector<std::string>{"omit"}));
}

TEST_F(FakeOpenAiTest, MalformedAndGarbage) {
  Script(R"([{"malformed":true},{"garbage_answer":true}])");
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  rapidjson::Document doc;
  doc.Parse(res->body.c_str());
  EXPECT_TRUE(doc.HasParseError()) << res->body;

  res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const std::string content = ChatContent(Json(res->body));
  EXPECT_EQ(content, "I cannot help with that.");
  EXPECT_FALSE(ParseLlmAnswer(content, v1::STYLE_APA7, 2).any_block);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"malformed", "garbage"}));
}

TEST_F(FakeOpenAiTest, BadRequestBodyIs400) {
  httplib::Result res = Post("/v1/chat/completions", "not json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_STREQ(Json(res->body)["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_EQ(Actions(), (std::vector<std::string>{"bad_request"}));
}

TEST_F(FakeOpenAiTest, AnswersInTextRequestsWithJsonVerdicts) {
  httplib::Result res =
      Post("/v1/chat/completions",
           ChatBody("gpt-fake", std::string(InlineSystemPrompt(v1::STYLE_APA7)), InlineUser()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ParsedInlineAnswer parsed =
      ParseInlineAnswer(ChatContent(Json(res->body)), {"c1", "c2", "c3", "c5"}, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(parsed.results[1].correction(), "(Lee, 2019)");
  rapidjson::Document stats = Stats();
  const auto& entry = stats["log"][0];
  EXPECT_STREQ(entry["kind"].GetString(), "inline");
  ASSERT_EQ(entry["citations"].Size(), 4u);
  EXPECT_STREQ(entry["citations"][2].GetString(), "(Smith, 2020)");
  EXPECT_STREQ(entry["action"].GetString(), "ok");
}

TEST_F(FakeOpenAiTest, InTextStyleComesFromTheInTextPrompt) {
  httplib::Result res =
      Post("/v1/responses",
           ResponsesBody("m", std::string(InlineSystemPrompt(v1::STYLE_MLA9)),
                         InlineUserMessage({"Smith, John. _Reading Minds_. Penguin, 2018."},
                                           {{0, "(Smith 45)"}})));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  rapidjson::Document doc = Json(res->body);
  ParsedInlineAnswer parsed = ParseInlineAnswer(doc["output_text"].GetString(), {"c1"}, 1);
  ASSERT_TRUE(parsed.usable);
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_STREQ(Stats()["log"][0]["style"].GetString(), "MLA9");
}

TEST_F(FakeOpenAiTest, InTextRequestsHaveTheSameFaultSwitches) {
  Script(R"([{"status":429,"headers":{"retry-after":"1"}},{"status":503},{"malformed":true},
             {"garbage_answer":true},{"omit":[2,3]},{"out_of_range":true},{"latency_ms":1}])");
  const std::string body =
      ChatBody("gpt-fake", std::string(InlineSystemPrompt(v1::STYLE_APA7)), InlineUser());
  const std::vector<std::string> ids = {"c1", "c2", "c3", "c5"};

  httplib::Result res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("retry-after"), "1");
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  rapidjson::Document malformed;
  malformed.Parse(res->body.c_str());
  EXPECT_TRUE(malformed.HasParseError());
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  EXPECT_FALSE(ParseInlineAnswer(ChatContent(Json(res->body)), ids, 3).usable);
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(ParseInlineAnswer(ChatContent(Json(res->body)), ids, 3).missing,
            (std::vector<int>{1, 2}));
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  ParsedInlineAnswer out_of_range = ParseInlineAnswer(ChatContent(Json(res->body)), ids, 3);
  EXPECT_FALSE(out_of_range.usable);
  EXPECT_TRUE(absl::StrContains(out_of_range.defect, "outside 1..3")) << out_of_range.defect;
  res = Post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  EXPECT_TRUE(ParseInlineAnswer(ChatContent(Json(res->body)), ids, 3).usable);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"status", "status", "malformed", "garbage", "omit",
                                                 "out_of_range", "ok"}));
}

TEST_F(FakeOpenAiTest, OutOfRangeLeavesReferenceChecksAlone) {
  Script(R"([{"out_of_range":true}])");
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(Count(ChatContent(Json(res->body)), "CITATION #"), 2);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ok"}));
  EXPECT_STREQ(Stats()["log"][0]["kind"].GetString(), "references");
}

TEST_F(FakeOpenAiTest, CountsConcurrency) {
  ASSERT_TRUE(Post("/control/default", R"({"latency_ms":300})"));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::vector<int> statuses(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([this, i, &statuses] {
      httplib::Client client("127.0.0.1", server_->port());
      client.set_read_timeout(10, 0);
      httplib::Result res =
          client.Post("/v1/chat/completions", TwoCitationsChat(), "application/json");
      statuses[i] = res ? res->status : -1;
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 200}));
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1100));
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["requests"].GetInt(), 4);
  EXPECT_EQ(stats["in_flight"].GetInt(), 0);
  EXPECT_EQ(stats["max_concurrency"].GetInt(), 4);
  EXPECT_EQ(stats["default_latency_ms"].GetInt(), 300);
}

TEST_F(FakeOpenAiTest, ScriptedLatencyReplacesDefault) {
  ASSERT_TRUE(Post("/control/default", R"({"latency_ms":2000})"));
  Script(R"([{"latency_ms":50}])");
  const auto start = std::chrono::steady_clock::now();
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST_F(FakeOpenAiTest, ResetClearsEverything) {
  Script(R"([{"status":500},{"status":500},{"status":500}])");
  ASSERT_TRUE(Post("/v1/chat/completions", TwoCitationsChat()));
  ASSERT_TRUE(Post("/control/default", R"({"latency_ms":3000})"));
  httplib::Result reset = Post("/control/reset", "");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["requests"].GetInt(), 0);
  EXPECT_EQ(stats["max_concurrency"].GetInt(), 0);
  EXPECT_EQ(stats["queued"].GetInt(), 0);
  EXPECT_EQ(stats["default_latency_ms"].GetInt(), 0);
  EXPECT_EQ(stats["log"].Size(), 0u);

  const auto start = std::chrono::steady_clock::now();
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ok"}));
}

TEST_F(FakeOpenAiTest, RulesMatchMarkedCitationsAheadOfTheScript) {
  Script(R"([{"status":500}])");
  ASSERT_TRUE(Post("/control/rules", R"({"rules":[{"contains":"MARKED","times":2,"status":503},
                                                   {"contains":"Smith","omit":[1]}]})"));
  const std::string marked = ChatBody("gpt-fake", std::string(SystemPrompt(v1::STYLE_APA7)),
                                      NumberedCitations({"Doe, J. (2020). MARKED study."}));
  // The marked citation takes its rule twice, leaving the script alone; then the script's turn.
  for (int status : {503, 503, 500, 200}) {
    httplib::Result res = Post("/v1/chat/completions", marked);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status);
  }
  EXPECT_EQ(Stats()["queued"].GetInt(), 0);
  // Any citation of the request may match.
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(Count(ChatContent(Json(res->body)), "CITATION #"), 1);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"status", "status", "status", "ok", "omit"}));

  // Replaced all or nothing; reset clears them.
  for (const char* rules : {R"({"rules":[{"status":500}]})", R"({"rules":[{"contains":""}]})",
                            R"({"rules":[{"contains":"x","times":-1}]})",
                            R"({"rules":[{"contains":"x","sttaus":1}]})", R"({"rules":{}})"}) {
    SCOPED_TRACE(rules);
    httplib::Result bad = Post("/control/rules", rules);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
  }
  ASSERT_TRUE(Post("/control/reset", ""));
  res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_EQ(Count(ChatContent(Json(res->body)), "CITATION #"), 2);
}

TEST_F(FakeOpenAiTest, ScriptRejectsBadActionsAllOrNothing) {
  for (const char* actions :
       {R"([{},{"sttaus":500}])", R"([{"status":"500"}])", R"([{"latency_ms":-1}])",
        R"([{"omit":["2"]}])", R"({"a":1})", R"([{"headers":{"retry-after":1}}])", R"([5])"}) {
    SCOPED_TRACE(actions);
    httplib::Result res = Post("/control/script", absl::StrCat("{\"actions\":", actions, "}"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_TRUE(Json(res->body)["error"].IsString());
  }
  httplib::Result res = Post("/control/script", "nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Stats()["queued"].GetInt(), 0);
}

TEST_F(FakeOpenAiTest, HangOutlastsClientTimeoutAndStopCutsItShort) {
  Script(R"([{"hang_ms":30000}])");
  httplib::Client impatient("127.0.0.1", server_->port());
  impatient.set_read_timeout(0, 300000);
  httplib::Result res =
      impatient.Post("/v1/chat/completions", TwoCitationsChat(), "application/json");
  EXPECT_FALSE(res);
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["in_flight"].GetInt(), 1);
  EXPECT_STREQ(stats["log"][0]["action"].GetString(), "hang");
  // The client's giving up is logged (the fake watches the connection every 10 ms): after the
  // request arrived and long before the 30 s hang would have ended.
  const int64_t received = stats["log"][0]["received_ms"].GetInt64();
  EXPECT_TRUE(Eventually([&] { return Stats()["log"][0]["gone_ms"].GetInt64() >= 0; }));
  const int64_t gone = Stats()["log"][0]["gone_ms"].GetInt64();
  EXPECT_GT(gone, received);
  EXPECT_LT(gone, received + 15000);
  // Stop ends the hang instead of waiting it out.
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST_F(FakeOpenAiTest, HangThenAnswersAPatientClient) {
  Script(R"([{"hang_ms":200,"headers":{"retry-after-ms":"200"}}])");
  const auto start = std::chrono::steady_clock::now();
  httplib::Result res = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(res);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("retry-after-ms"), "200");
  EXPECT_EQ(Count(ChatContent(Json(res->body)), "CITATION #"), 2);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"hang"}));
  EXPECT_EQ(Stats()["log"][0]["gone_ms"].GetInt64(), -1);
}

// ---- reset, as libcurl sees it -----------------------------------------------------------------

size_t Collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

class CurlTest : public FakeOpenAiTest {
 protected:
  void SetUp() override {
    FakeOpenAiTest::SetUp();
    curl_ = curl_easy_init();
    ASSERT_NE(curl_, nullptr);
  }
  void TearDown() override { curl_easy_cleanup(curl_); }

  // One chat request on the shared handle (connections are reused across calls).
  CURLcode Chat(std::string* body = nullptr) {
    const std::string request = TwoCitationsChat();
    const std::string target = url() + "/v1/chat/completions";
    std::string sink;
    curl_easy_setopt(curl_, CURLOPT_URL, target.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.size()));
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, body != nullptr ? body : &sink);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    return curl_easy_perform(curl_);
  }

  long Connects() {
    long connects = -1;
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &connects);
    return connects;
  }

  CURL* curl_ = nullptr;
};

TEST_F(CurlTest, ResetIsARecvErrorEvenOnAReusedConnection) {
  ASSERT_EQ(Chat(), CURLE_OK);
  Script(R"([{"reset":true}])");
  EXPECT_EQ(Chat(), CURLE_RECV_ERROR);
  EXPECT_EQ(Connects(), 0);  // the kept-alive connection was reused
  std::string body;
  ASSERT_EQ(Chat(&body), CURLE_OK);
  EXPECT_EQ(Count(ChatContent(Json(body)), "CITATION #"), 2);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ok", "reset", "ok"}));
}

TEST_F(CurlTest, ResetOnAFreshConnection) {
  Script(R"([{"reset":true},{"reset_empty":true}])");
  EXPECT_EQ(Chat(), CURLE_RECV_ERROR);
  EXPECT_EQ(Connects(), 1);
  const CURLcode empty = Chat();
  EXPECT_TRUE(empty == CURLE_RECV_ERROR || empty == CURLE_GOT_NOTHING) << empty;
  EXPECT_EQ(Connects(), 1);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"reset", "reset"}));
}

// Documents the pitfall of "reset_empty": libcurl re-sends silently on a reused connection.
TEST_F(CurlTest, ResetEmptyOnAReusedConnectionIsResentByCurl) {
  ASSERT_EQ(Chat(), CURLE_OK);
  Script(R"([{"reset_empty":true}])");
  EXPECT_EQ(Chat(), CURLE_OK);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ok", "reset", "ok"}));
}

TEST_F(CurlTest, BodilessControlReset) {
  Script(R"([{"status":500}])");
  const std::string target = url() + "/control/reset";
  std::string body;
  curl_easy_setopt(curl_, CURLOPT_URL, target.c_str());
  curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, "POST");
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
  ASSERT_EQ(curl_easy_perform(curl_), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(Stats()["queued"].GetInt(), 0);
}

// ---- the binary --------------------------------------------------------------------------------

// ---- the canned server -------------------------------------------------------------------------

using CannedServerTest = ServerTest<CannedServer>;

TEST_F(CannedServerTest, AnswersEveryCitationValidWithoutChecking) {
  httplib::Headers accept_all = {{"Accept-Encoding", "gzip, deflate, br"}};
  httplib::Result res =
      client_->Post("/v1/chat/completions", accept_all, TwoCitationsChat(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "");  // never compressed
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  rapidjson::Document doc = Json(res->body);
  EXPECT_STREQ(doc["model"].GetString(), "gpt-fake");
  EXPECT_EQ(ChatContent(doc),
            RenderValidAnswer(v1::STYLE_APA7, {{1, kValidApa}, {2, kBadApa}}, {}));
  EXPECT_EQ(Count(ChatContent(doc), kApaSuccess), 2);
}

TEST_F(CannedServerTest, KeepsTheConnectionForManyRequests) {
  for (int i = 0; i < 20; ++i) {
    httplib::Result res =
        Post("/v1/responses", ResponsesBody("m", std::string(SystemPrompt(v1::STYLE_MLA9)),
                                            NumberedCitations({kValidMla})));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_TRUE(absl::StrContains(Json(res->body)["output_text"].GetString(),
                                  "✓ No MLA 9 formatting errors detected"));
  }
  EXPECT_EQ(Stats()["requests"].GetInt(), 20);
}

TEST_F(CannedServerTest, ScriptedStatusHeadersAndLatencyThenNormal) {
  httplib::Result scripted =
      Post("/control/script",
           R"({"actions":[{"status":503,"latency_ms":30,"headers":{"retry-after":"1"}},{}]})");
  ASSERT_TRUE(scripted);
  ASSERT_EQ(scripted->status, 200) << scripted->body;
  EXPECT_STREQ(scripted->body.c_str(), "{\"queued\":2}");

  const auto start = std::chrono::steady_clock::now();
  httplib::Result failed = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 503);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_EQ(failed->get_header_value("retry-after"), "1");
  EXPECT_STREQ(Json(failed->body)["error"]["message"].GetString(), "fake error");

  httplib::Result ok = Post("/v1/chat/completions", TwoCitationsChat());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["requests"].GetInt(), 2);
  EXPECT_EQ(stats["queued"].GetInt(), 0);
  EXPECT_EQ(stats["max_concurrency"].GetInt(), 1);
  EXPECT_TRUE(stats["log"].IsArray());
}

TEST_F(CannedServerTest, RefusesActionsItCannotDoAndBadBodies) {
  httplib::Result refused = Post("/control/script", R"({"actions":[{}, {"reset":true}]})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(Stats()["queued"].GetInt(), 0);
  httplib::Result bad = Post("/control/default", R"({"latency_ms":-1})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  httplib::Result not_json = Post("/v1/chat/completions", "not json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  httplib::Result unknown = client_->Get("/nowhere");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(CannedServerTest, ConcurrentRequestsWaitTheirLatencyTogether) {
  // Long enough that all eight are seen waiting at once, however slowly the clients start.
  ASSERT_EQ(Post("/control/default", R"({"latency_ms":3000})")->status, 200);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([this, &ok] {
      httplib::Client client("127.0.0.1", server_->port());
      client.set_read_timeout(30, 0);
      httplib::Result res =
          client.Post("/v1/chat/completions", TwoCitationsChat(), "application/json");
      if (res && res->status == 200) ++ok;
    });
  }
  // One thread serves them all: the eight wait on timers, not on each other.
  EXPECT_TRUE(Eventually([&] { return Stats()["in_flight"].GetInt() == 8; }));
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), 8);
  rapidjson::Document stats = Stats();
  EXPECT_EQ(stats["max_concurrency"].GetInt(), 8);
  EXPECT_EQ(stats["in_flight"].GetInt(), 0);
}

TEST(FakeOpenAiBinaryTest, PrintsAddressAndExitsZeroOnSigterm) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(CITECHECK_FAKE_OPENAI_PATH, CITECHECK_FAKE_OPENAI_PATH, "--port=0", "--latency_ms=10",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c = 0;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out[0]);
  ASSERT_TRUE(absl::StartsWith(line, "listening on 127.0.0.1:")) << line;
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << line;

  // A kept-alive idle connection must not delay the exit.
  httplib::Client client("127.0.0.1", port);
  httplib::Result res = client.Post("/v1/chat/completions", TwoCitationsChat(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3000));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace citecheck::fake_openai
