#ifndef CITECHECK_TESTS_SERVER_CHECKING_RULE_TEST_UTIL_H_
#define CITECHECK_TESTS_SERVER_CHECKING_RULE_TEST_UTIL_H_

// Runs single rules for the per-style rule tests.

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/rules/rule.h"

namespace citecheck {

// The findings of the rule `name` of `rules` on `citation`.
inline std::vector<RuleFinding> FindingsOf(const std::vector<Rule>& rules, absl::string_view name,
                                           absl::string_view citation) {
  std::vector<RuleFinding> findings;
  const Rule* rule = FindRule(rules, name);
  EXPECT_NE(rule, nullptr) << "no rule " << name;
  if (rule != nullptr) rule->check(ParseCitationAnatomy(citation), &findings);
  return findings;
}

// `citation` after the fixes of the rule `name` alone.
inline std::string FixedBy(const std::vector<Rule>& rules, absl::string_view name,
                           absl::string_view citation) {
  const Rule* rule = FindRule(rules, name);
  EXPECT_NE(rule, nullptr) << "no rule " << name;
  if (rule == nullptr) return std::string(citation);
  return RunRules({*rule}, citation).corrected;
}

// Expects the rule `name` to report one problem in `citation` and to fix it into `fixed`.
inline void ExpectOneFindingFixedAs(const std::vector<Rule>& rules, absl::string_view name,
                                    absl::string_view citation, absl::string_view fixed) {
  EXPECT_EQ(FindingsOf(rules, name, citation).size(), 1u) << name << ": " << citation;
  EXPECT_EQ(FixedBy(rules, name, citation), fixed) << name;
}

// Expects no rule of `rules` to find anything in any of `citations`.
inline void ExpectEveryRulePasses(const std::vector<Rule>& rules,
                                  std::initializer_list<const char*> citations) {
  for (const char* citation : citations) {
    for (const Rule& rule : rules) {
      EXPECT_TRUE(FindingsOf(rules, rule.name, citation).empty()) << rule.name << ": " << citation;
    }
  }
}

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_CHECKING_RULE_TEST_UTIL_H_
