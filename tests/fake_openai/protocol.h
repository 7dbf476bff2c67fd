#ifndef CITECHECK_TESTS_FAKE_OPENAI_PROTOCOL_H_
#define CITECHECK_TESTS_FAKE_OPENAI_PROTOCOL_H_

// What both of the fake's servers (FakeOpenAiServer, CannedServer) speak: the scripted actions of
// /control/script, the completion requests they read and the JSON bodies they answer (see
// fake_openai_server.h for the protocol).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace citecheck::fake_openai {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline constexpr char kJson[] = "application/json";

void WriteString(JsonWriter& writer, absl::string_view text);
void WriteKey(JsonWriter& writer, absl::string_view key);

// One scripted behaviour for one completion request (see the header for the fields).
struct Action {
  std::optional<int> latency_ms;
  int hang_ms = 0;
  std::optional<int> status;
  std::optional<std::string> error_code;
  std::vector<std::pair<std::string, std::string>> headers;
  bool reset = false;
  bool reset_empty = false;
  bool malformed = false;
  bool garbage_answer = false;
  bool out_of_range = false;
  std::set<int> omit;
};

// Reads one ACTION object; false (and *error) on a wrong type, a bad value or an unknown field.
bool ParseAction(const rapidjson::Value& json, Action* action, std::string* error);

// A standing rule of /control/rules: completion requests any of whose citations contains
// `contains` take `action` instead of the next scripted one (the script is not consumed),
// `times` times at most (-1: every time).
struct Rule {
  std::string contains;
  int times = -1;
  Action action;
};

// Reads one RULE object: "contains" (a non-empty string), optional "times" (int >= 0) and the
// fields of an ACTION; false (and *error) when it is not one.
bool ParseRule(const rapidjson::Value& json, Rule* rule, std::string* error);

// Reads a /control/script body {"actions": [ACTION...]}: all or nothing; false (and *error,
// naming the action) when any is bad.
bool ParseScriptBody(absl::string_view body, std::vector<Action>* actions, std::string* error);
// {"queued": N}, the answer to /control/script.
std::string QueuedBody(size_t queued);

// Reads a /control/default body {"latency_ms": N}; false (and *error) when it is not one.
bool ParseDefaultBody(absl::string_view body, int* latency_ms, std::string* error);

enum class Api { kChat, kResponses };

// What a completion request asked.
struct CompletionRequest {
  bool valid = false;  // the body is a JSON object
  std::string model;
  std::string system;  // system/developer messages or `instructions`
  std::string user;    // the last user message or `input`
};

// Reads a completion request body of `api` (valid = false when it is not a JSON object).
CompletionRequest ReadCompletionRequest(Api api, const std::string& body);

// The successful answer envelope of `api` around `text`; `id` numbers the completion.
std::string AnswerBody(Api api, int64_t id, const CompletionRequest& request,
                       absl::string_view text);

// {"error":{"message":M,"type":T,"code":C or null}}.
std::string ErrorBody(absl::string_view message, absl::string_view type,
                      const std::optional<std::string>& code);

// The control endpoints' error body: {"error": message}.
std::string ControlErrorBody(absl::string_view message);

// "APA7", "MLA9" or "CHICAGO17".
const char* StyleName(v1::Style style);

}  // namespace citecheck::fake_openai

#endif  // CITECHECK_TESTS_FAKE_OPENAI_PROTOCOL_H_
