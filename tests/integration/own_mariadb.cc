#include "tests/integration/own_mariadb.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#ifndef CITECHECK_MARIADB_SCRIPT
#error "CITECHECK_MARIADB_SCRIPT must name deploy/mariadb.sh"
#endif

namespace citecheck::testing {

std::string ShellQuote(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

int RunShell(const std::string& command, std::string* out) {
  out->clear();
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::unique_ptr<OwnMariaDb> OwnMariaDb::Start() {
  char dir_template[] = "/tmp/citecheck-own-mariadb.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return nullptr;
  }
  auto db = std::unique_ptr<OwnMariaDb>(new OwnMariaDb(dir_template));
  std::string out;
  if (RunShell(db->Script("start"), &out) != 0) {
    ADD_FAILURE() << "deploy/mariadb.sh start failed: " << out;
    return nullptr;
  }
  db->url_text_ = std::string(absl::StripAsciiWhitespace(out));
  absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(db->url_text_);
  if (!url.ok()) {
    ADD_FAILURE() << "unexpected URL from deploy/mariadb.sh: " << db->url_text_;
    return nullptr;
  }
  db->url_ = *url;
  return db;
}

OwnMariaDb::~OwnMariaDb() {
  std::string out;
  if (RunShell(Script("stop"), &out) != 0) ADD_FAILURE() << "deploy/mariadb.sh stop failed";
  rmdir(dir_.c_str());
}

std::string OwnMariaDb::Script(const std::string& verb) const {
  return absl::StrCat(ShellQuote(CITECHECK_MARIADB_SCRIPT), " ", verb, " ", ShellQuote(dir_));
}

bool OwnMariaDb::Restart() {
  std::string out;
  const int code = RunShell(Script("restart"), &out);
  const bool same_url = std::string(absl::StripAsciiWhitespace(out)) == url_text_;
  EXPECT_TRUE(same_url) << "restart printed " << out << ", not " << url_text_;
  return code == 0 && same_url;
}

bool OwnMariaDb::StopKeepingData() {
  // The server's pid, from the state file deploy/mariadb.sh keeps (MARIADB_PID=...).
  std::ifstream env(dir_ + "/env");
  std::string line;
  pid_t pid = 0;
  while (std::getline(env, line)) {
    absl::string_view value = line;
    if (absl::ConsumePrefix(&value, "MARIADB_PID=")) {
      int parsed = 0;
      if (absl::SimpleAtoi(value, &parsed)) pid = parsed;
    }
  }
  if (pid <= 0 || kill(pid, SIGTERM) != 0) {
    ADD_FAILURE() << "no running MariaDB in " << dir_;
    return false;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (kill(pid, 0) != 0) return true;  // gone (not our child: deploy/mariadb.sh detached it)
    absl::SleepFor(absl::Milliseconds(20));
  }
  ADD_FAILURE() << "MariaDB " << pid << " still runs 30 s after SIGTERM";
  return false;
}

}  // namespace citecheck::testing
