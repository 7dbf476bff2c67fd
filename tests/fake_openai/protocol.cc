#include "tests/fake_openai/protocol.h"

#include <ctime>

#include "absl/strings/str_cat.h"

namespace citecheck::fake_openai {
namespace {

bool ReadNonNegativeInt(const rapidjson::Value& value, const char* name, int* out,
                        std::string* error) {
  if (!value.IsInt() || value.GetInt() < 0) {
    *error = absl::StrCat("\"", name, "\" must be a non-negative integer");
    return false;
  }
  *out = value.GetInt();
  return true;
}

bool ReadBool(const rapidjson::Value& value, const char* name, bool* out, std::string* error) {
  if (!value.IsBool()) {
    *error = absl::StrCat("\"", name, "\" must be a boolean");
    return false;
  }
  *out = value.GetBool();
  return true;
}

std::string StringOr(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// A message content: a string, or an array of parts whose "text" strings are joined by "\n".
std::string ContentText(const rapidjson::Value& content) {
  if (content.IsString()) return std::string(content.GetString(), content.GetStringLength());
  std::string text;
  if (!content.IsArray()) return text;
  for (const auto& part : content.GetArray()) {
    if (!part.IsObject()) continue;
    std::string piece = StringOr(part, "text");
    if (piece.empty()) continue;
    if (!text.empty()) text.push_back('\n');
    text += piece;
  }
  return text;
}

// Files the messages of an array (chat `messages` or responses `input`) into *request.
void ReadMessages(const rapidjson::Value& messages, CompletionRequest* request) {
  if (!messages.IsArray()) return;
  for (const auto& message : messages.GetArray()) {
    if (!message.IsObject()) continue;
    const std::string role = StringOr(message, "role");
    auto content = message.FindMember("content");
    if (content == message.MemberEnd()) continue;
    if (role == "system" || role == "developer") {
      if (!request->system.empty()) request->system.push_back('\n');
      request->system += ContentText(content->value);
    } else if (role == "user") {
      request->user = ContentText(content->value);
    }
  }
}

int64_t ApproxTokens(size_t bytes) { return static_cast<int64_t>((bytes + 3) / 4); }

}  // namespace

void WriteString(JsonWriter& writer, absl::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteKey(JsonWriter& writer, absl::string_view key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// ---- scripted actions --------------------------------------------------------------------------

// Reads one ACTION object; false (and *error) on a wrong type, a bad value or an unknown field.
bool ParseAction(const rapidjson::Value& json, Action* action, std::string* error) {
  if (!json.IsObject()) {
    *error = "every action must be an object";
    return false;
  }
  for (const auto& member : json.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& value = member.value;
    int number = 0;
    if (name == "latency_ms") {
      if (!ReadNonNegativeInt(value, "latency_ms", &number, error)) return false;
      action->latency_ms = number;
    } else if (name == "hang_ms") {
      if (!ReadNonNegativeInt(value, "hang_ms", &action->hang_ms, error)) return false;
    } else if (name == "status") {
      if (!value.IsInt() || value.GetInt() < 100 || value.GetInt() > 599) {
        *error = "\"status\" must be an integer in 100..599";
        return false;
      }
      action->status = value.GetInt();
    } else if (name == "error_code") {
      if (value.IsNull()) continue;
      if (!value.IsString()) {
        *error = "\"error_code\" must be a string or null";
        return false;
      }
      action->error_code = std::string(value.GetString(), value.GetStringLength());
    } else if (name == "headers") {
      if (!value.IsObject()) {
        *error = "\"headers\" must be an object of strings";
        return false;
      }
      for (const auto& header : value.GetObject()) {
        if (!header.value.IsString() || header.name.GetStringLength() == 0) {
          *error = "\"headers\" must be an object of strings";
          return false;
        }
        action->headers.emplace_back(
            std::string(header.name.GetString(), header.name.GetStringLength()),
            std::string(header.value.GetString(), header.value.GetStringLength()));
      }
    } else if (name == "reset") {
      if (!ReadBool(value, "reset", &action->reset, error)) return false;
    } else if (name == "reset_empty") {
      if (!ReadBool(value, "reset_empty", &action->reset_empty, error)) return false;
    } else if (name == "malformed") {
      if (!ReadBool(value, "malformed", &action->malformed, error)) return false;
    } else if (name == "garbage_answer") {
      if (!ReadBool(value, "garbage_answer", &action->garbage_answer, error)) return false;
    } else if (name == "out_of_range") {
      if (!ReadBool(value, "out_of_range", &action->out_of_range, error)) return false;
    } else if (name == "omit") {
      if (!value.IsArray()) {
        *error = "\"omit\" must be an array of integers";
        return false;
      }
      for (const auto& item : value.GetArray()) {
        if (!item.IsInt()) {
          *error = "\"omit\" must be an array of integers";
          return false;
        }
        action->omit.insert(item.GetInt());
      }
    } else {
      *error = absl::StrCat("unknown action field \"", name, "\"");
      return false;
    }
  }
  return true;
}

// ---- completion requests -----------------------------------------------------------------------

CompletionRequest ReadCompletionRequest(Api api, const std::string& body) {
  CompletionRequest request;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return request;
  request.valid = true;
  request.model = StringOr(doc, "model");
  if (api == Api::kChat) {
    auto messages = doc.FindMember("messages");
    if (messages != doc.MemberEnd()) ReadMessages(messages->value, &request);
  } else {
    request.system = StringOr(doc, "instructions");
    auto input = doc.FindMember("input");
    if (input != doc.MemberEnd()) {
      if (input->value.IsString()) {
        request.user = std::string(input->value.GetString(), input->value.GetStringLength());
      } else {
        ReadMessages(input->value, &request);
      }
    }
  }
  return request;
}

// The successful answer envelope of `api` around `text`.
std::string AnswerBody(Api api, int64_t id, const CompletionRequest& request,
                       absl::string_view text) {
  const int64_t prompt_tokens = ApproxTokens(request.system.size() + request.user.size());
  const int64_t completion_tokens = ApproxTokens(text.size());
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  if (api == Api::kChat) {
    WriteKey(writer, "id");
    WriteString(writer, absl::StrCat("chatcmpl-fake-", id));
    WriteKey(writer, "object");
    WriteString(writer, "chat.completion");
    WriteKey(writer, "created");
    writer.Int64(now);
    WriteKey(writer, "model");
    WriteString(writer, request.model);
    WriteKey(writer, "choices");
    writer.StartArray();
    writer.StartObject();
    WriteKey(writer, "index");
    writer.Int(0);
    WriteKey(writer, "message");
    writer.StartObject();
    WriteKey(writer, "role");
    WriteString(writer, "assistant");
    WriteKey(writer, "content");
    WriteString(writer, text);
    writer.EndObject();
    WriteKey(writer, "finish_reason");
    WriteString(writer, "stop");
    writer.EndObject();
    writer.EndArray();
    WriteKey(writer, "usage");
    writer.StartObject();
    WriteKey(writer, "prompt_tokens");
    writer.Int64(prompt_tokens);
    WriteKey(writer, "completion_tokens");
    writer.Int64(completion_tokens);
    WriteKey(writer, "total_tokens");
    writer.Int64(prompt_tokens + completion_tokens);
    writer.EndObject();
  } else {
    WriteKey(writer, "id");
    WriteString(writer, absl::StrCat("resp-fake-", id));
    WriteKey(writer, "object");
    WriteString(writer, "response");
    WriteKey(writer, "created_at");
    writer.Int64(now);
    WriteKey(writer, "status");
    WriteString(writer, "completed");
    WriteKey(writer, "model");
    WriteString(writer, request.model);
    WriteKey(writer, "output");
    writer.StartArray();
    writer.StartObject();
    WriteKey(writer, "type");
    WriteString(writer, "message");
    WriteKey(writer, "role");
    WriteString(writer, "assistant");
    WriteKey(writer, "content");
    writer.StartArray();
    writer.StartObject();
    WriteKey(writer, "type");
    WriteString(writer, "output_text");
    WriteKey(writer, "text");
    WriteString(writer, text);
    writer.EndObject();
    writer.EndArray();
    writer.EndObject();
    writer.EndArray();
    WriteKey(writer, "output_text");
    WriteString(writer, text);
    WriteKey(writer, "usage");
    writer.StartObject();
    WriteKey(writer, "input_tokens");
    writer.Int64(prompt_tokens);
    WriteKey(writer, "output_tokens");
    writer.Int64(completion_tokens);
    WriteKey(writer, "total_tokens");
    writer.Int64(prompt_tokens + completion_tokens);
    writer.EndObject();
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// {"error":{"message":M,"type":T,"code":C or null}}.
std::string ErrorBody(absl::string_view message, absl::string_view type,
                      const std::optional<std::string>& code) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteKey(writer, "error");
  writer.StartObject();
  WriteKey(writer, "message");
  WriteString(writer, message);
  WriteKey(writer, "type");
  WriteString(writer, type);
  WriteKey(writer, "code");
  if (code.has_value()) {
    WriteString(writer, *code);
  } else {
    writer.Null();
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool ParseRule(const rapidjson::Value& json, Rule* rule, std::string* error) {
  if (!json.IsObject()) {
    *error = "every rule must be an object";
    return false;
  }
  rapidjson::Document scratch;
  rapidjson::Value action(rapidjson::kObjectType);
  for (const auto& member : json.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name == "contains") {
      if (!member.value.IsString() || member.value.GetStringLength() == 0) {
        *error = "\"contains\" must be a non-empty string";
        return false;
      }
      rule->contains = std::string(member.value.GetString(), member.value.GetStringLength());
    } else if (name == "times") {
      if (!ReadNonNegativeInt(member.value, "times", &rule->times, error)) return false;
    } else {
      action.AddMember(rapidjson::Value(member.name, scratch.GetAllocator()),
                       rapidjson::Value(member.value, scratch.GetAllocator()),
                       scratch.GetAllocator());
    }
  }
  if (rule->contains.empty()) {
    *error = "a rule needs \"contains\"";
    return false;
  }
  return ParseAction(action, &rule->action, error);
}

bool ParseScriptBody(absl::string_view body, std::vector<Action>* actions, std::string* error) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *error = "the body must be a JSON object {\"actions\": [...]}";
    return false;
  }
  auto list = doc.FindMember("actions");
  if (list == doc.MemberEnd() || !list->value.IsArray()) {
    *error = "\"actions\" must be an array";
    return false;
  }
  std::vector<Action> parsed;
  for (const auto& json : list->value.GetArray()) {
    Action action;
    std::string why;
    if (!ParseAction(json, &action, &why)) {
      *error = absl::StrCat("action #", parsed.size() + 1, ": ", why);
      return false;
    }
    parsed.push_back(std::move(action));
  }
  *actions = std::move(parsed);
  return true;
}

std::string QueuedBody(size_t queued) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteKey(writer, "queued");
  writer.Uint64(queued);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool ParseDefaultBody(absl::string_view body, int* latency_ms, std::string* error) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *error = "the body must be a JSON object {\"latency_ms\": N}";
    return false;
  }
  auto latency = doc.FindMember("latency_ms");
  std::string why;
  if (latency == doc.MemberEnd() ||
      !ReadNonNegativeInt(latency->value, "latency_ms", latency_ms, &why)) {
    *error = "\"latency_ms\" must be a non-negative integer";
    return false;
  }
  return true;
}

std::string ControlErrorBody(absl::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteKey(writer, "error");
  WriteString(writer, message);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

const char* StyleName(v1::Style style) {
  switch (style) {
    case v1::STYLE_MLA9:
      return "MLA9";
    case v1::STYLE_CHICAGO17:
      return "CHICAGO17";
    default:
      return "APA7";
  }
}

}  // namespace citecheck::fake_openai
