#include "tests/integration/mysql_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace citecheck::testing {
namespace {

// MySQL command bytes (the first payload byte of a packet with sequence id 0).
constexpr uint8_t kComQuery = 0x03;
constexpr uint8_t kComStmtPrepare = 0x16;
constexpr uint8_t kComStmtExecute = 0x17;
constexpr uint8_t kComStmtClose = 0x19;

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

// Takes the complete packets off the front of `buffer`: {sequence id, payload} each.
std::vector<std::pair<uint8_t, std::string>> TakePackets(std::string& buffer, std::string* raw) {
  std::vector<std::pair<uint8_t, std::string>> packets;
  size_t at = 0;
  while (buffer.size() - at >= 4) {
    const auto* header = reinterpret_cast<const uint8_t*>(buffer.data() + at);
    const size_t length = header[0] | (header[1] << 8) | (header[2] << 16);
    if (buffer.size() - at < 4 + length) break;
    packets.emplace_back(header[3], buffer.substr(at + 4, length));
    at += 4 + length;
  }
  raw->assign(buffer, 0, at);
  buffer.erase(0, at);
  return packets;
}

uint32_t ReadUint32(const std::string& bytes, size_t at) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

// One proxied connection: what its client prepared and ran in the open transaction.
struct MysqlProxy::Connection {
  Connection(int client, int server) : client_fd(client), server_fd(server) {}
  ~Connection() {
    close(client_fd);
    close(server_fd);
  }
  void ShutDown() {
    shutdown(client_fd, SHUT_RDWR);
    shutdown(server_fd, SHUT_RDWR);
  }

  const int client_fd;
  const int server_fd;
  absl::Mutex mu;
  std::map<uint32_t, std::string> prepared ABSL_GUARDED_BY(mu);  // statement id -> SQL
  std::optional<std::string> preparing ABSL_GUARDED_BY(mu);      // awaiting its statement id
  std::vector<std::string> transaction ABSL_GUARDED_BY(mu);      // SQL run since the last end
  // A COMMIT to cut (for this pattern) was forwarded: its answer is not.
  std::string cut_for ABSL_GUARDED_BY(mu);
};

std::unique_ptr<MysqlProxy> MysqlProxy::Start(const std::string& upstream_host, int upstream_port) {
  std::unique_ptr<MysqlProxy> proxy(new MysqlProxy());
  proxy->upstream_host_ = upstream_host;
  proxy->upstream_port_ = upstream_port;
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (proxy->listen_fd_ < 0 ||
      bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(proxy->listen_fd_, 128) != 0 ||
      getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "the MySQL proxy cannot listen: " << strerror(errno);
    return nullptr;
  }
  proxy->port_ = ntohs(address.sin_port);
  MysqlProxy* raw = proxy.get();
  proxy->acceptor_ = std::thread([raw] { raw->AcceptLoop(); });
  return proxy;
}

MysqlProxy::~MysqlProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& connection : connections_) connection->ShutDown();
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

void MysqlProxy::CutAfterCommit(const std::string& pattern, int times) {
  absl::MutexLock lock(&mu_);
  for (Armed& armed : armed_) {
    if (armed.pattern == pattern && !armed.fail) {
      armed.remaining += times;
      return;
    }
  }
  armed_.push_back({pattern, false, times, 0});
}

void MysqlProxy::FailCommit(const std::string& pattern, int times) {
  absl::MutexLock lock(&mu_);
  for (Armed& armed : armed_) {
    if (armed.pattern == pattern && armed.fail) {
      armed.remaining += times;
      return;
    }
  }
  armed_.push_back({pattern, true, times, 0});
}

int MysqlProxy::armed(const std::string& pattern) const {
  absl::MutexLock lock(&mu_);
  int remaining = 0;
  for (const Armed& armed : armed_) {
    if (armed.pattern == pattern) remaining += armed.remaining;
  }
  return remaining;
}

int MysqlProxy::cuts(const std::string& pattern) const {
  absl::MutexLock lock(&mu_);
  for (const Armed& armed : armed_) {
    if (armed.pattern == pattern && !armed.fail) return armed.cut;
  }
  return 0;
}

int MysqlProxy::failed(const std::string& pattern) const {
  absl::MutexLock lock(&mu_);
  for (const Armed& armed : armed_) {
    if (armed.pattern == pattern && armed.fail) return armed.cut;
  }
  return 0;
}

