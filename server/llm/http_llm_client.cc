#include "server/llm/http_llm_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "server/common/await_callback.h"
#include "server/common/json_nesting.h"
#include "server/common/stop_waiters.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

// Response bodies larger than this are not read: no sane answer to our prompts comes near it.
constexpr size_t kMaxBodyBytes = 16 << 20;
// Provider messages copied into AttemptOutcome::detail are cut to this many bytes.
constexpr size_t kMaxDetailBytes = 300;
// The longest attempt curl is told about (a request timeout beyond this is clamped).
constexpr absl::Duration kMaxTimeout = absl::Hours(24);
// Response bodies are read as strict JSON in UTF-8 (RFC 8259): text that is not UTF-8 is no
// answer, so none reaches the results, the store or the logs. The flag checks the body's bytes;
// what \u escapes decode to (a lone surrogate such as \udc00 decodes to bytes that are not
// UTF-8) is checked after reading (IsValidUtf8).
constexpr unsigned kJsonParseFlags = rapidjson::kParseValidateEncodingFlag;

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<HttpResponse*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxBodyBytes) {
    transfer->body_too_large = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

// Called once per header line, including the status line of every response (interim 1xx
// responses included).
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  const size_t bytes = size * count;
  AddHeaderLine(absl::string_view(data, bytes), &static_cast<HttpResponse*>(user)->headers);
  return bytes;
}

long ClampMillis(absl::Duration d) {  // NOLINT(runtime/int): curl wants long
  d = std::clamp(d, absl::Milliseconds(1), kMaxTimeout);
  return static_cast<long>(absl::ToInt64Milliseconds(d));  // NOLINT(runtime/int)
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& writer, absl::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// The string member `name` of `object`, or "" when absent or not a string.
absl::string_view StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return absl::string_view(it->value.GetString(), it->value.GetStringLength());
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// The first of `names` present in `usage` as a non-negative integer, else 0.
int64_t UsageCount(const rapidjson::Value* usage, std::initializer_list<const char*> names) {
  if (usage == nullptr) return 0;
  for (const char* name : names) {
    const rapidjson::Value* value = Member(*usage, name);
    if (value != nullptr && value->IsInt64() && value->GetInt64() >= 0) return value->GetInt64();
  }
  return 0;
}

// The text of a content value: a string, or an array of parts {"type": ..., "text": "..."}
// whose texts are joined.
std::string ContentText(const rapidjson::Value& content) {
  if (content.IsString()) return std::string(content.GetString(), content.GetStringLength());
  std::string text;
  if (!content.IsArray()) return text;
  for (const rapidjson::Value& part : content.GetArray()) {
    const absl::string_view type = StringMember(part, "type");
    if (type == "text" || type == "output_text") absl::StrAppend(&text, StringMember(part, "text"));
  }
  return text;
}

// chat: choices[0].message.content.
std::string ChatText(const rapidjson::Value& doc) {
  const rapidjson::Value* choices = Member(doc, "choices");
  if (choices == nullptr || !choices->IsArray() || choices->Empty()) return "";
  const rapidjson::Value* message = Member((*choices)[0], "message");
  if (message == nullptr) return "";
  const rapidjson::Value* content = Member(*message, "content");
  return content == nullptr ? "" : ContentText(*content);
}

// responses: output_text, else every output_text part of output[*].content[*].
std::string ResponsesText(const rapidjson::Value& doc) {
  std::string text(StringMember(doc, "output_text"));
  if (!text.empty()) return text;
  const rapidjson::Value* output = Member(doc, "output");
  if (output == nullptr || !output->IsArray()) return text;
  for (const rapidjson::Value& item : output->GetArray()) {
    const rapidjson::Value* content = Member(item, "content");
    if (content != nullptr && content->IsArray()) absl::StrAppend(&text, ContentText(*content));
  }
  return text;
}

// `text` cut to kMaxDetailBytes (at a UTF-8 boundary) with the secret scrubbed.
std::string SafeDetail(absl::string_view text, absl::string_view secret) {
  std::string scrubbed = ScrubSecret(text, secret);
  if (scrubbed.size() > kMaxDetailBytes) {
    scrubbed = absl::StrCat(Utf8Prefix(scrubbed, kMaxDetailBytes), "...");
  }
  return scrubbed;
}

bool IsWordSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

}  // namespace

