#include "server/common/logging.h"

#include <grpc/support/log.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/hashing.h"
#include "server/common/utf8.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace citecheck {
namespace {

// The fields of the LogWithFields call running on this thread (spdlog's synchronous loggers
// format on the calling thread), or null.
thread_local const std::initializer_list<LogField>* tls_fields = nullptr;

// The process fields, rendered as `,"key":"value"...` for JSON lines. Replaced whole so readers
// need no lock: a reader may still hold an old rendering, so every rendering is kept (a few bytes
// per SetProcessLogField call) in a list that is never destroyed, not even at exit, when
// detached threads may still log.
absl::Mutex process_fields_mu;
std::vector<std::pair<std::string, std::string>> process_fields ABSL_GUARDED_BY(process_fields_mu);
std::vector<std::unique_ptr<const std::string>>* const process_fields_renderings
    ABSL_PT_GUARDED_BY(process_fields_mu) = new std::vector<std::unique_ptr<const std::string>>();
std::atomic<const std::string*> process_fields_json{nullptr};

// Whether InitLogging chose JSON (then LogWithFields hands the fields to the formatter instead
// of appending them to the message).
std::atomic<bool> json_format{false};

absl::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    default:
      return "error";
  }
}

void AppendJsonLine(int64_t ts_millis, spdlog::level::level_enum level, absl::string_view msg,
                    const std::initializer_list<LogField>* fields, std::string* out) {
  const absl::Time ts = absl::FromUnixMillis(ts_millis);
  absl::StrAppend(out, "{\"ts\":\"",
                  absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone()),
                  "\",\"level\":\"", LevelName(level), "\",\"msg\":\"", JsonEscape(msg), "\"");
  if (const std::string* process = process_fields_json.load(std::memory_order_acquire)) {
    out->append(*process);
  }
  if (fields != nullptr) {
    for (const LogField& field : *fields) {
      absl::StrAppend(out, ",\"", JsonEscape(field.key()), "\":");
      if (field.number()) {
        out->append(field.value());
      } else {
        absl::StrAppend(out, "\"", JsonEscape(field.value()), "\"");
      }
    }
  }
  out->push_back('}');
}

// spdlog formatter writing one JSON object per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::string line;
    AppendJsonLine(millis, msg.level, absl::string_view(msg.payload.data(), msg.payload.size()),
                   tls_fields, &line);
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// gRPC's gpr_log lines, through our logger.
void GrpcLogToSpdlog(gpr_log_func_args* args) {
  spdlog::level::level_enum level = spdlog::level::info;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::err;
  LogWithFields(level, args->message == nullptr ? "" : args->message,
                {{"source", "grpc"},
                 {"file", absl::StrCat(args->file == nullptr ? "" : args->file, ":", args->line)}});
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(absl::StrCat("must be text or json, not '", name, "'"));
}

void InitLogging(absl::string_view level, LogFormat format) {
  spdlog::drop("citecheck");
  std::shared_ptr<spdlog::logger> logger;
  if (format == LogFormat::kJson) {
    logger = spdlog::stderr_logger_mt("citecheck");
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger = spdlog::stderr_color_mt("citecheck");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  json_format.store(format == LogFormat::kJson);
  gpr_set_log_function(GrpcLogToSpdlog);
}

LogField::LogField(absl::string_view key, int64_t value)
    : key_(key), value_(absl::StrCat(value)), number_(true) {}

LogField::LogField(absl::string_view key, double value)
    : key_(key), value_(absl::StrFormat("%.3f", value)), number_(true) {}

void LogWithFields(spdlog::level::level_enum level, absl::string_view msg,
                   std::initializer_list<LogField> fields) {
  std::shared_ptr<spdlog::logger> logger = spdlog::default_logger();
  if (!logger->should_log(level)) return;
  if (json_format.load(std::memory_order_relaxed)) {
    tls_fields = &fields;
    logger->log(level, "{}", std::string_view(msg.data(), msg.size()));
    tls_fields = nullptr;
    return;
  }
  std::string text(msg);
  for (const LogField& field : fields) {
    const bool quote = !field.number() && field.value().find(' ') != std::string::npos;
    absl::StrAppend(&text, " ", field.key(), "=", quote ? "\"" : "", field.value(),
                    quote ? "\"" : "");
  }
  logger->log(level, "{}", text);
}

void SetProcessLogField(absl::string_view key, absl::string_view value) {
  absl::MutexLock lock(&process_fields_mu);
  bool replaced = false;
  for (auto& [k, v] : process_fields) {
    if (k == key) {
      v = std::string(value);
      replaced = true;
    }
  }
  if (!replaced) process_fields.emplace_back(std::string(key), std::string(value));
  std::string rendered;
  for (const auto& [k, v] : process_fields) {
    absl::StrAppend(&rendered, ",\"", JsonEscape(k), "\":\"", JsonEscape(v), "\"");
  }
  process_fields_renderings->push_back(std::make_unique<const std::string>(std::move(rendered)));
  process_fields_json.store(process_fields_renderings->back().get(), std::memory_order_release);
}

std::string FormatJsonLogLine(int64_t ts_millis, spdlog::level::level_enum level,
                              absl::string_view msg, std::initializer_list<LogField> fields) {
  std::string line;
  AppendJsonLine(ts_millis, level, msg, &fields, &line);
  return line;
}

std::string JsonEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = ValidUtf8SequenceLength(text, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else {
        out.append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  return out;
}

std::string ClientValueForLog(absl::string_view value, size_t max_bytes) {
  const absl::string_view shown = value.substr(0, max_bytes);
  std::string out = absl::StrCat("\"", absl::CHexEscape(shown), "\"");
  if (value.size() > shown.size()) {
    absl::StrAppend(&out, "...(+", value.size() - shown.size(), " bytes)");
  }
  return out;
}

std::string Redacted(absl::string_view secret) { return Sha256Hex(secret).substr(0, 8); }

}  // namespace citecheck
