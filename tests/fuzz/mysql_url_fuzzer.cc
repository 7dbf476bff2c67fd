// Fuzzes the --mysql_url flag's parser (mysql_url.h MysqlUrl::Parse).
//
// Properties:
//   - a parsed URL is one of the two documented forms: a non-empty user, a host (name, IPv4 or
//     IPv6 characters only), a valid database name, and either a port in 1..65535 and no
//     socket, or a socket with host localhost and no port;
//   - it survives a round trip: written back with every user, password and socket byte
//     percent-encoded, it parses to the same fields;
//   - the redacted form never shows the password: "***" stands in for it exactly when there
//     is one, and nothing of it follows the user.

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/storage/mysql_url.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

std::string PercentEncodeAll(absl::string_view text) {
  std::string encoded;
  for (char c : text) absl::StrAppendFormat(&encoded, "%%%02X", static_cast<unsigned char>(c));
  return encoded;
}

std::string Rewritten(const MysqlUrl& url) {
  std::string text = absl::StrCat("mysql://", PercentEncodeAll(url.user));
  if (!url.password.empty()) absl::StrAppend(&text, ":", PercentEncodeAll(url.password));
  const bool ipv6 = absl::StrContains(url.host, ':');
  absl::StrAppend(&text, "@", ipv6 ? "[" : "", url.host, ipv6 ? "]" : "");
  if (!url.is_socket()) absl::StrAppend(&text, ":", url.port);
  absl::StrAppend(&text, "/", url.database);
  if (url.is_socket()) absl::StrAppend(&text, "?socket=", PercentEncodeAll(url.socket));
  return text;
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view input = AsText(data, size);
  const absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(input);
  if (!url.ok()) {
    FUZZ_CHECK(url.status().code() == absl::StatusCode::kInvalidArgument, Printable(input));
    return 0;
  }
  FUZZ_CHECK(!url->user.empty() && !url->host.empty(), Printable(input));
  for (char c : url->host) {
    FUZZ_CHECK(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                   c == '_' || c == ':',
               Printable(input));
  }
  FUZZ_CHECK(MysqlUrl::IsValidDatabaseName(url->database), Printable(input));
  if (url->is_socket()) {
    FUZZ_CHECK(url->host == "localhost" && url->port == 0, Printable(input));
  } else {
    FUZZ_CHECK(url->port >= 1 && url->port <= 65535, Printable(input));
  }

  const std::string rewritten = Rewritten(*url);
  const absl::StatusOr<MysqlUrl> again = MysqlUrl::Parse(rewritten);
  FUZZ_CHECK(again.ok(), absl::StrCat(again.status().ToString(), " for ", Printable(rewritten),
                                      " from ", Printable(input)));
  FUZZ_CHECK(again->user == url->user && again->password == url->password &&
                 again->host == url->host && again->port == url->port &&
                 again->socket == url->socket && again->database == url->database,
             absl::StrCat(Printable(rewritten), " from ", Printable(input)));

  const std::string redacted = url->Redacted();
  const std::string after_user = absl::StrCat("mysql://", url->user);
  FUZZ_CHECK(absl::StartsWith(redacted, after_user), Printable(input));
  const absl::string_view rest = absl::string_view(redacted).substr(after_user.size());
  if (url->password.empty()) {
    FUZZ_CHECK(absl::StartsWith(rest, "@"), Printable(input));
  } else {
    FUZZ_CHECK(absl::StartsWith(rest, ":***@"), Printable(input));
  }
  return 0;
}