absl::StatusOr<LlmApi> ParseLlmApi(absl::string_view name) {
  if (name == "chat") return LlmApi::kChat;
  if (name == "responses") return LlmApi::kResponses;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown LLM API '", name, "' (expected chat or responses)"));
}

absl::string_view LlmApiName(LlmApi api) {
  return api == LlmApi::kResponses ? "responses" : "chat";
}

std::string UrlHostForLog(absl::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != absl::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  const size_t at = url.rfind('@');
  if (at != absl::string_view::npos) url.remove_prefix(at + 1);
  return std::string(url);
}

std::string ScrubSecret(absl::string_view text, absl::string_view secret) {
  if (secret.empty()) return std::string(text);
  constexpr absl::string_view kRedacted = "[redacted]";
  constexpr size_t kWindow = 6;
  const std::string whole = absl::StrReplaceAll(text, {{secret, kRedacted}});
  if (secret.size() < kWindow) return whole;
  std::string out;
  out.reserve(whole.size());
  size_t i = 0;
  while (i < whole.size()) {
    if (IsWordSpace(whole[i])) {
      out += whole[i++];
      continue;
    }
    size_t end = i;
    while (end < whole.size() && !IsWordSpace(whole[end])) ++end;
    const absl::string_view word(whole.data() + i, end - i);
    bool shares = false;
    for (size_t k = 0; !shares && k + kWindow <= word.size(); ++k) {
      shares = absl::StrContains(secret, word.substr(k, kWindow));
    }
    if (shares) {
      out.append(kRedacted.data(), kRedacted.size());
    } else {
      out.append(word.data(), word.size());
    }
    i = end;
  }
  return out;
}

void AddHeaderLine(absl::string_view line, HttpHeaders* headers) {
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();
    return;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  if (name.empty()) return;
  (*headers)[std::move(name)] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
}

LlmResponse InterpretHttpResponse(HttpResponse http, LlmApi api, absl::string_view api_key) {
  LlmResponse response;
  const int status = http.status;
  if (status < 200 || status >= 300) {
    std::string error_code;
    std::string detail = absl::StrCat("HTTP ", status);
    rapidjson::Document doc;
    if (!http.body_too_large && JsonNestingAtMost(http.body) &&
        !doc.Parse<kJsonParseFlags>(http.body.data(), http.body.size()).HasParseError()) {
      const rapidjson::Value* error = Member(doc, "error");
      if (error != nullptr) {
        const rapidjson::Value* code_value = Member(*error, "code");
        if (code_value != nullptr && code_value->IsString()) {
          error_code.assign(code_value->GetString(), code_value->GetStringLength());
        } else if (code_value != nullptr && code_value->IsInt64()) {
          error_code = absl::StrCat(code_value->GetInt64());
        }
        if (!IsValidUtf8(error_code)) error_code.clear();
        const std::string provider_says = absl::StrCat(
            StringMember(*error, "type"), " ", error_code, ": ", StringMember(*error, "message"));
        if (IsValidUtf8(provider_says)) absl::StrAppend(&detail, " ", provider_says);
      }
    }
    response.outcome = AttemptOutcome::Http(status, std::move(http.headers), std::move(error_code));
    response.outcome.detail = SafeDetail(detail, api_key);
    return response;
  }

  response.outcome = AttemptOutcome::BadAnswer();
  response.outcome.http_status = status;
  response.outcome.headers = std::move(http.headers);
  if (http.body_too_large) {
    response.outcome.detail = "the answer was too large";
    return response;
  }
  if (!JsonNestingAtMost(http.body)) {
    response.outcome.detail = "the answer nests too deeply";
    return response;
  }
  rapidjson::Document doc;
  doc.Parse<kJsonParseFlags>(http.body.data(), http.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    response.outcome.detail = "the answer is not a JSON object in UTF-8";
    return response;
  }
  std::string text = api == LlmApi::kResponses ? ResponsesText(doc) : ChatText(doc);
  if (!IsValidUtf8(text)) {
    response.outcome.detail = "the answer is not a JSON object in UTF-8";
    return response;
  }
  if (text.empty()) {
    response.outcome.detail = "the answer holds no text";
    return response;
  }
  const rapidjson::Value* usage = Member(doc, "usage");
  response.prompt_tokens = UsageCount(usage, {"prompt_tokens", "input_tokens"});
  response.completion_tokens = UsageCount(usage, {"completion_tokens", "output_tokens"});
  response.content = std::move(text);
  response.outcome.kind = AttemptOutcome::Kind::kSuccess;
  return response;
}

