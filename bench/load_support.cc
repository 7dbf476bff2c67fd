#include "bench/load_support.h"

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/citecheck_client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "tests/integration/server_process.h"

namespace citecheck::bench {

std::shared_ptr<grpc::Channel> OwnConnection(const std::string& address) {
  static std::atomic<int> next_id{0};
  grpc::ChannelArguments arguments;
  // Channels with equal arguments share subchannels (connections) through the global pool.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt("citecheck.bench.connection", next_id++);
  arguments.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

void AddToken(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", "Bearer " + token);
}

LatencySummary Summarize(std::vector<absl::Duration> samples) {
  LatencySummary summary;
  summary.count = samples.size();
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  auto rank = [&samples](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::min(samples.size() - 1, index == 0 ? 0 : index - 1)];
  };
  summary.p50 = rank(0.5);
  summary.p90 = rank(0.9);
  summary.p99 = rank(0.99);
  summary.p999 = rank(0.999);
  summary.max = samples.back();
  return summary;
}

std::string Describe(const LatencySummary& summary) {
  auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  return absl::StrFormat("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p999 %.2f ms, max %.2f ms (%d)",
                         ms(summary.p50), ms(summary.p90), ms(summary.p99), ms(summary.p999),
                         ms(summary.max), summary.count);
}

int OpenFds(pid_t pid) {
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

int ThreadCount(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "Threads:")) continue;
    int threads = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &threads)) return threads;
  }
  return -1;
}

double Slope(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx == 0 ? 0 : sxy / sxx;
}

absl::StatusOr<std::string> LoadDatabaseUrl(const std::string& given,
                                            std::unique_ptr<BenchMariaDb>* db) {
  if (!given.empty()) return given;
  constexpr char kName[] = "citecheck_load";
  absl::StatusOr<std::unique_ptr<BenchMariaDb>> started = BenchMariaDb::Start();
  if (!started.ok()) return started.status();
  *db = *std::move(started);
  if (absl::Status created = (*db)->CreateUser(kName); !created.ok()) return created;
  absl::StatusOr<MysqlUrl> database = (*db)->CreateDatabase(kName, kName);
  if (!database.ok()) return database.status();
  return UrlText(*database);
}

absl::StatusOr<std::vector<std::string>> GrantedAccounts(const std::string& address,
                                                         const std::string& admin_key,
                                                         const std::string& prefix, int count,
                                                         int64_t credits) {
  client::ClientOptions options;
  options.server = address;
  options.admin_key = admin_key;
  client::CitecheckClient admin(options);
  const std::string run = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  std::vector<std::string> tokens;
  for (int i = 0; i < count; ++i) {
    tokens.push_back(absl::StrCat(prefix, "-", run, "-", i));
    v1::Balance balance;
    grpc::Status granted =
        admin.GrantCredits(tokens.back(), credits, absl::StrCat("order-", run, "-", i), &balance);
    if (!granted.ok()) {
      return absl::UnavailableError(absl::StrCat("granting credits: ", granted.error_message()));
    }
  }
  return tokens;
}

}  // namespace citecheck::bench
