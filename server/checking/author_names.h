#ifndef CITECHECK_SERVER_CHECKING_AUTHOR_NAMES_H_
#define CITECHECK_SERVER_CHECKING_AUTHOR_NAMES_H_

// Splits an author list ("Smith, J. A., & Doe, R." or "Smith, John, and Rachel Doe") into
// names, and writes names back in the forms the styles want.
//
// The split is heuristic. Names are separated by commas and by "&"/"and"; a part that follows a
// comma and looks like given names ("J. A.", "John", "Rachel A.") is paired with the surname
// before it (an inverted name); any other part is a name on its own, either "Given Surname" or,
// when it is one word or contains words like "Association" or "Institute", a group author.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/checking/citation_anatomy.h"

namespace citecheck {

enum class AuthorConnector { kNone, kAmpersand, kAnd };

struct AuthorName {
  // As written. For a group author, the whole name; `given` is then empty.
  std::string surname;
  std::string given;
  // "Jr.", "III"...
  std::string suffix;
  // Written "Surname, Given" (as opposed to "Given Surname").
  bool inverted = false;
  bool group = false;
  // Where the name (with its suffix) is written, in the citation's text.
  TextSpan span;
};

struct AuthorList {
  std::vector<AuthorName> names;
  // What joins the last name to the others.
  AuthorConnector last_connector = AuthorConnector::kNone;
  // True when a comma precedes that connector (", &", ", and").
  bool comma_before_connector = false;
  // The list ends with "et al." (the span covers it and the separator before it).
  bool et_al = false;
  // The list skips authors with an ellipsis ("...", "…"), as APA does past 20 authors.
  bool ellipsis = false;
  // A role closing the list, e.g. ", editor" or " (Eds.)", with the separator before it;
  // absent when there is none. The names end where it begins.
  TextSpan role;
};

// True for a lower-case particle of a surname: "van", "der", "de", "von", "da", "la"...
bool IsNameParticle(absl::string_view word);

// Splits the authors of `citation` (empty when it has none).
AuthorList ParseAuthorList(const CitationAnatomy& citation);

// Initials for given names, APA style: "John Alan" → "J. A.", "J.A." → "J. A.",
// "Jean-Paul" → "J.-P.". Empty for empty input.
std::string InitialsOf(absl::string_view given);

// "Smith, J. A." (APA); a group name as written.
std::string ApaName(const AuthorName& name);
// "Smith, John A." (MLA/Chicago first author); a group name as written.
std::string InvertedName(const AuthorName& name);
// "John A. Smith" (MLA/Chicago later authors); a group name as written.
std::string GivenFirstName(const AuthorName& name);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_AUTHOR_NAMES_H_