struct HttpLlmClient::Transfer {
  CURL* curl = nullptr;
  // The POST body; curl reads it from here (CURLOPT_POSTFIELDS does not copy).
  std::string body;
  // What the transfer collects: the user data of OnBody and OnHeader.
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
  const std::atomic<bool>* cancelled = nullptr;
  LlmDone done;
  // The handle is on the multi handle (and must come off it before it is reused).
  bool added = false;
};

namespace {

// The longest the loop sleeps without being woken: the most a `cancelled` flag set without
// StopWaiters::WakeAll() goes unnoticed (whoever sets one should wake the waiters).
constexpr int kMaxWaitMs = 250;

constexpr char kCancelled[] = "abandoned: the check was cancelled";
constexpr char kShuttingDown[] = "abandoned: the client is shutting down";

// Events taken from epoll per wait.
constexpr int kMaxEvents = 64;

// What curl_multi_socket_action wants to hear about an epoll event.
int SelectBits(uint32_t events) {
  int bits = 0;
  if ((events & (EPOLLIN | EPOLLHUP)) != 0) bits |= CURL_CSELECT_IN;
  if ((events & EPOLLOUT) != 0) bits |= CURL_CSELECT_OUT;
  if ((events & EPOLLERR) != 0) bits |= CURL_CSELECT_ERR;
  return bits;
}

LlmResponse ConnectionError(std::string detail) {
  LlmResponse response;
  response.outcome = AttemptOutcome::ConnectionError();
  response.outcome.detail = std::move(detail);
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpLlmClient>> HttpLlmClient::Create(HttpLlmClientOptions options) {
  const std::string lower = absl::AsciiStrToLower(options.base_url);
  if (!absl::StartsWith(lower, "http://") && !absl::StartsWith(lower, "https://")) {
    return absl::InvalidArgumentError("the LLM base URL must start with http:// or https://");
  }
  if (UrlHostForLog(options.base_url).empty()) {
    return absl::InvalidArgumentError("the LLM base URL has no host");
  }
  // A reference-counted no-op when main() already did it.
  static const CURLcode init = curl_global_init(CURL_GLOBAL_ALL);
  if (init != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(init)));
  }
  std::unique_ptr<HttpLlmClient> client(new HttpLlmClient(std::move(options)));
  if (!client->loop_.joinable()) {
    return absl::InternalError("curl_multi_init, epoll_create1 or eventfd failed");
  }
  return client;
}

HttpLlmClient::HttpLlmClient(HttpLlmClientOptions options)
    : options_(std::move(options)),
      url_(absl::StrCat(absl::StripSuffix(options_.base_url, "/"),
                        options_.api == LlmApi::kResponses ? "/responses" : "/chat/completions")),
      multi_(curl_multi_init()),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Accept: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
  if (!options_.api_key.empty()) {
    headers_ = curl_slist_append(headers_,
                                 absl::StrCat("Authorization: Bearer ", options_.api_key).c_str());
  }
  if (multi_ == nullptr || epoll_fd_ < 0 || wake_fd_ < 0) return;  // Create() fails the client
  epoll_event wake = {};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) return;
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpLlmClient::OnCurlSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpLlmClient::OnCurlTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  woken_on_stop_.emplace(StopWaiters::Get(), this,
                         [](void* client) { static_cast<HttpLlmClient*>(client)->Wake(); });
  loop_ = std::thread([this] { Loop(); });
}

HttpLlmClient::~HttpLlmClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) {
    Wake();
    loop_.join();
  }
  // No wake may reach the event fd once it is gone.
  woken_on_stop_.reset();
  {
    absl::MutexLock lock(&mu_);
    for (void* curl : free_handles_) curl_easy_cleanup(curl);
    free_handles_.clear();
  }
  // May still tell OnCurlSocket to forget the sockets of cached connections: before the epoll
  // set goes.
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  curl_slist_free_all(headers_);
}

void HttpLlmClient::Wake() {
  const uint64_t one = 1;
  // Fails only when the counter is about to overflow, and then the loop is woken anyway.
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
}

int HttpLlmClient::OnCurlSocket(void* /*curl*/, int socket, int what, void* client,
                                void* socket_state) {
  auto* self = static_cast<HttpLlmClient*>(client);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event = {};
  event.data.fd = socket;
  if ((what & CURL_POLL_IN) != 0) event.events |= EPOLLIN;
  if ((what & CURL_POLL_OUT) != 0) event.events |= EPOLLOUT;
  // socket_state is curl's note for this socket: null until it is in the epoll set.
  if (socket_state != nullptr) {
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, socket, &event);
  } else if (epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, socket, &event) == 0) {
    curl_multi_assign(self->multi_, socket, self);
  }
  return 0;
}

