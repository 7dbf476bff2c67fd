#ifndef CITECHECK_SERVER_STORAGE_MYSQL_URL_H_
#define CITECHECK_SERVER_STORAGE_MYSQL_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace citecheck {

// Where a MySQL/MariaDB database is and how to log in, parsed from one of:
//   mysql://USER[:PASSWORD]@HOST:PORT/DATABASE              TCP (the port is required)
//   mysql://USER[:PASSWORD]@localhost/DATABASE?socket=PATH  Unix socket
// USER, PASSWORD and PATH are percent-decoded ("%40" for '@', "%3A" for ':', "%2F" for '/',
// "%25" for '%'). HOST is a name, an IPv4 address or a bracketed IPv6 address ("[::1]").
// DATABASE is 1-64 characters of [A-Za-z0-9_$] (it is used as an identifier, never quoted).
// A plain value: copyable, no I/O.
struct MysqlUrl {
  std::string user;
  std::string password;  // may be empty; never logged (see Redacted)
  std::string host;      // TCP: the host (IPv6 without brackets); socket: "localhost"
  int port = 0;          // TCP: 1..65535; socket: 0
  std::string socket;    // non-empty: connect through this Unix socket
  std::string database;

  bool is_socket() const { return !socket.empty(); }

  // Parses `url`. INVALID_ARGUMENT naming what is wrong (never echoing the password).
  static absl::StatusOr<MysqlUrl> Parse(absl::string_view url);

  // The URL with the password shown as "***": safe to log and to put in error messages.
  std::string Redacted() const;

  // A copy naming another database. REQUIRES: IsValidDatabaseName(database).
  MysqlUrl WithDatabase(absl::string_view database) const;

  // True for 1-64 characters of [A-Za-z0-9_$].
  static bool IsValidDatabaseName(absl::string_view name);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_MYSQL_URL_H_
