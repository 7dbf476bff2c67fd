#include "tests/integration/fake_openai_process.h"

#include <httplib.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace citecheck::testing {

std::unique_ptr<FakeOpenAi> FakeOpenAi::Start(std::vector<std::string> flags) {
  flags.insert(flags.begin(), {CITECHECK_FAKE_OPENAI_PATH, "--port=0"});
  auto process = ListeningProcess::Start(std::move(flags));
  if (process == nullptr) return nullptr;
  return std::unique_ptr<FakeOpenAi>(new FakeOpenAi(std::move(process)));
}

void FakeOpenAi::Post(const std::string& path, const std::string& body) {
  httplib::Client client(process_->url());
  auto response = client.Post(path.c_str(), body, "application/json");
  ASSERT_TRUE(response) << "fake OpenAI server unreachable";
  EXPECT_EQ(response->status, 200) << path << ": " << response->body;
}

void FakeOpenAi::Script(const std::string& actions_json) {
  Post("/control/script", "{\"actions\":" + actions_json + "}");
}

void FakeOpenAi::Rules(const std::string& rules_json) {
  Post("/control/rules", "{\"rules\":" + rules_json + "}");
}

void FakeOpenAi::SetDefaultLatency(int latency_ms) {
  Post("/control/default", "{\"latency_ms\":" + std::to_string(latency_ms) + "}");
}

FakeOpenAiStats FakeOpenAi::Stats() {
  FakeOpenAiStats stats;
  httplib::Client client(process_->url());
  auto response = client.Get("/control/stats");
  if (!response || response->status != 200) {
    ADD_FAILURE() << "cannot read the fake's stats";
    return stats;
  }
  rapidjson::Document doc;
  doc.Parse(response->body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    ADD_FAILURE() << "bad stats: " << response->body;
    return stats;
  }
  stats.requests = doc["requests"].GetInt();
  stats.in_flight = doc["in_flight"].GetInt();
  stats.max_concurrency = doc["max_concurrency"].GetInt();
  if (doc.HasMember("now_ms")) stats.now_ms = doc["now_ms"].GetInt64();
  for (const auto& entry : doc["log"].GetArray()) {
    FakeOpenAiStats::Request request;
    auto text = [&entry](const char* key) -> std::string {
      auto it = entry.FindMember(key);
      return it != entry.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    request.path = text("path");
    request.model = text("model");
    request.authorization = text("authorization");
    request.action = text("action");
    request.kind = text("kind");
    if (entry.HasMember("received_ms")) request.received_ms = entry["received_ms"].GetInt64();
    if (entry.HasMember("gone_ms")) request.gone_ms = entry["gone_ms"].GetInt64();
    if (entry.HasMember("citations") && entry["citations"].IsArray()) {
      for (const auto& c : entry["citations"].GetArray())
        request.citations.push_back(c.GetString());
    }
    stats.log.push_back(std::move(request));
  }
  return stats;
}

FakeOpenAiClock::FakeOpenAiClock(FakeOpenAi& fake) {
  const absl::Time asked = absl::Now();
  fake_ms_ = fake.Stats().now_ms;
  mark_ = asked + (absl::Now() - asked) / 2;
}

}  // namespace citecheck::testing
