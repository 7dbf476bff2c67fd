#include "server/checking/author_names.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

AuthorList AuthorsOf(const std::string& authors) {
  CitationAnatomy citation;
  citation.text = authors;
  citation.authors = {0, authors.size()};
  return ParseAuthorList(citation);
}

TEST(AuthorNamesTest, SplitsAnApaList) {
  AuthorList list = AuthorsOf("Smith, J. A., Doe, R., & van der Berg, K.");
  ASSERT_EQ(list.names.size(), 3u);
  EXPECT_EQ(list.names[0].surname, "Smith");
  EXPECT_EQ(list.names[0].given, "J. A.");
  EXPECT_TRUE(list.names[0].inverted);
  EXPECT_EQ(list.names[2].surname, "van der Berg");
  EXPECT_EQ(list.last_connector, AuthorConnector::kAmpersand);
  EXPECT_TRUE(list.comma_before_connector);
}

TEST(AuthorNamesTest, SplitsAnMlaList) {
  AuthorList list = AuthorsOf("Smith, John, and Rachel A. Doe");
  ASSERT_EQ(list.names.size(), 2u);
  EXPECT_TRUE(list.names[0].inverted);
  EXPECT_FALSE(list.names[1].inverted);
  EXPECT_EQ(list.names[1].given, "Rachel A.");
  EXPECT_EQ(list.names[1].surname, "Doe");
  EXPECT_EQ(list.last_connector, AuthorConnector::kAnd);
}

TEST(AuthorNamesTest, KeepsSuffixesGroupsAndEtAl) {
  AuthorList list = AuthorsOf("King, Martin L., Jr., et al.");
  ASSERT_EQ(list.names.size(), 1u);
  EXPECT_EQ(list.names[0].suffix, "Jr.");
  EXPECT_TRUE(list.et_al);
  EXPECT_EQ(ApaName(list.names[0]), "King, M. L., Jr.");

  AuthorList group = AuthorsOf("American Psychological Association");
  ASSERT_EQ(group.names.size(), 1u);
  EXPECT_TRUE(group.names[0].group);
}

TEST(AuthorNamesTest, SetsARoleApartFromTheNames) {
  AuthorList list = AuthorsOf("Quintero, Ruben, editor");
  ASSERT_EQ(list.names.size(), 1u);
  EXPECT_EQ(list.names[0].given, "Ruben");
  EXPECT_EQ(list.role.begin, std::string("Quintero, Ruben").size());

  AuthorList apa = AuthorsOf("Smith, J., & Doe, R. (Eds.)");
  ASSERT_EQ(apa.names.size(), 2u);
  EXPECT_TRUE(apa.role.present());
}

TEST(AuthorNamesTest, ReadsSurnameFirstNamesWithoutComma) {
  AuthorList list = AuthorsOf("Smith JA, Doe R");
  ASSERT_EQ(list.names.size(), 2u);
  EXPECT_EQ(list.names[0].surname, "Smith");
  EXPECT_EQ(list.names[0].given, "JA");
  EXPECT_EQ(ApaName(list.names[0]), "Smith, J. A.");
}

TEST(AuthorNamesTest, RefusesTextThatIsNotAnAuthorList) {
  EXPECT_TRUE(AuthorsOf("Smith, John, et al \"Title.\"").names.empty());
  EXPECT_TRUE(AuthorsOf("_Title_").names.empty());
}

TEST(AuthorNamesTest, WritesInitials) {
  EXPECT_EQ(InitialsOf("John Alan"), "J. A.");
  EXPECT_EQ(InitialsOf("J.A."), "J. A.");
  EXPECT_EQ(InitialsOf("J A"), "J. A.");
  EXPECT_EQ(InitialsOf("JA"), "J. A.");
  EXPECT_EQ(InitialsOf("\xC5\x81"
                       "E"),
            "\xC5\x81. E.");
  EXPECT_EQ(InitialsOf("Jean-Paul"), "J.-P.");
  EXPECT_EQ(InitialsOf("J.-P."), "J.-P.");
  EXPECT_EQ(InitialsOf("\xC3\x89lise"), "\xC3\x89.");
  EXPECT_EQ(InitialsOf(""), "");
}

TEST(AuthorNamesTest, WritesNamesInEachForm) {
  AuthorName name;
  name.surname = "Smith";
  name.given = "John A.";
  EXPECT_EQ(ApaName(name), "Smith, J. A.");
  EXPECT_EQ(InvertedName(name), "Smith, John A.");
  EXPECT_EQ(GivenFirstName(name), "John A. Smith");
}

TEST(AuthorNamesTest, ReadsParticlesSuffixesAndDiacritics) {
  AuthorList chicago =
      AuthorsOf("Berg, Sophie van der, Jean-Paul A. Haddad III, and \xC5\x81ukasz Li");
  ASSERT_EQ(chicago.names.size(), 3u);
  EXPECT_EQ(chicago.names[0].surname, "Berg");
  EXPECT_EQ(chicago.names[0].given, "Sophie van der");
  EXPECT_EQ(chicago.names[1].surname, "Haddad");
  EXPECT_EQ(chicago.names[1].suffix, "III");
  EXPECT_EQ(chicago.names[2].surname, "Li");
  EXPECT_EQ(chicago.names[2].given, "\xC5\x81ukasz");
  EXPECT_EQ(chicago.last_connector, AuthorConnector::kAnd);

  AuthorList apa = AuthorsOf("Beethoven, P. van, & Ortega y Gasset, K.");
  ASSERT_EQ(apa.names.size(), 2u);
  EXPECT_EQ(apa.names[0].given, "P. van");
  EXPECT_EQ(InitialsOf(apa.names[0].given), "P. van");
  EXPECT_EQ(apa.names[1].surname, "Ortega y Gasset");
}

TEST(AuthorNamesTest, ReadsACompoundSurnameBeforeGivenNames) {
  AuthorList list = AuthorsOf("Bonham Carter, Rahul, and David McAllister");
  ASSERT_EQ(list.names.size(), 2u);
  EXPECT_EQ(list.names[0].surname, "Bonham Carter");
  EXPECT_TRUE(list.names[0].inverted);
  EXPECT_EQ(list.names[1].surname, "McAllister");
}

TEST(AuthorNamesTest, TakesAnOrganisationAsOneGroupAuthor) {
  for (const char* citation : {"Food and Agriculture Organization of the United Nations",
                               "Intergovernmental Panel on Climate Change", "UNESCO"}) {
    AuthorList list = AuthorsOf(citation);
    ASSERT_EQ(list.names.size(), 1u) << citation;
    EXPECT_TRUE(list.names[0].group) << citation;
  }
}

}  // namespace
}  // namespace citecheck
