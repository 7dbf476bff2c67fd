#ifndef CITECHECK_SERVER_COMMON_STYLE_NAME_H_
#define CITECHECK_SERVER_COMMON_STYLE_NAME_H_

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// The style's name for people, in prompts, messages and the CLI: "APA 7", "MLA 9" or
// "Chicago 17" (STYLE_UNSPECIFIED and unknown values mean APA 7, the default style).
absl::string_view StyleDisplayName(v1::Style style);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_STYLE_NAME_H_
