#ifndef CITECHECK_SERVER_CHECKING_INPUT_PARSER_H_
#define CITECHECK_SERVER_CHECKING_INPUT_PARSER_H_

// Turns the three input forms of SubmitBatchRequest into a list of citations. Pure functions;
// no limits are applied here (see api/request_validation.h). Each returned citation is trimmed
// and has its internal whitespace runs collapsed to one space; empty entries are dropped, so
// a citation's index is its position among the citations that remain.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace citecheck {

// One citation per item.
std::vector<std::string> ParseCitationList(const std::vector<std::string>& items);

// Citations separated by blank lines (a line holding only whitespace is blank); the lines of
// one citation are joined with a space. Accepts \n, \r\n and \r line ends.
std::vector<std::string> ParseCitationText(absl::string_view text);

// One citation per <p> element (text outside any <p> is also taken, split like text when no
// <p> exists at all). <i>/<em>/<u> become _x_; <b>/<strong> become **x**; <br> is a space;
// other tags are dropped (the content of <script> and <style> with them; see HtmlScanner);
// character references are decoded as html_entities.h says, a no-break space becoming a space.
std::vector<std::string> ParseCitationHtml(absl::string_view html);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_INPUT_PARSER_H_
