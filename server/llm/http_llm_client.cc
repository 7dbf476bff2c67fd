#include "server/llm/http_llm_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "server/common/stop_waiters.h"

namespace citecheck {
namespace {

// Response bodies larger than this are not read: no sane answer to our prompts comes near it.
constexpr size_t kMaxBodyBytes = 16 << 20;
// Provider messages copied into AttemptOutcome::detail are cut to this many bytes.
constexpr size_t kMaxDetailBytes = 300;
// The longest attempt curl is told about (a request timeout beyond this is clamped).
constexpr absl::Duration kMaxTimeout = absl::Hours(24);

// What one transfer collected; the callbacks' user data.
struct Transfer {
  std::string body;
  bool too_large = false;
  HttpHeaders headers;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxBodyBytes) {
    transfer->too_large = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

// Called once per header line, including the status line of every response (interim 1xx
// responses included): a status line starts the header set afresh.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  absl::string_view line(data, bytes);
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->headers.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  if (name.empty()) return bytes;
  transfer->headers[std::move(name)] =
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
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
    size_t end = kMaxDetailBytes;
    while (end > 0 && (static_cast<unsigned char>(scrubbed[end]) & 0xC0) == 0x80) --end;
    scrubbed.resize(end);
    scrubbed += "...";
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

struct HttpLlmClient::Handle {
  CURL* curl = nullptr;
  CURLM* multi = nullptr;  // runs `curl`'s transfers; keeps the open connections
  char error[CURL_ERROR_SIZE] = {};

  ~Handle() {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

namespace {

// How often a waiting transfer looks at its request's `cancelled` flag when nobody wakes it
// (whoever sets the flag should call StopWaiters::WakeAll(), which wakes it at once).
constexpr int kCancelPollMs = 250;

void WakeMulti(void* multi) { curl_multi_wakeup(static_cast<CURLM*>(multi)); }

// Runs the transfer `curl` is set up for on `multi`, like curl_easy_perform, but abandons it
// (closing its connection) once *cancelled is true. Returns the transfer's code, or
// CURLE_ABORTED_BY_CALLBACK when abandoned. Sleeps in curl_multi_poll until the transfer has
// something to do or StopWaiters wakes it: a wait of 200 ms costs a handful of wakeups, not one
// every few milliseconds.
CURLcode Perform(CURLM* multi, CURL* curl, const std::atomic<bool>* cancelled) {
  if (curl_multi_add_handle(multi, curl) != CURLM_OK) return CURLE_FAILED_INIT;
  std::optional<StopWaiters::Registration> woken_on_stop;
  if (cancelled != nullptr) woken_on_stop.emplace(StopWaiters::Get(), multi, &WakeMulti);
  CURLcode result = CURLE_OK;
  while (true) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    bool done = false;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == curl) {
        result = message->data.result;
        done = true;
      }
    }
    if (done || running == 0) break;
    if (cancelled != nullptr && cancelled->load(std::memory_order_acquire)) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    curl_multi_poll(multi, nullptr, 0, kCancelPollMs, nullptr);
  }
  // Mid-transfer, this also closes the connection.
  curl_multi_remove_handle(multi, curl);
  return result;
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
  return std::unique_ptr<HttpLlmClient>(new HttpLlmClient(std::move(options)));
}

HttpLlmClient::HttpLlmClient(HttpLlmClientOptions options)
    : options_(std::move(options)),
      url_(absl::StrCat(absl::StripSuffix(options_.base_url, "/"),
                        options_.api == LlmApi::kResponses ? "/responses" : "/chat/completions")) {
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Accept: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
  if (!options_.api_key.empty()) {
    headers_ = curl_slist_append(headers_,
                                 absl::StrCat("Authorization: Bearer ", options_.api_key).c_str());
  }
}

HttpLlmClient::~HttpLlmClient() {
  {
    absl::MutexLock lock(&mu_);
    handles_.clear();
  }
  curl_slist_free_all(headers_);
}

HttpLlmClient::Handle* HttpLlmClient::ThreadHandle() {
  const std::thread::id self = std::this_thread::get_id();
  {
    absl::MutexLock lock(&mu_);
    auto it = handles_.find(self);
    if (it != handles_.end()) return it->second.get();
  }
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  handle->multi = curl_multi_init();
  if (handle->curl == nullptr || handle->multi == nullptr) return nullptr;
  absl::MutexLock lock(&mu_);
  return handles_.emplace(self, std::move(handle)).first->second.get();
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
  LlmResponse response;
  if (request.timeout <= absl::ZeroDuration()) {
    response.outcome = AttemptOutcome::Timeout();
    response.outcome.detail = "no time left for the attempt";
    return response;
  }
  Handle* handle = ThreadHandle();
  if (handle == nullptr) {
    response.outcome = AttemptOutcome::ConnectionError();
    response.outcome.detail = "curl_easy_init or curl_multi_init failed";
    return response;
  }
  CURL* curl = handle->curl;
  // Forgets the previous call's options but keeps the handle's open connections.
  curl_easy_reset(curl);

  const std::string body = RequestBody(request);
  Transfer transfer;
  handle->error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle->error);
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "citecheck/0.1");
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   ClampMillis(std::min(options_.connect_timeout, request.timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ClampMillis(request.timeout));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);

