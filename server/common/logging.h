#ifndef CITECHECK_SERVER_COMMON_LOGGING_H_
#define CITECHECK_SERVER_COMMON_LOGGING_H_

// citecheck logs with spdlog (Abseil 20220623 has no absl/log). Rules for every log line:
// never a token, an API key or a citation's text above debug level; identities appear only as
// Redacted().
//
// Two formats, chosen once at start (--log_format):
//   text  "2026-12-04T18:00:00.123Z info message key=value ..." (the default)
//   json  one JSON object per line, for log collectors:
//         {"ts":"2026-12-04T18:00:00.123Z","level":"info","msg":"...", <fields>}
//         ts is RFC 3339 UTC with milliseconds; level is debug, info, warn or error (spdlog's
//         trace is written as debug, critical as error); fields are the process fields
//         (SetProcessLogField, e.g. "replica") and the line's own (LogWithFields, e.g. "job_id",
//         "method", "code", "duration_ms", "reason"). Strings are escaped as JSON requires;
//         bytes that are not UTF-8 become U+FFFD, so every line parses.
// gRPC's own log lines (gpr_log) are routed through the same logger, so they follow the format.
//
// Plain spdlog::info(...) calls keep working in both formats (msg only); use LogWithFields to
// attach context fields.
//
// Thread-safety: InitLogging and SetProcessLogField are meant for main() before the server
// starts; everything else is thread-safe.

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace citecheck {

enum class LogFormat { kText, kJson };

// "text" or "json"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// Configures the default logger: stderr, in `format`, at `level` ("trace", "debug", "info",
// "warn", "error"; unknown levels mean "info"). May be called again (tests).
void InitLogging(absl::string_view level, LogFormat format = LogFormat::kText);

// A context field of one log line: a string, or a number written as a JSON number.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value)
      : key_(key), value_(value), number_(false) {}
  LogField(absl::string_view key, const std::string& value)
      : key_(key), value_(value), number_(false) {}
  LogField(absl::string_view key, const char* value) : key_(key), value_(value), number_(false) {}
  LogField(absl::string_view key, int64_t value);
  LogField(absl::string_view key, int value) : LogField(key, static_cast<int64_t>(value)) {}
  LogField(absl::string_view key, double value);

  absl::string_view key() const { return key_; }
  const std::string& value() const { return value_; }
  bool number() const { return number_; }

 private:
  absl::string_view key_;
  std::string value_;
  bool number_;
};

// Logs `msg` at `level` with `fields`: in JSON as members of the line's object, in text
// appended as " key=value". Fields are not formatted when the level is disabled.
void LogWithFields(spdlog::level::level_enum level, absl::string_view msg,
                   std::initializer_list<LogField> fields);

// A field written on every JSON line of the process from now on (e.g. {"replica", name}); a
// second call with the same key replaces the value.
void SetProcessLogField(absl::string_view key, absl::string_view value);

// The JSON line for one message, without the trailing newline (exposed for tests). `ts_millis`
// is milliseconds since the Unix epoch.
std::string FormatJsonLogLine(int64_t ts_millis, spdlog::level::level_enum level,
                              absl::string_view msg, std::initializer_list<LogField> fields = {});

// `text` as the contents of a JSON string (without the quotes): escapes, and U+FFFD for bytes
// that are not UTF-8.
std::string JsonEscape(absl::string_view text);

// Bytes that came from a client (an order id, an address, a database message quoting a
// value), made safe for one log line: at most `max_bytes` of them, quoted, with quotes,
// backslashes and every byte outside printable ASCII escaped (\n, \x1b, ...), so that a client
// can neither forge a line nor fill the log; a longer value ends with "...(+N bytes)". The one
// way client values reach a log line.
inline constexpr size_t kMaxLoggedClientBytes = 64;
std::string ClientValueForLog(absl::string_view value, size_t max_bytes = kMaxLoggedClientBytes);

// A stable, non-reversible label for a secret or a personal key (first 8 hex digits of its
// SHA-256), safe to log and to correlate log lines.
std::string Redacted(absl::string_view secret);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_LOGGING_H_
