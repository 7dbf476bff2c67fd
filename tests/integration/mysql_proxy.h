#ifndef CITECHECK_TESTS_INTEGRATION_MYSQL_PROXY_H_
#define CITECHECK_TESTS_INTEGRATION_MYSQL_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace citecheck::testing {

// A TCP proxy on a free loopback port between citecheck-server and MariaDB that reads the MySQL
// client/server protocol of every connection (plain: no TLS, no compression, as the connector
// speaks to a loopback MariaDB) to cut a connection right after a COMMIT took effect:
//
// CutAfterCommit(pattern, n) arms the next n COMMITs (COM_QUERY, byte 0x03, "COMMIT") of
// transactions that ran a statement whose SQL text contains `pattern` (text queries, and
// prepared statements by their COM_STMT_PREPARE text; several patterns may be armed at once,
// each with its own count): the COMMIT is forwarded, MariaDB's answer
// (the OK: the transaction is committed) is read and thrown away, and both sides of the
// connection are closed. The client sees its connection lost during COMMIT: the outcome is
// unknown to it, and its rerun of the transaction must change nothing. FailCommit(pattern, n)
// makes such COMMITs fail instead (not forwarded: the transaction rolls back).
//
// Thread-safe. Threads: one accepting, two per connection.
class MysqlProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to upstream_host:upstream_port. nullptr
  // (and a test failure) when it cannot listen.
  static std::unique_ptr<MysqlProxy> Start(const std::string& upstream_host, int upstream_port);
  ~MysqlProxy();  // closes everything and joins its threads

  int port() const { return port_; }

  // Arms `times` more cuts for `pattern` (added to what is armed for it).
  void CutAfterCommit(const std::string& pattern, int times);
  // Arms `times` COMMITs of transactions that ran `pattern` to fail: the COMMIT is not
  // forwarded and both sides of the connection are closed, so MariaDB rolls the transaction
  // back and the client sees its connection lost during COMMIT. Counted by failed().
  void FailCommit(const std::string& pattern, int times);
  int failed(const std::string& pattern) const;
  // COMMITs cut so far (each after MariaDB acknowledged it), in all and for `pattern`.
  int cuts() const { return cuts_.load(); }
  int cuts(const std::string& pattern) const;
  // COMMITs armed for `pattern` and not cut yet.
  int armed(const std::string& pattern) const;
  // COMMITs forwarded so far (cut ones included).
  int commits() const { return commits_.load(); }

 private:
  struct Connection;

  MysqlProxy() = default;
  void AcceptLoop();
  void ClientToServer(std::shared_ptr<Connection> connection);
  void ServerToClient(std::shared_ptr<Connection> connection);
  // What to do with the COMMIT of a transaction that ran `statements`.
  struct CommitFate {
    std::string cut_for;  // cut after MariaDB's OK, for this pattern ("" = not)
    bool fail = false;    // not forwarded at all (FailCommit)
  };
  CommitFate TakeCut(const std::vector<std::string>& statements);
  // Counts a cut made for `pattern`.
  void CountCut(const std::string& pattern);

  int listen_fd_ = -1;
  int port_ = 0;
  std::string upstream_host_;
  int upstream_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_{0};
  std::atomic<int> commits_{0};
  std::thread acceptor_;

  mutable absl::Mutex mu_;
  struct Armed {
    std::string pattern;
    bool fail = false;  // FailCommit rather than CutAfterCommit
    int remaining = 0;
    int cut = 0;
  };
  std::vector<Armed> armed_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_MYSQL_PROXY_H_