int HttpLlmClient::OnCurlTimer(void* /*multi*/, long timeout_ms,  // NOLINT(runtime/int)
                               void* client) {
  auto* self = static_cast<HttpLlmClient*>(client);
  if (timeout_ms < 0) {
    self->curl_timer_.reset();
  } else {
    self->curl_timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

std::string HttpLlmClient::RequestBody(const LlmRequest& request) const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("model");
  WriteString(writer, request.model);
  if (options_.api == LlmApi::kResponses) {
    writer.Key("instructions");
    WriteString(writer, request.system_prompt);
    writer.Key("input");
    WriteString(writer, request.user_message);
  } else {
    writer.Key("messages");
    writer.StartArray();
    for (const auto& [role, content] :
         {std::pair<const char*, const std::string*>{"system", &request.system_prompt},
          std::pair<const char*, const std::string*>{"user", &request.user_message}}) {
      writer.StartObject();
      writer.Key("role");
      writer.String(role);
      writer.Key("content");
      WriteString(writer, *content);
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

LlmResponse HttpLlmClient::Complete(const LlmRequest& request) {
  if (std::this_thread::get_id() == loop_.get_id()) {
    return ConnectionError("Complete() called from a done callback (it would wait for itself)");
  }
  return AwaitCallback<LlmResponse>(
      [this, &request](LlmDone done) { Start(request, std::move(done)); });
}

void HttpLlmClient::Start(LlmRequest request, LlmDone done) {
  if (request.timeout <= absl::ZeroDuration()) {
    LlmResponse response;
    response.outcome = AttemptOutcome::Timeout();
    response.outcome.detail = "no time left for the attempt";
    std::move(done)(std::move(response));
    return;
  }
  auto transfer = std::make_unique<Transfer>();
  transfer->cancelled = request.cancelled;
  transfer->done = std::move(done);
  transfer->body = RequestBody(request);
  {
    absl::MutexLock lock(&mu_);
    if (!free_handles_.empty()) {
      transfer->curl = free_handles_.back();
      free_handles_.pop_back();
    }
  }
  if (transfer->curl == nullptr) {
    transfer->curl = curl_easy_init();
    if (transfer->curl == nullptr) {
      std::move(transfer->done)(ConnectionError("curl_easy_init failed"));
      return;
    }
  } else {
    curl_easy_reset(transfer->curl);  // forgets the previous transfer's options
  }

  CURL* curl = transfer->curl;
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer->error);
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "citecheck/0.1");
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, transfer->body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(transfer->body.size()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   ClampMillis(std::min(options_.connect_timeout, request.timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ClampMillis(request.timeout));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer->response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer->response);

  const bool on_loop = std::this_thread::get_id() == loop_.get_id();
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      // Whoever makes the queue non-empty wakes the loop; the loop takes the whole queue after
      // it was woken, so a push onto a non-empty queue is taken with the rest.
      wake = queued_.empty() && !on_loop;
      queued_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {  // the client is shutting down: not queued
    curl_easy_cleanup(transfer->curl);
    std::move(transfer->done)(ConnectionError(kShuttingDown));
    return;
  }
  if (on_loop) {
    take_queue_now_ = true;  // a done callback's Start(): the loop looks before it sleeps
  } else if (wake) {
    Wake();
  }
}

void HttpLlmClient::Loop() {
  pthread_setname_np(pthread_self(), "llm-loop");  // for top, perf and gdb
  epoll_event events[kMaxEvents];
  while (true) {
    const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, WaitMillis());
    int still_running = 0;
    for (int i = 0; i < ready; ++i) {
      if (events[i].data.fd == wake_fd_) {
        uint64_t wakes = 0;
        [[maybe_unused]] const ssize_t read_bytes = read(wake_fd_, &wakes, sizeof(wakes));
        continue;
      }
      curl_multi_socket_action(multi_, events[i].data.fd, SelectBits(events[i].events),
                               &still_running);
    }
    if (curl_timer_.has_value() && *curl_timer_ <= std::chrono::steady_clock::now()) {
      curl_timer_.reset();  // before the call, which may set it again
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still_running);
    }
    FinishCompleted();

    // After the wake fd was read: a Start() that queues from now on wakes the loop again.
    std::vector<std::unique_ptr<Transfer>> queued;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      queued.swap(queued_);
      stopping = stopping_;
    }
    take_queue_now_ = false;
    if (stopping) {
      // Start() queues nothing more: it looks at stopping_ under the lock it queues under.
      std::vector<std::unique_ptr<Transfer>> abandoned = std::move(queued);
      for (auto& [curl, transfer] : running_) abandoned.push_back(std::move(transfer));
      running_.clear();
      for (std::unique_ptr<Transfer>& transfer : abandoned) {
        Finish(std::move(transfer), ConnectionError(kShuttingDown));
      }
      return;
    }
    AddQueued(std::move(queued));
    // StopWaiters protocol: the flags are looked at before each sleep (and after the wake fd
    // was read); a wake arriving after the look makes the sleep return at once.
    AbandonCancelled();
  }
}

