// HttpLlmClient against a tiny cpp-httplib server on 127.0.0.1: the requests it sends, how it
// reads answers and errors, and how transport failures map to attempt outcomes; and its event
// loop (HttpLlmClientLoopTest): concurrency on one thread, cancellation, shutdown, reentrancy.

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

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "server/common/stop_waiters.h"
#include "tests/fakes/eventually.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

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
// `handler` on up to `threads` connections at once, run on its own threads for the life of the
// object.
class TestServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit TestServer(Handler handler, size_t threads = CPPHTTPLIB_THREAD_POOL_COUNT)
      : handler_(std::move(handler)) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
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

TEST(HttpLlmClientTest, HeaderLinesOfTheFinalResponseOnly) {
  HttpHeaders headers;
  for (absl::string_view line :
       {"HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n",
        "HTTP/1.1 429 Too Many Requests\r\n", "Retry-After:  2 \r\n", "no colon here\r\n",
        " : no name\r\n", "retry-AFTER: 3\r\n", "X-Empty:\r\n"}) {
    AddHeaderLine(line, &headers);
  }
  EXPECT_EQ(headers, (HttpHeaders{{"retry-after", "3"}, {"x-empty", ""}}));
}

TEST(HttpLlmClientTest, InterpretsAResponseWithoutTheNetwork) {
  HttpResponse ok;
  ok.status = 200;
  ok.headers = {{"x-request-id", "r1"}};
  ok.body = kChatAnswer;
  const LlmResponse success = InterpretHttpResponse(ok, LlmApi::kChat, kKey);
  EXPECT_EQ(success.outcome.kind, AttemptOutcome::Kind::kSuccess);
  EXPECT_EQ(success.outcome.http_status, 200);
  EXPECT_EQ(success.outcome.headers, ok.headers);
  EXPECT_EQ(success.content, "CITATION #1\nok");
  EXPECT_EQ(success.prompt_tokens, 120);
  EXPECT_EQ(success.completion_tokens, 34);

  HttpResponse too_large = ok;
  too_large.body_too_large = true;
  const LlmResponse bad = InterpretHttpResponse(too_large, LlmApi::kChat, kKey);
  EXPECT_EQ(bad.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
  EXPECT_EQ(bad.outcome.detail, "the answer was too large");
  EXPECT_TRUE(bad.content.empty());

  HttpResponse refused;
  refused.status = 401;
  refused.body = absl::StrCat(R"({"error":{"code":401,"message":"bad key )", kKey, R"("}})");
  const LlmResponse rejected = InterpretHttpResponse(refused, LlmApi::kResponses, kKey);
  EXPECT_EQ(rejected.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(rejected.outcome.http_status, 401);
  EXPECT_EQ(rejected.outcome.error_code, "401");
  EXPECT_THAT(rejected.outcome.detail, HasSubstr("bad key [redacted]"));
}

// Found by fuzzing (llm_http_response_fuzzer): bytes that are not UTF-8 inside the answer's
// JSON string became the assistant's text, and from there results no client can parse (proto3
// strings must be UTF-8) and MySQL refuses. Such a body is a bad answer, retried like a 5xx.
TEST(HttpLlmClientTest, AnswerThatIsNotUtf8IsABadAnswer) {
  HttpResponse http;
  http.status = 200;
  http.body = "{\"choices\": [{\"message\": {\"content\": \"CITATION #1 \xff\xfe\"}}]}";
  const LlmResponse response = InterpretHttpResponse(http, LlmApi::kChat, kKey);
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
  EXPECT_TRUE(response.content.empty());

  // The same for an error body: its message is not copied into the detail for the logs.
  http.status = 500;
  http.body = "{\"error\": {\"code\": \"x\", \"message\": \"bad \xc3\"}}";
  const LlmResponse error = InterpretHttpResponse(http, LlmApi::kChat, kKey);
  EXPECT_EQ(error.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(error.outcome.detail, "HTTP 500");
}

// Found by fuzzing (llm_http_response_fuzzer): a lone surrogate escape ("\\ude00") in a body of
// plain ASCII passed the parser's UTF-8 check, and RapidJSON decoded it to bytes that are not
// UTF-8, which became the assistant's text. What the escapes decode to is checked too.
TEST(HttpLlmClientTest, AnswerWithALoneSurrogateEscapeIsABadAnswer) {
  HttpResponse http;
  http.status = 200;
  http.body = R"({"output_text": "d\ud66d\ude00irect", "choices": []})";
  const LlmResponse response = InterpretHttpResponse(http, LlmApi::kResponses, kKey);
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
  EXPECT_EQ(response.outcome.detail, "the answer is not a JSON object in UTF-8");
  EXPECT_TRUE(response.content.empty());

  // A surrogate pair is one character and reads.
  http.body = R"({"output_text": "\ud83d\ude00 ok"})";
  const LlmResponse pair = InterpretHttpResponse(http, LlmApi::kResponses, kKey);
  EXPECT_EQ(pair.outcome.kind, AttemptOutcome::Kind::kSuccess);
  EXPECT_EQ(pair.content, "\xF0\x9F\x98\x80 ok");

  // In an error body, neither the code nor the message is kept then.
  http.status = 429;
  http.body = R"({"error": {"code": "rate\udc00", "type": "t", "message": "slow \udc01"}})";
  const LlmResponse error = InterpretHttpResponse(http, LlmApi::kChat, kKey);
  EXPECT_EQ(error.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(error.outcome.detail, "HTTP 429");
  EXPECT_TRUE(error.outcome.error_code.empty());
}

// Found while writing the fuzz target (llm_http_response_fuzzer): RapidJSON's parser recursed
// once per nested array, so a body of millions of '[' overflowed the calling thread's stack.
TEST(HttpLlmClientTest, AnswerNestedMillionsDeepIsABadAnswerNotAStackOverflow) {
  HttpResponse http;
  http.status = 200;
  http.body = std::string(8 << 20, '[');
  const LlmResponse response = InterpretHttpResponse(http, LlmApi::kChat, kKey);
  EXPECT_EQ(response.outcome.kind, AttemptOutcome::Kind::kBadAnswer);
  EXPECT_EQ(response.outcome.detail, "the answer nests too deeply");

  http.status = 503;
  const LlmResponse error = InterpretHttpResponse(http, LlmApi::kChat, kKey);
  EXPECT_EQ(error.outcome.kind, AttemptOutcome::Kind::kHttpStatus);
  EXPECT_EQ(error.outcome.detail, "HTTP 503");
}

// ---- the event loop: Start() ---------------------------------------------------------------

// A chat answer whose text is "echo: " and the request's user message (plain ASCII here).
std::string EchoAnswer(const httplib::Request& req) {
  rapidjson::Document body;
  body.Parse(req.body.c_str());
  if (body.HasParseError() || !body.HasMember("messages")) return "{}";
  return absl::StrCat(R"({"choices":[{"message":{"content":"echo: )",
                      body["messages"][1]["content"].GetString(), R"("}}]})");
}

