#include "server/storage/mysql_url.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace citecheck {
namespace {

constexpr absl::string_view kForms =
    "expected mysql://USER[:PASSWORD]@HOST:PORT/DATABASE or "
    "mysql://USER[:PASSWORD]@localhost/DATABASE?socket=PATH";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("MySQL URL: ", what, " (", kForms, ")"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool IsHostChar(char c) { return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_'; }

}  // namespace

bool MysqlUrl::IsValidDatabaseName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '$') return false;
  }
  return true;
}

absl::StatusOr<MysqlUrl> MysqlUrl::Parse(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::StartsWithIgnoreCase(rest, "mysql://")) return Invalid("must start with mysql://");
  rest.remove_prefix(8);

  // The query: only socket=PATH.
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }

  // USERINFO@HOST[:PORT]/DATABASE; the last '@' ends the user info, so a password may hold an
  // unencoded '@' or '/'.
  const size_t at = rest.rfind('@');
  if (at == absl::string_view::npos) return Invalid("missing USER@ before the host");
  const absl::string_view userinfo = rest.substr(0, at);
  const absl::string_view hostpath = rest.substr(at + 1);

  MysqlUrl out;
  const size_t colon = userinfo.find(':');
  std::optional<std::string> user = PercentDecode(userinfo.substr(0, colon));
  if (!user.has_value()) return Invalid("bad percent-encoding in the user name");
  if (user->empty()) return Invalid("empty user name");
  out.user = std::move(*user);
  if (colon != absl::string_view::npos) {
    std::optional<std::string> password = PercentDecode(userinfo.substr(colon + 1));
    if (!password.has_value()) return Invalid("bad percent-encoding in the password");
    out.password = std::move(*password);
  }

  const size_t slash = hostpath.find('/');
  if (slash == absl::string_view::npos) return Invalid("missing /DATABASE after the host");
  absl::string_view hostport = hostpath.substr(0, slash);
  const absl::string_view database = hostpath.substr(slash + 1);
  if (database.empty()) return Invalid("missing database name");
  if (!IsValidDatabaseName(database)) {
    return Invalid("the database name must be 1-64 characters of [A-Za-z0-9_$]");
  }
  out.database = std::string(database);

  absl::string_view port_text;
  bool has_port = false;
  if (absl::StartsWith(hostport, "[")) {
    const size_t close = hostport.find(']');
    if (close == absl::string_view::npos) return Invalid("unterminated [IPv6] host");
    out.host = std::string(hostport.substr(1, close - 1));
    absl::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid("junk after the [IPv6] host");
      port_text = after.substr(1);
      has_port = true;
    }
    for (char c : out.host) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return Invalid("bad IPv6 host");
    }
  } else {
    const size_t port_colon = hostport.find(':');
    out.host = std::string(hostport.substr(0, port_colon));
    if (port_colon != absl::string_view::npos) {
      port_text = hostport.substr(port_colon + 1);
      has_port = true;
    }
    for (char c : out.host) {
      if (!IsHostChar(c)) return Invalid("bad character in the host");
    }
  }
  if (out.host.empty()) return Invalid("empty host");
  if (has_port) {
    int port = 0;
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(),
                                    [](char c) { return absl::ascii_isdigit(c); });
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return Invalid("the port must be a number in 1..65535");
    }
    out.port = port;
  }

  if (!query.empty()) {
    for (absl::string_view param : absl::StrSplit(query, '&')) {
      if (param.empty()) continue;
      const size_t eq = param.find('=');
      const absl::string_view key = param.substr(0, eq);
      if (key != "socket") return Invalid("unknown parameter (only socket=PATH is supported)");
      if (eq == absl::string_view::npos) return Invalid("socket= needs a path");
      std::optional<std::string> path = PercentDecode(param.substr(eq + 1));
      if (!path.has_value()) return Invalid("bad percent-encoding in the socket path");
      if (path->empty()) return Invalid("empty socket path");
      out.socket = std::move(*path);
    }
  }

  if (out.is_socket()) {
    if (out.host != "localhost") return Invalid("a socket URL must name the host localhost");
    if (has_port) return Invalid("a socket URL takes no port");
  } else if (!has_port) {
    return Invalid("missing :PORT after the host (or ?socket=PATH with host localhost)");
  }
  return out;
}

std::string MysqlUrl::Redacted() const {
  std::string host_part = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  std::string out = absl::StrCat("mysql://", user, password.empty() ? "" : ":***", "@", host_part);
  if (!is_socket()) absl::StrAppend(&out, ":", port);
  absl::StrAppend(&out, "/", database);
  if (is_socket()) absl::StrAppend(&out, "?socket=", socket);
  return out;
}

MysqlUrl MysqlUrl::WithDatabase(absl::string_view database) const {
  MysqlUrl copy = *this;
  copy.database = std::string(database);
  return copy;
}

}  // namespace citecheck
