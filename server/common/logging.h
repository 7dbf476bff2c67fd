#ifndef CITECHECK_SERVER_COMMON_LOGGING_H_
#define CITECHECK_SERVER_COMMON_LOGGING_H_

// citecheck logs with spdlog (Abseil 20220623 has no absl/log). Rules for every log line:
// never a token, an API key or a citation's text; identities appear only as Redacted().

#include <string>
#include "absl/strings/string_view.h"

#include "spdlog/spdlog.h"

namespace citecheck {

// Configures the default logger: stderr, "[time] [level] message", at `level`
// ("trace", "debug", "info", "warn", "error"). Unknown levels mean "info".
void InitLogging(absl::string_view level);

// A stable, non-reversible label for a secret or a personal key (first 8 hex digits of its
// SHA-256), safe to log and to correlate log lines.
std::string Redacted(absl::string_view secret);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_LOGGING_H_
