#include "server/common/logging.h"

#include "server/common/hashing.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace citecheck {

void InitLogging(absl::string_view level) {
  auto logger = spdlog::stderr_color_mt("citecheck");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string Redacted(absl::string_view secret) { return Sha256Hex(secret).substr(0, 8); }

}  // namespace citecheck