  const CURLcode code = Perform(handle->multi, curl, request.cancelled);
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    response.outcome = AttemptOutcome::ConnectionError();
    response.outcome.detail = "abandoned: the check was cancelled";
    return response;
  }
  long status = 0;  // NOLINT(runtime/int): curl wants long
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  const bool is_2xx = status >= 200 && status < 300;

  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.too_large)) {
    response.outcome = code == CURLE_OPERATION_TIMEDOUT ? AttemptOutcome::Timeout()
                                                        : AttemptOutcome::ConnectionError();
    response.outcome.detail = SafeDetail(
        absl::StrCat("curl error ", static_cast<int>(code), ": ",
                     handle->error[0] != '\0' ? handle->error : curl_easy_strerror(code)),
        options_.api_key);
    return response;
  }

  if (!is_2xx) {
    std::string error_code;
    std::string detail = absl::StrCat("HTTP ", status);
    rapidjson::Document doc;
    doc.Parse(transfer.body.data(), transfer.body.size());
    if (!transfer.too_large && !doc.HasParseError()) {
      const rapidjson::Value* error = Member(doc, "error");
      if (error != nullptr) {
        const rapidjson::Value* code_value = Member(*error, "code");
        if (code_value != nullptr && code_value->IsString()) {
          error_code.assign(code_value->GetString(), code_value->GetStringLength());
        } else if (code_value != nullptr && code_value->IsInt64()) {
          error_code = absl::StrCat(code_value->GetInt64());
        }
        absl::StrAppend(&detail, " ", StringMember(*error, "type"), " ", error_code, ": ",
                        StringMember(*error, "message"));
      }
    }
    response.outcome = AttemptOutcome::Http(static_cast<int>(status), std::move(transfer.headers),
                                            std::move(error_code));
    response.outcome.detail = SafeDetail(detail, options_.api_key);
    return response;
  }

  response.outcome = AttemptOutcome::BadAnswer();
  response.outcome.http_status = static_cast<int>(status);
  if (transfer.too_large) {
    response.outcome.headers = std::move(transfer.headers);
    response.outcome.detail = "the answer was too large";
    return response;
  }
  rapidjson::Document doc;
  doc.Parse(transfer.body.data(), transfer.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    response.outcome.headers = std::move(transfer.headers);
    response.outcome.detail = "the answer is not a JSON object";
    return response;
  }
  std::string text = options_.api == LlmApi::kResponses ? ResponsesText(doc) : ChatText(doc);
  if (text.empty()) {
    response.outcome.headers = std::move(transfer.headers);
    response.outcome.detail = "the answer holds no text";
    return response;
  }
  const rapidjson::Value* usage = Member(doc, "usage");
  response.prompt_tokens = UsageCount(usage, {"prompt_tokens", "input_tokens"});
  response.completion_tokens = UsageCount(usage, {"completion_tokens", "output_tokens"});
  response.content = std::move(text);
  response.outcome = AttemptOutcome::Success();
  response.outcome.http_status = static_cast<int>(status);
  response.outcome.headers = std::move(transfer.headers);
  return response;
}

}  // namespace citecheck
