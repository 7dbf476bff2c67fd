#ifndef CITECHECK_SERVER_CHECKING_CITATION_ANATOMY_H_
#define CITECHECK_SERVER_CHECKING_CITATION_ANATOMY_H_

// A style-agnostic, best-effort dissection of one reference-list entry into the parts the
// heuristic rules talk about: authors, year, title, container (journal, site or publisher),
// volume, issue, pages and DOI/URL. Parts are located as byte spans of the citation text, so a
// rule can both read a part and replace exactly it.
//
// The parser is honest and simple: it is good at well-formed-ish APA 7, MLA 9 and Chicago 17
// entries (the three share the shape "authors. [year.] title. container, numbers. link") and
// leaves a part absent rather than guess when the text does not fit. Italics are expected as
// markdown `_x_` (what ParseCitationHtml produces); bold `**x**` is ignored.
//
// Elements are separated by a period (or ? or !) followed by a space, except where the period
// ends an initial ("J.") or a known abbreviation ("vol.", "pp.", "et al.", "Inc."), or lies
// inside parentheses, quotation marks or italics.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace citecheck {

// A half-open byte range [begin, end) of a citation's text, or absent.
struct TextSpan {
  static constexpr size_t kAbsent = static_cast<size_t>(-1);

  size_t begin = kAbsent;
  size_t end = kAbsent;

  bool present() const { return begin != kAbsent; }
  size_t size() const { return present() ? end - begin : 0; }
  // True when `other` lies within this span (both present).
  bool Contains(const TextSpan& other) const {
    return present() && other.present() && begin <= other.begin && other.end <= end;
  }
};

// How the title is set off.
enum class TitleForm { kNone, kPlain, kQuoted, kItalic };

// How the issue number is written.
enum class IssueForm {
  kNone,
  kParenthesized,  // "14(2)"
  kLabelled,       // "no. 2"
};

// What kind of link ends the citation.
enum class LinkKind {
  kNone,
  kDoiUrl,     // https://doi.org/10.xxxx/...
  kLegacyDoi,  // doi:10.xxxx, DOI: 10.xxxx, http://dx.doi.org/10.xxxx, http://doi.org/...
  kUrl,        // any other http(s):// or www. address
};

struct CitationAnatomy {
  // The citation the spans index into.
  std::string text;

  // The author list as written, e.g. "Smith, J. A., & Doe, R." or "Smith, John, and Rachel
  // Doe": periods of initials and abbreviations ("Jr.", "et al.") are included, the period that
  // merely ends the element is not. Absent when the citation starts with its title.
  TextSpan authors;

  // The year as written: "2020", "2020a", "n.d.", "in press" or "[MISSING: year]".
  TextSpan year;
  // The year with what surrounds it: "(2020)" / "(2020, March 5)" when parenthesized, else
  // equal to `year`.
  TextSpan year_group;
  bool year_parenthesized = false;
  // True when the year is its own element right after the authors (APA 7, Chicago
  // author-date): "Smith, J. (2020)." or "Smith, John. 2020.".
  bool year_after_authors = false;

  // The title's words: without quotation marks, italic markers or the period ending it (a
  // closing ? or ! is kept).
  TextSpan title;
  TitleForm title_form = TitleForm::kNone;
  // The whole title element: from its opening quotation mark or marker through the punctuation
  // that ends it (e.g. `"Title."` or `_Title_.` or `Title.`), excluding the following space.
  TextSpan title_element;

  // The element after the title: a journal with its numbers, a site, a publisher...
  TextSpan container;
  // Its name as written, italic markers included: "_Journal of Informetrics_", "Penguin".
  TextSpan container_name;
  bool container_name_italic = false;
  // Everything after the name up to the end of the element, e.g. ", _14_(2), 101–115".
  TextSpan container_details;
  // True when every piece of `container_details` was recognised as one of the parts below
  // (so a rule may rebuild the details from those parts without losing anything).
  bool container_details_understood = true;

  // The volume number without label or markers, e.g. "14".
  TextSpan volume;
  bool volume_italic = false;
  // "vol. " when labelled (absent otherwise).
  TextSpan volume_label;
  // Label, markers and number: "vol. 14", "_14_", "14".
  TextSpan volume_group;
  // The issue number, e.g. "2".
  TextSpan issue;
  // The issue is inside the volume's italics: "_14(2)_" (volume_group then covers it all).
  bool issue_italic = false;
  IssueForm issue_form = IssueForm::kNone;
  // "(2)" or "no. 2".
  TextSpan issue_group;
  // The page range or single page, e.g. "101–115", "e12".
  TextSpan pages;
  // "pp. " or "p. " when labelled.
  TextSpan pages_label;
  // Label and pages.
  TextSpan pages_group;
  // "Article 101015" (APA's form for article numbers).
  TextSpan article_number;
  // The separator written right before `pages_group`, e.g. ", " or ": ".
  TextSpan pages_separator;