MysqlProxy::CommitFate MysqlProxy::TakeCut(const std::vector<std::string>& statements) {
  absl::MutexLock lock(&mu_);
  for (Armed& armed : armed_) {
    if (armed.remaining <= 0) continue;
    for (const std::string& sql : statements) {
      if (absl::StrContains(sql, armed.pattern)) {
        --armed.remaining;
        if (!armed.fail) return {armed.pattern, false};
        ++armed.cut;
        return {"", true};
      }
    }
  }
  return {};
}

void MysqlProxy::CountCut(const std::string& pattern) {
  ++cuts_;
  absl::MutexLock lock(&mu_);
  for (Armed& armed : armed_) {
    if (armed.pattern == pattern && !armed.fail) ++armed.cut;
  }
}

void MysqlProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd ready = {listen_fd_, POLLIN, 0};
    if (poll(&ready, 1, 100) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in upstream = {};
    upstream.sin_family = AF_INET;
    upstream.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    inet_pton(AF_INET, upstream_host_.c_str(), &upstream.sin_addr);
    if (server < 0 ||
        connect(server, reinterpret_cast<sockaddr*>(&upstream), sizeof(upstream)) != 0) {
      close(client);
      if (server >= 0) close(server);
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto connection = std::make_shared<Connection>(client, server);
    absl::MutexLock lock(&mu_);
    connections_.push_back(connection);
    threads_.emplace_back([this, connection] { ClientToServer(connection); });
    threads_.emplace_back([this, connection] { ServerToClient(connection); });
  }
}

void MysqlProxy::ClientToServer(std::shared_ptr<Connection> connection) {
  std::string buffer;
  char chunk[16384];
  while (true) {
    const ssize_t n = recv(connection->client_fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    std::string raw;
    bool forwarded = true;
    bool fail_commit = false;
    for (auto& [sequence, payload] : TakePackets(buffer, &raw)) {
      // Commands open a new exchange (sequence id 0); the handshake's packets do not.
      if (sequence != 0 || payload.empty()) continue;
      const auto command = static_cast<uint8_t>(payload[0]);
      const std::string text = payload.substr(1);
      absl::MutexLock lock(&connection->mu);
      if (command == kComQuery) {
        const std::string word = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
        if (word == "COMMIT") {
          ++commits_;
          const CommitFate fate = TakeCut(connection->transaction);
          connection->cut_for = fate.cut_for;
          connection->transaction.clear();
          if (fate.fail) {
            fail_commit = true;
            break;
          }
        } else if (word == "ROLLBACK") {
          connection->transaction.clear();
        } else {
          connection->transaction.push_back(text);
        }
      } else if (command == kComStmtPrepare) {
        connection->preparing = text;
      } else if (command == kComStmtExecute && payload.size() >= 5) {
        auto it = connection->prepared.find(ReadUint32(payload, 1));
        if (it != connection->prepared.end()) connection->transaction.push_back(it->second);
      } else if (command == kComStmtClose && payload.size() >= 5) {
        connection->prepared.erase(ReadUint32(payload, 1));
      }
    }
    // A failed COMMIT is the last packet of its batch (the client waits for its answer).
    if (fail_commit) break;
    if (!raw.empty()) forwarded = SendAll(connection->server_fd, raw.data(), raw.size());
    if (!forwarded) break;
  }
  connection->ShutDown();
}

void MysqlProxy::ServerToClient(std::shared_ptr<Connection> connection) {
  std::string buffer;
  char chunk[16384];
  while (true) {
    const ssize_t n = recv(connection->server_fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    std::string raw;
    std::vector<std::pair<uint8_t, std::string>> packets = TakePackets(buffer, &raw);
    bool committed = false;
    {
      absl::MutexLock lock(&connection->mu);
      for (const auto& [sequence, payload] : packets) {
        if (!connection->cut_for.empty()) {
          // The answer to the armed COMMIT: 0x00 = OK, the transaction is committed.
          committed = !payload.empty() && static_cast<uint8_t>(payload[0]) == 0x00;
          break;
        }
        if (connection->preparing.has_value() && !payload.empty()) {
          if (static_cast<uint8_t>(payload[0]) == 0x00 && payload.size() >= 5) {
            connection->prepared[ReadUint32(payload, 1)] = *connection->preparing;
          }
          connection->preparing.reset();
        }
      }
      if (!connection->cut_for.empty() && !packets.empty()) {
        if (committed) CountCut(connection->cut_for);
        connection->cut_for.clear();
        // Nothing of the answer reaches the client: the connection dies under its COMMIT.
        break;
      }
    }
    if (!raw.empty() && !SendAll(connection->client_fd, raw.data(), raw.size())) break;
  }
  connection->ShutDown();
}

}  // namespace citecheck::testing
