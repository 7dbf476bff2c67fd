#ifndef CITECHECK_TESTS_INTEGRATION_OWN_MARIADB_H_
#define CITECHECK_TESTS_INTEGRATION_OWN_MARIADB_H_

#include <memory>
#include <string>

#include "server/storage/mysql_url.h"

namespace citecheck::testing {

// Single quotes for /bin/sh.
std::string ShellQuote(const std::string& s);

// Runs `command` with /bin/sh; returns its exit code (-1 when it did not exit) and its stdout in
// *out (stderr passes through to the test's output).
int RunShell(const std::string& command, std::string* out);

// A private MariaDB (deploy/mariadb.sh start in a temporary directory, not the shared ctest
// fixture "mariadb") for a test that restarts or stops the database, so that it disturbs no
// other test. Stopped, and its data deleted, on destruction. Not thread-safe.
class OwnMariaDb {
 public:
  // ADD_FAILURE and nullptr when the server does not start.
  static std::unique_ptr<OwnMariaDb> Start();
  ~OwnMariaDb();

  // The database `citecheck` of this server, as a URL text and parsed.
  const std::string& url_text() const { return url_text_; }
  const MysqlUrl& url() const { return url_; }

  // Restarts the server on its data, port and socket (deploy/mariadb.sh restart); also starts
  // it again after StopKeepingData(). Returns whether it answers again on the same URL.
  bool Restart();
  // Stops the server (SIGTERM, waiting for its exit) keeping its data: the database is down
  // (connections refused) until Restart(). Returns whether it stopped.
  bool StopKeepingData();

 private:
  explicit OwnMariaDb(std::string dir) : dir_(std::move(dir)) {}
  std::string Script(const std::string& verb) const;

  std::string dir_;
  std::string url_text_;
  MysqlUrl url_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_OWN_MARIADB_H_