  // The DOI or URL, without a trailing period.
  TextSpan link;
  LinkKind link_kind = LinkKind::kNone;
  // For DOI links, the bare DOI ("10.1016/j.joi.2020.101015"), when it starts with "10.".
  TextSpan doi;

  // Every element after the title, in order, as content spans (without the period that ends
  // them); the first is `container` when there is one. The link is not an element.
  std::vector<TextSpan> elements;
  // The container opens with "In " (a chapter, or a paper in proceedings): APA "In R. Doe
  // (Ed.), _Book_ (pp. 15–38)", Chicago "In _Book_, edited by Rachel Doe, 15–38".
  bool container_starts_with_in = false;
  // A bracketed description after the title, brackets included: "[Doctoral dissertation,
  // University of Michigan]", "[Data set]", "[Computer software]".
  TextSpan description;
  // The edition as written: "(3rd ed.)" (APA, after the title) or "3rd ed." (MLA, Chicago).
  TextSpan edition;
  // The place of publication and the publisher of "New York: Routledge" or "Thousand Oaks, CA:
  // Sage", and the whole element (or, for MLA, the comma-separated piece) that holds them. A
  // publisher without a place has `place` absent.
  TextSpan place;
  TextSpan publisher;
  TextSpan publisher_element;
  // "Retrieved from " before the link (APA's old form), absent otherwise.
  TextSpan retrieved_from;

  // The kind of source, recognised from the citation itself: one of the k… names below; never
  // empty.
  std::string source_type;

  // The text of `span` ("" when absent).
  absl::string_view Of(const TextSpan& span) const {
    if (!span.present()) return absl::string_view();
    return absl::string_view(text).substr(span.begin, span.end - span.begin);
  }
  bool IsJournalArticle() const { return source_type == kJournalArticle; }
  // A book written by its authors (not an edited book).
  bool IsBook() const { return source_type == kBook; }
  bool IsWebpage() const { return source_type == kWebpage; }
  bool IsChapter() const { return source_type == kBookChapter; }
  // A whole work that stands alone: a book, an edited book, a report, a thesis, a data set or
  // software (its title is italic in all three styles' main forms).
  bool IsStandaloneWork() const {
    return source_type == kBook || source_type == kEditedBook || source_type == kReport ||
           source_type == kThesis || source_type == kDataset || source_type == kSoftware;
  }
  // A part of a larger work: a journal article, a chapter, a conference paper or a web page.
  bool IsPartOfContainer() const {
    return source_type == kJournalArticle || source_type == kBookChapter ||
           source_type == kConferencePaper || source_type == kWebpage;
  }

  static constexpr absl::string_view kJournalArticle = "journal article";
  static constexpr absl::string_view kBook = "book";
  static constexpr absl::string_view kEditedBook = "edited book";
  static constexpr absl::string_view kBookChapter = "book chapter";
  static constexpr absl::string_view kWebpage = "webpage";
  static constexpr absl::string_view kReport = "report";
  static constexpr absl::string_view kThesis = "thesis";
  static constexpr absl::string_view kConferencePaper = "conference paper";
  static constexpr absl::string_view kDataset = "dataset";
  static constexpr absl::string_view kSoftware = "software";
  static constexpr absl::string_view kOther = "other";
};

// Dissects `citation` (one entry, whitespace already collapsed). Never fails: parts that cannot
// be found are left absent.
CitationAnatomy ParseCitationAnatomy(absl::string_view citation);

// True when text[pos] == '.' ends an initial ("J.", "É.") or a known abbreviation ("vol.",
// "et al.", "n.d."), i.e. a period that does not by itself end an element.
bool IsAbbreviationPeriod(absl::string_view text, size_t pos);

// The length of the year written at text[pos]: four digits starting 1 or 2 with an optional
// lower-case letter ("2020", "2020a"), "n.d.", "in press" or "[MISSING: year]"; 0 when none.
size_t YearLengthAt(absl::string_view text, size_t pos);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_CITATION_ANATOMY_H_
