// HttpLlmClient against a tiny cpp-httplib server on 127.0.0.1: the requests it sends, how it
// reads answers and errors, and how transport failures map to attempt outcomes.

#include "server/llm/http_llm_client.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "server/common/stop_waiters.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kKey[] = "sk-test-0123456789abcdefXYZ";

constexpr char kChatAnswer[] = R"({
  "id": "chatcmpl-1", "object": "chat.completion",
  "choices": [{"index": 0, "finish_reason": "stop",
               "message": {"role": "assistant", "content": "CITATION #1\nok"}}],
  "usage": {"prompt_tokens": 120, "completion_tokens": 34, "total_tokens": 154}
})";

// What the server saw of one request.
struct Seen {
  std::string path;
  std::string authorization;
  bool has_authorization = false;
  std::string content_type;
  std::string body;
  int remote_port = -1;
};

// An HTTP server on 127.0.0.1 (any free port) that records every request and answers with
// `handler`, run on its own thread for the life of the object.
class TestServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      Seen seen;
      seen.path = req.path;
      seen.has_authorization = req.has_header("Authorization");
      seen.authorization = req.get_header_value("Authorization");
      seen.content_type = req.get_header_value("Content-Type");
      seen.body = req.body;
      seen.remote_port = req.remote_port;
      {
        absl::MutexLock lock(&mu_);
        seen_.push_back(std::move(seen));
      }
      handler_(req, res);
    };
    server_.Post(".*", record);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs: wait for it.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }

  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", port_, "/v1"); }
  std::vector<Seen> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<HttpLlmClient> MakeClient(const std::string& base_url, LlmApi api = LlmApi::kChat,
                                          std::string key = kKey) {
  HttpLlmClientOptions options;
  options.base_url = base_url;
  options.api = api;
  options.api_key = std::move(key);
  absl::StatusOr<std::unique_ptr<HttpLlmClient>> client = HttpLlmClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

LlmRequest Request(absl::Duration timeout = absl::Seconds(10)) {
  LlmRequest request;
  request.model = "gpt-test";
  request.system_prompt = "You check \"citations\".\nBe strict.";
  request.user_message = "1. Müller, K. (2020). _Über_ Zitate\t\\ ✓.";
  request.timeout = timeout;
  return request;
}

void Reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return 1;
  }
  close(fd);
  return ntohs(address.sin_port);
}

TEST(HttpLlmClientTest, ChatRequestShapeAndAnswer) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url() + "/");
  const LlmRequest request = Request();

  const LlmResponse response = client->Complete(request);

  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kSuccess) << response.outcome.detail;
  EXPECT_EQ(response.outcome.http_status, 200);
  EXPECT_EQ(response.content, "CITATION #1\nok");
  EXPECT_EQ(response.prompt_tokens, 120);
  EXPECT_EQ(response.completion_tokens, 34);
  EXPECT_EQ(response.outcome.headers.at("content-type"), "application/json");

  const std::vector<Seen> seen = server.seen();
  ASSERT_THAT(seen, SizeIs(1));
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].authorization, absl::StrCat("Bearer ", kKey));
  EXPECT_EQ(seen[0].content_type, "application/json");
  rapidjson::Document body;
  body.Parse(seen[0].body.c_str());
  ASSERT_FALSE(body.HasParseError()) << seen[0].body;
  EXPECT_STREQ(body["model"].GetString(), "gpt-test");
  const rapidjson::Value& messages = body["messages"];
  ASSERT_TRUE(messages.IsArray());
  ASSERT_EQ(messages.Size(), 2u);
  EXPECT_STREQ(messages[0]["role"].GetString(), "system");
  EXPECT_EQ(messages[0]["content"].GetString(), request.system_prompt);
  EXPECT_STREQ(messages[1]["role"].GetString(), "user");
  EXPECT_EQ(messages[1]["content"].GetString(), request.user_message);
}

TEST(HttpLlmClientTest, ChatContentAsTextParts) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, R"({"choices":[{"message":{"content":[
        {"type":"text","text":"CITATION "},{"type":"text","text":"#1"}]}}]})");
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kSuccess);
  EXPECT_EQ(response.content, "CITATION #1");
  EXPECT_EQ(response.prompt_tokens, 0);
}

TEST(HttpLlmClientTest, NoKeyNoAuthorizationHeader) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  const LlmResponse response =
      MakeClient(server.base_url(), LlmApi::kChat, "")->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kSuccess);
  ASSERT_THAT(server.seen(), SizeIs(1));
  EXPECT_FALSE(server.seen()[0].has_authorization);
}

