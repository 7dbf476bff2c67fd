#ifndef CITECHECK_TESTS_INTEGRATION_SHARED_SERVER_TEST_H_
#define CITECHECK_TESTS_INTEGRATION_SHARED_SERVER_TEST_H_

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {

// A fixture whose tests share one real server process: started before the suite's first test
// with Derived::ServerFlags() (a static function returning the flags), terminated after its
// last. The server must then exit 0, and its log must not contain any of Derived::Secrets()
// (none unless Derived declares its own). A test fails at once when the server did not start.
//
//   class MyTest : public SharedServerTest<MyTest> {
//    public:
//     static std::vector<std::string> ServerFlags() { return {"--free_limit=10"}; }
//   };
template <typename Derived>
class SharedServerTest : public ::testing::Test {
 public:
  static std::vector<std::string> Secrets() { return {}; }

 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start(Derived::ServerFlags()).release(); }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Terminate(), 0);
      const std::string log = server_->Log();
      for (const std::string& secret : Derived::Secrets()) {
        EXPECT_FALSE(absl::StrContains(log, secret)) << secret << " is in the log";
      }
    }
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static inline ServerProcess* server_ = nullptr;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_SHARED_SERVER_TEST_H_