LlmRequest NumberedRequest(int index) {
  LlmRequest request = Request();
  request.user_message = absl::StrCat("1. citation ", index);
  return request;
}

// Stays shut until Open(); server handlers wait on it to hold their answers.
class Gate {
 public:
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  // True when the gate opened within `timeout`.
  bool Wait(absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&open_), timeout);
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

// What done callbacks received: each call's transfer index, response and thread.
class Recorder {
 public:
  struct Call {
    int index = -1;
    LlmResponse response;
    std::thread::id thread;
  };

  // The callback for transfer `index`.
  LlmDone Done(int index) {
    return [this, index](LlmResponse response) {
      absl::MutexLock lock(&mu_);
      calls_.push_back(Call{index, std::move(response), std::this_thread::get_id()});
    };
  }
  std::vector<Call> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return calls_.size();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

std::vector<int> Indexes(const std::vector<Recorder::Call>& calls) {
  std::vector<int> indexes;
  for (const Recorder::Call& call : calls) indexes.push_back(call.index);
  return indexes;
}

TEST(HttpLlmClientLoopTest, ConcurrentStartsRunTogetherOnOneLoopThread) {
  // 32 connections at once overflow httplib's listen backlog (5, compiled in): some connects
  // are retried after a SYN timeout, which makes this test take a second or two.
  constexpr int kTransfers = 32;
  absl::Mutex mu;
  int in_flight = 0;
  int max_in_flight = 0;
  TestServer server(
      [&](const httplib::Request& req, httplib::Response& res) {
        {
          absl::MutexLock lock(&mu);
          max_in_flight = std::max(max_in_flight, ++in_flight);
          // Nobody is answered before all of them are here: only a client that keeps every
          // transfer open at once gets answers (the others get 503 after 20 s).
          const bool all_here = mu.AwaitWithTimeout(
              absl::Condition(
                  +[](int* most) { return *most >= kTransfers; }, &max_in_flight),
              absl::Seconds(20));
          --in_flight;
          if (!all_here) return Reply(res, 503, "{}");
        }
        Reply(res, 200, EchoAnswer(req));
      },
      kTransfers + 4);
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  Recorder recorder;

  ASSERT_TRUE(client->HasEventLoop());  // so LlmChecker starts its checks without waiting

  // From this one thread: all of them in flight at once means Start() did not wait.
  for (int i = 0; i < kTransfers; ++i) client->Start(NumberedRequest(i), recorder.Done(i));

  ASSERT_TRUE(Eventually([&] { return recorder.size() == kTransfers; }));
  const std::vector<Recorder::Call> calls = recorder.calls();
  std::vector<int> expected;
  for (int i = 0; i < kTransfers; ++i) expected.push_back(i);
  EXPECT_THAT(Indexes(calls), UnorderedElementsAreArray(expected));  // each exactly once
  for (const Recorder::Call& call : calls) {
    EXPECT_EQ(call.response.outcome.kind, AttemptOutcome::Kind::kSuccess)
        << call.response.outcome.detail;
    EXPECT_EQ(call.response.content, absl::StrCat("echo: 1. citation ", call.index));
    EXPECT_EQ(call.thread, calls[0].thread);
  }
  EXPECT_NE(calls[0].thread, std::this_thread::get_id());
  absl::MutexLock lock(&mu);
  EXPECT_EQ(max_in_flight, kTransfers);
}

TEST(HttpLlmClientLoopTest, CancellingOneTransferAbandonsOnlyIt) {
  Gate gate;
  TestServer server([&](const httplib::Request& req, httplib::Response& res) {
    gate.Wait();
    Reply(res, 200, EchoAnswer(req));
  });
  absl::Cleanup open_gate = [&] { gate.Open(); };  // before the server stops
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  Recorder recorder;
  std::atomic<bool> cancelled[3] = {false, false, false};
  for (int i = 0; i < 3; ++i) {
    LlmRequest request = NumberedRequest(i);
    request.cancelled = &cancelled[i];
    client->Start(std::move(request), recorder.Done(i));
  }
  ASSERT_TRUE(Eventually([&] { return server.seen().size() == 3; }));

  cancelled[1] = true;
  StopWaiters::Get().WakeAll();  // as CancelRegistry does after setting a stop flag

  // Answered while the server still holds every request: not by the server, nor a timeout.
  ASSERT_TRUE(Eventually([&] { return recorder.size() == 1; }));
  const Recorder::Call abandoned = recorder.calls()[0];
  EXPECT_EQ(abandoned.index, 1);
  EXPECT_EQ(abandoned.response.outcome.kind, AttemptOutcome::Kind::kConnectionError);
  EXPECT_EQ(abandoned.response.outcome.detail, "abandoned: the check was cancelled");

  gate.Open();
  ASSERT_TRUE(Eventually([&] { return recorder.size() == 3; }));
  const std::vector<Recorder::Call> calls = recorder.calls();
  EXPECT_THAT(Indexes(calls), UnorderedElementsAreArray({1, 0, 2}));
  for (const Recorder::Call& call : calls) {
    if (call.index == 1) continue;
    EXPECT_EQ(call.response.outcome.kind, AttemptOutcome::Kind::kSuccess)
        << call.response.outcome.detail;
    EXPECT_EQ(call.response.content, absl::StrCat("echo: 1. citation ", call.index));
  }
}

TEST(HttpLlmClientLoopTest, DestroyingTheClientAnswersEveryPendingTransferOnce) {
  Gate gate;
  TestServer server([&](const httplib::Request& req, httplib::Response& res) {
    gate.Wait();
    Reply(res, 200, EchoAnswer(req));
  });
  absl::Cleanup open_gate = [&] { gate.Open(); };
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  Recorder recorder;
  for (int i = 0; i < 4; ++i) client->Start(NumberedRequest(i), recorder.Done(i));
  ASSERT_TRUE(Eventually([&] { return server.seen().size() == 4; }));

  client.reset();

  const std::vector<Recorder::Call> calls = recorder.calls();
  EXPECT_THAT(Indexes(calls), UnorderedElementsAreArray({0, 1, 2, 3}));
  for (const Recorder::Call& call : calls) {
    EXPECT_EQ(call.response.outcome.kind, AttemptOutcome::Kind::kConnectionError);
    EXPECT_EQ(call.response.outcome.detail, "abandoned: the client is shutting down");
  }
}

TEST(HttpLlmClientLoopTest, DoneCallbackMayStartAgain) {
  TestServer server([](const httplib::Request& req, httplib::Response& res) {
    Reply(res, 200, EchoAnswer(req));
  });
  // Declared before the client, which joins its loop thread first when the test ends.
  LlmResponse first;
  LlmResponse second;
  absl::Notification second_done;
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());

