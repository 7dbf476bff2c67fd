#include "tests/integration/replica.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace citecheck::testing {

std::string MysqlUrlText(const MysqlUrl& url) {
  return absl::StrCat("mysql://", url.user, ":", url.password, "@", url.host, ":", url.port, "/",
                      url.database);
}

std::vector<std::string> ReplicaFlags(const std::string& mysql_url,
                                      const std::string& llm_base_url) {
  return {"--store=mysql",
          "--mysql_url=" + mysql_url,
          "--llm_base_url=" + llm_base_url,
          "--llm_model=fake-model",
          "--llm_max_attempts=2",
          "--citations_per_call=1",
          "--llm_max_inflight=4",
          "--heartbeat_interval=200ms",
          "--replica_dead_after=1500ms",
          "--watch_poll=100ms",
          "--watch_heartbeat=1s",
          "--shutdown_grace=5s",
          absl::StrCat("--admin_key=", kReplicaAdminKey)};
}

Replica::Replica(std::string name, std::vector<std::string> flags)
    : name_(std::move(name)), flags_(std::move(flags)) {}

Replica::~Replica() {
  Retire();
  if (!::testing::Test::HasFailure() || old_logs_.empty()) return;
  char path[] = "/tmp/citecheck-replica-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return;
  const std::string logs = Logs();
  const bool written = write(fd, logs.data(), logs.size()) == static_cast<ssize_t>(logs.size());
  close(fd);
  if (written) {
    std::cout << "[replica " << name_ << "] the logs of its " << incarnations_
              << " processes are kept in " << path << std::endl;
  }
}

void Replica::Retire() {
  if (process_ == nullptr) return;
  process_->process().Kill();
  old_logs_.push_back(process_->Log());
  process_.reset();
}

bool Replica::Launch() {
  Retire();
  std::vector<std::string> flags = flags_;
  flags.push_back("--replica_name=" + name_);
  process_ = ServerProcess::Start(flags, {"OPENAI_API_KEY=key-" + name_});
  ++incarnations_;
  if (process_ == nullptr) return false;
  address_ = process_->address();
  return true;
}

bool Replica::WaitServing(absl::Duration timeout) {
  if (process_ == nullptr) return false;
  if (!WaitUntil(timeout, [&] { return CheckHealth(address_) == Health::kServing; })) {
    ADD_FAILURE() << "replica " << name_ << " not SERVING within " << timeout << "; its log:\n"
                  << process_->Log();
    return false;
  }
  serving_at_ = absl::Now();
  return true;
}

bool Replica::Start(absl::Duration timeout) { return Launch() && WaitServing(timeout); }

void Replica::Kill() {
  if (process_ != nullptr) process_->process().Kill();
}

void Replica::Freeze() {
  if (process_ != nullptr) process_->process().Signal(SIGSTOP);
}

void Replica::Thaw() {
  if (process_ != nullptr) process_->process().Signal(SIGCONT);
}

void Replica::SendTerm() {
  if (process_ != nullptr) process_->process().Signal(SIGTERM);
}

std::optional<int> Replica::WaitExit(absl::Duration timeout) {
  if (process_ == nullptr) return -1;
  return process_->process().WaitExit(timeout);
}

int Replica::Terminate(absl::Duration timeout) {
  if (process_ == nullptr) return -1;
  return process_->Terminate(timeout);
}

bool Replica::running() { return process_ != nullptr && process_->process().Running(); }

std::unique_ptr<client::CitecheckClient> Replica::Client(client::ClientOptions options) const {
  return ClientOf(address_, std::move(options));
}

std::unique_ptr<client::CitecheckClient> Replica::Account(const std::string& token) const {
  client::ClientOptions options;
  options.token = token;
  return Client(options);
}

std::unique_ptr<client::CitecheckClient> Replica::Admin() const {
  client::ClientOptions options;
  options.admin_key = kReplicaAdminKey;
  return Client(options);
}

std::string Replica::Logs() const {
  std::string logs;
  for (const std::string& log : old_logs_) absl::StrAppend(&logs, log);
  if (process_ != nullptr) absl::StrAppend(&logs, process_->Log());
  return logs;
}

}  // namespace citecheck::testing