TEST(HttpLlmClientTest, ResponsesRequestShapeAndOutputParts) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, R"({"id":"resp_1","object":"response","status":"completed",
        "output":[{"type":"reasoning","summary":[]},
                  {"type":"message","role":"assistant","content":[
                      {"type":"output_text","text":"CITATION #1\n","annotations":[]},
                      {"type":"output_text","text":"ok","annotations":[]}]}],
        "usage":{"input_tokens":50,"output_tokens":7,"total_tokens":57}})");
  });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url(), LlmApi::kResponses);
  EXPECT_EQ(client->endpoint_url(), server.base_url() + "/responses");
  const LlmRequest request = Request();

  const LlmResponse response = client->Complete(request);

  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kSuccess) << response.outcome.detail;
  EXPECT_EQ(response.content, "CITATION #1\nok");
  EXPECT_EQ(response.prompt_tokens, 50);
  EXPECT_EQ(response.completion_tokens, 7);
  const std::vector<Seen> seen = server.seen();
  ASSERT_THAT(seen, SizeIs(1));
  EXPECT_EQ(seen[0].path, "/v1/responses");
  rapidjson::Document body;
  body.Parse(seen[0].body.c_str());
  ASSERT_FALSE(body.HasParseError());
  EXPECT_STREQ(body["model"].GetString(), "gpt-test");
  EXPECT_EQ(body["instructions"].GetString(), request.system_prompt);
  EXPECT_EQ(body["input"].GetString(), request.user_message);
  EXPECT_FALSE(body.HasMember("messages"));
}

TEST(HttpLlmClientTest, ResponsesOutputText) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, R"({"output_text":"CITATION #1","output":[]})");
  });
  const LlmResponse response =
      MakeClient(server.base_url(), LlmApi::kResponses)->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kSuccess);
  EXPECT_EQ(response.content, "CITATION #1");
}

TEST(HttpLlmClientTest, ErrorStatusKeepsHeadersAndErrorCode) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Retry-After", "1");
    res.set_header("Retry-After-Ms", "1000");
    res.set_header("X-Should-Retry", "true");
    Reply(res, 429, R"({"error":{"message":"Rate limit reached","type":"requests",
        "param":null,"code":"rate_limit_exceeded"}})");
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(response.outcome.http_status, 429);
  EXPECT_EQ(response.outcome.error_code, "rate_limit_exceeded");
  EXPECT_EQ(response.outcome.headers.at("retry-after"), "1");
  EXPECT_EQ(response.outcome.headers.at("retry-after-ms"), "1000");
  EXPECT_EQ(response.outcome.headers.at("x-should-retry"), "true");
  EXPECT_THAT(response.outcome.detail, HasSubstr("Rate limit reached"));
  EXPECT_TRUE(response.content.empty());
}

TEST(HttpLlmClientTest, ErrorWithoutJsonBody) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    res.status = 502;
    res.set_content("<html>Bad gateway</html>", "text/html");
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(response.outcome.http_status, 502);
  EXPECT_EQ(response.outcome.error_code, "");
}

TEST(HttpLlmClientTest, KeyEchoedByTheProviderIsScrubbed) {
  TestServer server([](const httplib::Request& req, httplib::Response& res) {
    // Like OpenAI's 401: the key, whole and partly masked.
    const std::string key = req.get_header_value("Authorization").substr(7);
    Reply(res, 401,
          absl::StrCat(R"({"error":{"message":"Incorrect API key provided: )", key, " or ",
                       key.substr(0, 8), "****", key.substr(key.size() - 4),
                       R"(.","type":"invalid_request_error","code":"invalid_api_key"}})"));
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.http_status, 401);
  EXPECT_EQ(response.outcome.error_code, "invalid_api_key");
  EXPECT_THAT(response.outcome.detail, HasSubstr("Incorrect API key provided"));
  EXPECT_THAT(response.outcome.detail, Not(HasSubstr(kKey)));
  EXPECT_THAT(response.outcome.detail, Not(HasSubstr("sk-test")));
}

TEST(HttpLlmClientTest, TimeoutIsATimeout) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    absl::SleepFor(absl::Milliseconds(800));
    Reply(res, 200, kChatAnswer);
  });
  const absl::Time start = absl::Now();
  const LlmResponse response =
      MakeClient(server.base_url())->Complete(Request(absl::Milliseconds(150)));
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kTimeout) << response.outcome.detail;
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(700));
}