  client->Start(NumberedRequest(1), [&](LlmResponse response) {
    first = std::move(response);
    client->Start(NumberedRequest(2), [&](LlmResponse response) {
      second = std::move(response);
      second_done.Notify();
    });
  });

  ASSERT_TRUE(second_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(first.outcome.kind, AttemptOutcome::Kind::kSuccess) << first.outcome.detail;
  EXPECT_EQ(first.content, "echo: 1. citation 1");
  EXPECT_EQ(second.outcome.kind, AttemptOutcome::Kind::kSuccess) << second.outcome.detail;
  EXPECT_EQ(second.content, "echo: 1. citation 2");
  const std::vector<Seen> seen = server.seen();
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);  // the first's connection, reused
}

TEST(HttpLlmClientLoopTest, NoTimeLeftIsAnsweredOnTheCallersThreadBeforeStartReturns) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  Recorder recorder;

  client->Start(Request(absl::Milliseconds(-5)), recorder.Done(0));

  const std::vector<Recorder::Call> calls = recorder.calls();
  ASSERT_THAT(calls, SizeIs(1));
  EXPECT_EQ(calls[0].thread, std::this_thread::get_id());
  EXPECT_EQ(calls[0].response.outcome.kind, AttemptOutcome::Kind::kTimeout);
  EXPECT_EQ(calls[0].response.outcome.detail, "no time left for the attempt");
  EXPECT_THAT(server.seen(), SizeIs(0));
}

TEST(HttpLlmClientLoopTest, CallersOnDifferentThreadsShareConnections) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());
  for (int i = 0; i < 2; ++i) {
    std::thread caller([&] {
      EXPECT_EQ(client->Complete(Request()).outcome.kind, AttemptOutcome::Kind::kSuccess);
    });
    caller.join();
  }
  const std::vector<Seen> seen = server.seen();
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
}

TEST(HttpLlmClientLoopTest, CompleteFromADoneCallbackFailsInsteadOfWaitingForItself) {
  TestServer server(
      [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kChatAnswer); });
  // Declared before the client, which joins its loop thread first when the test ends.
  LlmResponse nested;
  absl::Notification done;
  std::unique_ptr<HttpLlmClient> client = MakeClient(server.base_url());

  client->Start(Request(), [&](LlmResponse) {
    nested = client->Complete(Request());
    done.Notify();
  });

  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(nested.outcome.kind, AttemptOutcome::Kind::kConnectionError);
  EXPECT_THAT(nested.outcome.detail, HasSubstr("done callback"));
  EXPECT_THAT(server.seen(), SizeIs(1));
}

}  // namespace
}  // namespace citecheck
