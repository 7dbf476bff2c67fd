#include "server/storage/mysql_url.h"

#include <string>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

MysqlUrl MustParse(const std::string& text) {
  absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(text);
  EXPECT_TRUE(url.ok()) << text << ": " << url.status();
  return url.ok() ? *url : MysqlUrl();
}

TEST(MysqlUrlTest, ParsesTcpForm) {
  const MysqlUrl url = MustParse("mysql://citecheck:pw@127.0.0.1:13306/citecheck");
  EXPECT_EQ(url.user, "citecheck");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 13306);
  EXPECT_EQ(url.database, "citecheck");
  EXPECT_FALSE(url.is_socket());
  EXPECT_EQ(url.socket, "");
}

TEST(MysqlUrlTest, ParsesSocketForm) {
  const MysqlUrl url =
      MustParse("mysql://app:pw@localhost/accounts_db?socket=/dev/shm/my%20db/mysqld.sock");
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 0);
  EXPECT_EQ(url.database, "accounts_db");
  EXPECT_TRUE(url.is_socket());
  EXPECT_EQ(url.socket, "/dev/shm/my db/mysqld.sock");
}

TEST(MysqlUrlTest, PasswordIsOptional) {
  const MysqlUrl url = MustParse("mysql://root@db.example.com:3306/x");
  EXPECT_EQ(url.user, "root");
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(url.host, "db.example.com");
  EXPECT_EQ(MustParse("mysql://root:@h:1/x").password, "");
}

TEST(MysqlUrlTest, PercentDecodesUserAndPassword) {
  const MysqlUrl url = MustParse("mysql://us%40er:p%3Aa%2Fs%25s%3f@h:1/db");
  EXPECT_EQ(url.user, "us@er");
  EXPECT_EQ(url.password, "p:a/s%s?");
}

TEST(MysqlUrlTest, RawAtAndSlashInThePasswordBelongToThePassword) {
  const MysqlUrl url = MustParse("mysql://u:p@ss/w:rd@h:1/db");
  EXPECT_EQ(url.user, "u");
  EXPECT_EQ(url.password, "p@ss/w:rd");
  EXPECT_EQ(url.host, "h");
}

TEST(MysqlUrlTest, ParsesBracketedIpv6AndCaseInsensitiveScheme) {
  const MysqlUrl url = MustParse("MySQL://u@[::1]:3307/db_1$");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 3307);
  EXPECT_EQ(url.database, "db_1$");
}

TEST(MysqlUrlTest, RejectsMalformedUrls) {
  const char* const bad[] = {
      "",
      "citecheck",
      "http://u:p@h:1/db",
      "mysql://h:1/db",                         // no user
      "mysql://:p@h:1/db",                      // empty user
      "mysql://u@h/db",                         // no port
      "mysql://u@h:/db",                        // empty port
      "mysql://u@h:0/db",                       // port out of range
      "mysql://u@h:65536/db",                   // port out of range
      "mysql://u@h:12a/db",                     // port not a number
      "mysql://u@h:-1/db",                      // port not a number
      "mysql://u@h:1",                          // no database
      "mysql://u@h:1/",                         // empty database
      "mysql://u@h:1/bad-name",                 // not an identifier
      "mysql://u@h:1/db`; DROP",                // not an identifier
      "mysql://u@h:1/a/b",                      // not an identifier
      "mysql://u@:1/db",                        // empty host
      "mysql://u@h o:1/db",                     // bad host
      "mysql://u@[::1/db",                      // unterminated IPv6
      "mysql://u@h:1/db?foo=bar",               // unknown parameter
      "mysql://u@h:1/db?socket",                // socket without path
      "mysql://u@localhost/db?socket=",         // empty socket
      "mysql://u@otherhost/db?socket=/x.sock",  // socket with another host
      "mysql://u@localhost:3306/db?socket=/x",  // socket with a port
      "mysql://u%zz@h:1/db",                    // bad percent-encoding
      "mysql://u:p%4@h:1/db",                   // truncated percent-encoding
      "mysql://u@localhost/db?socket=%G0",      // bad percent-encoding
  };
  for (const char* text : bad) {
    absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(text);
    EXPECT_FALSE(url.ok()) << "accepted: " << text;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(url.status().message().find("MySQL URL: "), absl::string_view::npos) << text;
  }
}

TEST(MysqlUrlTest, ErrorsExplainWhatIsWrongAndNeverShowThePassword) {
  struct Case {
    const char* url;
    const char* says;
  };
  const Case cases[] = {
      {"mysql://u:s3cret@h/db", "missing :PORT"},
      {"mysql://u:s3cret@h:99999/db", "1..65535"},
      {"mysql://u:s3cret%zz@h:1/db", "percent-encoding in the password"},
      {"mysql://u:s3cret@h:1/x-y", "database name"},
      {"mysql://u:s3cret@h:1/db?s3cret=1", "unknown parameter"},
      {"postgres://u:s3cret@h:1/db", "must start with mysql://"},
  };
  for (const Case& c : cases) {
    const absl::Status status = MysqlUrl::Parse(c.url).status();
    EXPECT_NE(status.message().find(c.says), absl::string_view::npos) << c.url << ": " << status;
    EXPECT_EQ(status.message().find("s3cret"), absl::string_view::npos) << status;
  }
}

TEST(MysqlUrlTest, RedactedHidesThePassword) {
  EXPECT_EQ(MustParse("mysql://u:s3cret@h:1/db").Redacted(), "mysql://u:***@h:1/db");
  EXPECT_EQ(MustParse("mysql://u@h:1/db").Redacted(), "mysql://u@h:1/db");
  EXPECT_EQ(MustParse("mysql://u@[::1]:1/db").Redacted(), "mysql://u@[::1]:1/db");
  EXPECT_EQ(MustParse("mysql://u:p@localhost/db?socket=/s.sock").Redacted(),
            "mysql://u:***@localhost/db?socket=/s.sock");
}

TEST(MysqlUrlTest, WithDatabaseKeepsEverythingElse) {
  const MysqlUrl url = MustParse("mysql://u:p@h:7/one").WithDatabase("two");
  EXPECT_EQ(url.database, "two");
  EXPECT_EQ(url.user, "u");
  EXPECT_EQ(url.password, "p");
  EXPECT_EQ(url.port, 7);
  EXPECT_TRUE(MysqlUrl::IsValidDatabaseName("citecheck_t_0123456789abcdef"));
  EXPECT_FALSE(MysqlUrl::IsValidDatabaseName(std::string(65, 'a')));
  EXPECT_FALSE(MysqlUrl::IsValidDatabaseName("a.b"));
}

}  // namespace
}  // namespace citecheck