TEST(HttpLlmClientTest, CancelAbandonsTheWaitingAttempt) {
  TestServer server([](const httplib::Request& req, httplib::Response& res) {
    if (req.body.find("slow") != std::string::npos) absl::SleepFor(absl::Seconds(3));
    Reply(res, 200, kChatAnswer);
  });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  std::atomic<bool> cancelled{false};
  LlmRequest request = Request();
  request.user_message = "1. slow";
  request.cancelled = &cancelled;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(100));
    cancelled = true;
    StopWaiters::Get().WakeAll();  // as CancelRegistry does after setting a stop flag
  });
  const absl::Time start = absl::Now();
  const LlmResponse response = client->Complete(request);
  const absl::Duration took = absl::Now() - start;
  canceller.join();
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kConnectionError);
  EXPECT_THAT(response.outcome.detail, HasSubstr("abandoned"));
  EXPECT_GE(took, absl::Milliseconds(100));
  EXPECT_LT(took, absl::Milliseconds(1000));  // not the server's 3 s
  // The thread's next call works (on a new connection).
  EXPECT_EQ(client->Complete(Request()).outcome.kind, AttemptOutcome::Kind::kSuccess);
}

TEST(HttpLlmClientTest, NoTimeLeftIsATimeoutWithoutARequest) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  const LlmResponse response =
      MakeClient(server.base_url())->Complete(Request(absl::ZeroDuration()));
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kTimeout);
  EXPECT_THAT(server.seen(), SizeIs(0));
}

TEST(HttpLlmClientTest, RefusedConnectionIsAConnectionError) {
  const LlmResponse response =
      MakeClient(absl::StrCat("http://127.0.0.1:", ClosedPort(), "/v1"))->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kConnectionError);
  EXPECT_EQ(response.outcome.http_status, 0);
  EXPECT_FALSE(response.outcome.detail.empty());
}

TEST(HttpLlmClientTest, MalformedJsonIsABadAnswer) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, R"({"choices":[{"message":{"content":"CITATION #1")");
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
  EXPECT_EQ(response.outcome.http_status, 200);
  EXPECT_TRUE(response.content.empty());
}

TEST(HttpLlmClientTest, AnswerWithoutContentIsABadAnswer) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, R"({"choices":[{"message":{"role":"assistant","content":null,
        "refusal":"I can't"}}]})");
  });
  const LlmResponse response = MakeClient(server.base_url())->Complete(Request());
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
}

TEST(HttpLlmClientTest, OneThreadReusesItsConnection) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client->Complete(Request()).outcome.kind, AttemptOutcome::Kind::kSuccess);
  }
  const std::vector<Seen> seen = server.seen();
  ASSERT_THAT(seen, SizeIs(3));
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
  EXPECT_EQ(seen[2].remote_port, seen[0].remote_port);
}

TEST(HttpLlmClientTest, ConcurrentCallersEachGetAnswers) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const LlmResponse response = client->Complete(Request());
        if (response.outcome.kind == AttemptOutcome::Kind::kSuccess &&
            response.content == "CITATION #1\nok") {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 20);
}

TEST(HttpLlmClientTest, CreateValidatesTheUrl) {
  for (const char* url : {"", "ftp://example.com/v1", "example.com/v1", "https:///v1"}) {
    HttpLlmClientOptions options;
    options.base_url = url;
    EXPECT_FALSE(HttpLlmClient::Create(options).ok()) << url;
  }
  HttpLlmClientOptions options;
  options.base_url = "HTTPS://api.example.com/v1";
  EXPECT_TRUE(HttpLlmClient::Create(options).ok());
}

TEST(HttpLlmClientTest, ApiNames) {
  EXPECT_EQ(*ParseLlmApi("chat"), LlmApi::kChat);
  EXPECT_EQ(*ParseLlmApi("responses"), LlmApi::kResponses);
  EXPECT_FALSE(ParseLlmApi("completions").ok());
  EXPECT_EQ(LlmApiName(LlmApi::kResponses), "responses");
}

TEST(HttpLlmClientTest, UrlHostForLogDropsCredentials) {
  EXPECT_EQ(UrlHostForLog("https://u:p@api.example.com:8443/v1?x=1"), "api.example.com:8443");
  EXPECT_EQ(UrlHostForLog("http://localhost:11434/v1"), "localhost:11434");
  EXPECT_EQ(UrlHostForLog("https://api.openai.com"), "api.openai.com");
}

TEST(HttpLlmClientTest, ScrubSecret) {
  EXPECT_EQ(ScrubSecret("key sk-abcdef123456 here", "sk-abcdef123456"), "key [redacted] here");
  EXPECT_EQ(ScrubSecret("masked sk-abc****3456.", "sk-abcdef123456"), "masked [redacted]");
  EXPECT_EQ(ScrubSecret("nothing to hide", "sk-abcdef123456"), "nothing to hide");
  EXPECT_EQ(ScrubSecret("anything", ""), "anything");
}

}  // namespace
}  // namespace citecheck