int HttpLlmClient::WaitMillis() const {
  if (take_queue_now_) return 0;
  if (!curl_timer_.has_value()) return kMaxWaitMs;
  const auto left = *curl_timer_ - std::chrono::steady_clock::now();
  // Rounded up: waking before the timer is due would only wait again.
  const int64_t millis = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<int64_t>(millis, 0, kMaxWaitMs));
}

void HttpLlmClient::FinishCompleted() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    auto it = running_.find(message->easy_handle);
    if (it == running_.end()) continue;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    running_.erase(it);
    LlmResponse response = ResponseOf(*transfer, message->data.result);
    // `message` is invalid once the handle is removed (in Finish).
    Finish(std::move(transfer), std::move(response));
  }
}

void HttpLlmClient::AddQueued(std::vector<std::unique_ptr<Transfer>> queued) {
  for (std::unique_ptr<Transfer>& transfer : queued) {
    if (transfer->cancelled != nullptr && transfer->cancelled->load(std::memory_order_acquire)) {
      Finish(std::move(transfer), ConnectionError(kCancelled));
      continue;
    }
    if (curl_multi_add_handle(multi_, transfer->curl) != CURLM_OK) {
      Finish(std::move(transfer), ConnectionError("curl_multi_add_handle failed"));
      continue;
    }
    transfer->added = true;
    CURL* curl = transfer->curl;
    running_.emplace(curl, std::move(transfer));
  }
}

void HttpLlmClient::AbandonCancelled() {
  std::vector<std::unique_ptr<Transfer>> cancelled;
  for (auto it = running_.begin(); it != running_.end();) {
    const std::atomic<bool>* flag = it->second->cancelled;
    if (flag != nullptr && flag->load(std::memory_order_acquire)) {
      cancelled.push_back(std::move(it->second));
      running_.erase(it++);
    } else {
      ++it;
    }
  }
  for (std::unique_ptr<Transfer>& transfer : cancelled) {
    Finish(std::move(transfer), ConnectionError(kCancelled));
  }
}

void HttpLlmClient::Finish(std::unique_ptr<Transfer> transfer, LlmResponse response) {
  // Mid-transfer, this also closes the connection.
  if (transfer->added) curl_multi_remove_handle(multi_, transfer->curl);
  // The buffer goes with `transfer`; Start() resets the other options before the next use.
  curl_easy_setopt(transfer->curl, CURLOPT_ERRORBUFFER, nullptr);
  {
    absl::MutexLock lock(&mu_);
    free_handles_.push_back(transfer->curl);
  }
  LlmDone done = std::move(transfer->done);
  transfer.reset();
  std::move(done)(std::move(response));
}

LlmResponse HttpLlmClient::ResponseOf(Transfer& transfer, int result) const {
  const auto code = static_cast<CURLcode>(result);
  long status = 0;  // NOLINT(runtime/int): curl wants long
  curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);

  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.response.body_too_large)) {
    LlmResponse response;
    response.outcome = code == CURLE_OPERATION_TIMEDOUT ? AttemptOutcome::Timeout()
                                                        : AttemptOutcome::ConnectionError();
    response.outcome.detail = SafeDetail(
        absl::StrCat("curl error ", static_cast<int>(code), ": ",
                     transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(code)),
        options_.api_key);
    return response;
  }
  transfer.response.status = static_cast<int>(status);
  return InterpretHttpResponse(std::move(transfer.response), options_.api, options_.api_key);
}

}  // namespace citecheck
