#include "server/common/style_name.h"

namespace citecheck {

absl::string_view StyleDisplayName(v1::Style style) {
  switch (style) {
    case v1::STYLE_MLA9:
      return "MLA 9";
    case v1::STYLE_CHICAGO17:
      return "Chicago 17";
    default:
      return "APA 7";
  }
}

}  // namespace citecheck
