#include "tests/fake_openai/canned_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/fake_openai/answer.h"
#include "tests/fake_openai/protocol.h"

namespace citecheck::fake_openai {
namespace {

using Clock = std::chrono::steady_clock;

// Requests (headers and body) larger than this close the connection.
constexpr size_t kMaxRequestBytes = 16 << 20;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// The action fields the canned server honours; anything else in a script is refused.
bool CannedCanDo(const Action& action) {
  return action.hang_ms == 0 && !action.reset && !action.reset_empty && !action.malformed &&
         !action.garbage_answer && !action.out_of_range;
}

// One parsed request.
struct Request {
  std::string method;
  std::string path;
  std::string body;
  bool close = false;  // "Connection: close"
};

// Takes one complete request off the front of `in`; false when it is not complete yet. Sets
// *bad for a request that cannot be read (the connection is then closed).
bool TakeRequest(std::string* in, Request* request, bool* bad) {
  const size_t end = in->find("\r\n\r\n");
  if (end == std::string::npos) {
    *bad = in->size() > kMaxRequestBytes;
    return false;
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(*in).substr(0, end), "\r\n");
  std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  if (first.size() != 3) {
    *bad = true;
    return false;
  }
  size_t length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = absl::StripAsciiWhitespace(lines[i].substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      if (!absl::SimpleAtoi(value, &length) || length > kMaxRequestBytes) {
        *bad = true;
        return false;
      }
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      *bad = true;  // chunked bodies are not served
      return false;
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      request->close = absl::EqualsIgnoreCase(value, "close");
    }
  }
  if (in->size() < end + 4 + length) return false;
  request->method = std::string(first[0]);
  request->path = std::string(first[1]);
  request->body = in->substr(end + 4, length);
  in->erase(0, end + 4 + length);
  return true;
}

}  // namespace

struct CannedServer::Impl {
  struct Connection {
    int fd = -1;
    std::string in;
    std::string out;
    bool busy = false;         // a request is waiting for its timer
    bool close_after = false;  // close once `out` is written
  };

  // A completion request waiting for its latency.
  struct Pending {
    Clock::time_point due;
    uint64_t serial = 0;  // ties in due order
    int fd = -1;
    uint64_t connection = 0;  // Connection generation, so a reused fd is not answered
    Api api = Api::kChat;
    CompletionRequest request;
    Action action;
    int64_t id = 0;
    bool operator>(const Pending& other) const {
      return due != other.due ? due > other.due : serial > other.serial;
    }
  };

  explicit Impl(const Options& options)
      : options(options), default_latency_ms(options.default_latency_ms) {}

  void Loop();
  void Accept();
  void Read(int fd);
  void Write(int fd);
  void Close(int fd);
  void Serve(int fd);
  void Handle(int fd, const Request& request);
  void Answer(const Pending& pending);
  void Respond(int fd, int status, const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers = {});

  const Options options;
  int listen_fd = -1;
  int epoll_fd = -1;
  int stop_fd = -1;
  int port = -1;
  std::thread thread;
  std::once_flag stop_once;

  // Touched by the serving thread only.
  std::map<int, Connection> connections;
  std::map<int, uint64_t> generations;  // by fd
  uint64_t next_generation = 1;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> timers;
  uint64_t next_serial = 0;
  std::deque<Action> script;
  int default_latency_ms;
  int64_t requests = 0;
  int64_t next_id = 0;
  int in_flight = 0;
  int max_concurrency = 0;
};

void CannedServer::Impl::Loop() {
  std::vector<epoll_event> events(256);
  while (true) {
    int timeout_ms = -1;
    if (!timers.empty()) {
      const auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(timers.top().due - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, wait.count()));
    }
    const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd) return;
      if (fd == listen_fd) {
        Accept();
        continue;
      }
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        Close(fd);
        continue;
      }
      if (events[i].events & EPOLLOUT) Write(fd);
      if (events[i].events & EPOLLIN) Read(fd);
    }
    const Clock::time_point now = Clock::now();
    while (!timers.empty() && timers.top().due <= now) {
      Pending pending = timers.top();
      timers.pop();
      Answer(pending);
    }
  }
}

void CannedServer::Impl::Accept() {
  while (true) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event event = {};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    connections[fd].fd = fd;
    generations[fd] = next_generation++;
  }
}

void CannedServer::Impl::Read(int fd) {
  auto it = connections.find(fd);
  if (it == connections.end()) return;
  char buffer[16384];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      it->second.in.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(fd);
      return;
    }
    if (errno == EINTR) continue;
    break;
  }
  Serve(fd);
}

void CannedServer::Impl::Serve(int fd) {
  auto it = connections.find(fd);
  if (it == connections.end() || it->second.busy) return;
  Request request;
  bool bad = false;
  if (TakeRequest(&it->second.in, &request, &bad)) {
    it->second.close_after = request.close;
    Handle(fd, request);
  } else if (bad) {
    Close(fd);
  }
}

void CannedServer::Impl::Write(int fd) {
  auto it = connections.find(fd);
  if (it == connections.end()) return;
  Connection& connection = it->second;
  while (!connection.out.empty()) {
    const ssize_t n = send(fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(fd);
      return;
    }
    connection.out.erase(0, static_cast<size_t>(n));
  }
  epoll_event event = {};
  event.events = connection.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT);
  event.data.fd = fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
  if (connection.out.empty() && connection.close_after && !connection.busy) Close(fd);
}

void CannedServer::Impl::Close(int fd) {
  if (connections.erase(fd) == 0) return;
  generations.erase(fd);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

void CannedServer::Impl::Respond(int fd, int status, const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  auto it = connections.find(fd);
  if (it == connections.end()) return;
  std::string& out = it->second.out;
  absl::StrAppend(&out, "HTTP/1.1 ", status, " ", ReasonPhrase(status),
                  "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  absl::StrAppend(&out, it->second.close_after ? "Connection: close\r\n" : "", "\r\n", body);
  Write(fd);
  if (connections.count(fd) > 0) Serve(fd);  // a request that arrived meanwhile
}

void CannedServer::Impl::Handle(int fd, const Request& request) {
  const bool chat = request.path == "/v1/chat/completions";
  if (request.method == "POST" && (chat || request.path == "/v1/responses")) {
    Pending pending;
    pending.api = chat ? Api::kChat : Api::kResponses;
    pending.request = ReadCompletionRequest(pending.api, request.body);
    pending.fd = fd;
    pending.connection = generations[fd];
    if (!script.empty()) {
      pending.action = std::move(script.front());
      script.pop_front();
    }
    ++requests;
    pending.id = ++next_id;
    ++in_flight;
    max_concurrency = std::max(max_concurrency, in_flight);
    const int latency_ms = pending.action.latency_ms.value_or(default_latency_ms);
    pending.due = Clock::now() + std::chrono::milliseconds(latency_ms);
    pending.serial = next_serial++;
    connections[fd].busy = true;
    if (latency_ms == 0) {
      Answer(pending);
    } else {
      timers.push(std::move(pending));
    }
    return;
  }
  std::string error;
  if (request.method == "POST" && request.path == "/control/script") {
    std::vector<Action> parsed;
    if (!ParseScriptBody(request.body, &parsed, &error)) {
      return Respond(fd, 400, ControlErrorBody(error));
    }
    for (const Action& action : parsed) {
      if (!CannedCanDo(action)) {
        return Respond(fd, 400,
                       ControlErrorBody("canned mode: actions may only set latency_ms, status, "
                                        "error_code, headers and omit"));
      }
    }
    for (Action& action : parsed) script.push_back(std::move(action));
    return Respond(fd, 200, QueuedBody(script.size()));
  }
  if (request.method == "POST" && request.path == "/control/default") {
    int latency_ms = 0;
    if (!ParseDefaultBody(request.body, &latency_ms, &error)) {
      return Respond(fd, 400, ControlErrorBody(error));
    }
    default_latency_ms = latency_ms;
    return Respond(fd, 200, "{\"ok\":true}");
  }
  if (request.method == "POST" && request.path == "/control/reset") {
    script.clear();
    requests = 0;
    max_concurrency = in_flight;
    default_latency_ms = options.default_latency_ms;
    return Respond(fd, 200, "{\"ok\":true}");
  }
  if (request.method == "GET" && request.path == "/control/stats") {
    return Respond(
        fd, 200,
        absl::StrCat("{\"requests\":", requests, ",\"in_flight\":", in_flight,
                     ",\"max_concurrency\":", max_concurrency, ",\"queued\":", script.size(),
                     ",\"default_latency_ms\":", default_latency_ms, ",\"log\":[]}"));
  }
  Respond(fd, 404,
          ControlErrorBody(absl::StrCat("no route for ", request.method, " ", request.path)));
}

void CannedServer::Impl::Answer(const Pending& pending) {
  --in_flight;
  auto generation = generations.find(pending.fd);
  if (generation == generations.end() || generation->second != pending.connection) return;
  connections[pending.fd].busy = false;
  const Action& action = pending.action;
  if (action.status.has_value()) {
    return Respond(pending.fd, *action.status, ErrorBody("fake error", "fake", action.error_code),
                   action.headers);
  }
  if (!pending.request.valid) {
    return Respond(
        pending.fd, 400,
        ErrorBody("the request body is not a JSON object", "invalid_request_error", std::nullopt),
        action.headers);
  }
  const v1::Style style = StyleFromPrompt(pending.request.system);
  const std::string text =
      IsInlineMessage(pending.request.user)
          ? RenderInlineAnswer(style, ParseInlineMessage(pending.request.user), action.omit, false)
          : RenderValidAnswer(style, ParseNumberedCitations(pending.request.user), action.omit);
  Respond(pending.fd, 200, AnswerBody(pending.api, pending.id, pending.request, text),
          action.headers);
}

// ---- CannedServer ------------------------------------------------------------------------------

CannedServer::CannedServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CannedServer::~CannedServer() { Stop(); }

std::unique_ptr<CannedServer> CannedServer::Start(const Options& options, std::string* error) {
  std::signal(SIGPIPE, SIG_IGN);
  auto impl = std::make_unique<Impl>(options);
  impl->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(impl->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  socklen_t size = sizeof(address);
  if (impl->listen_fd < 0 || inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1 ||
      bind(impl->listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(impl->listen_fd, 1024) != 0 ||
      getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    *error = absl::StrCat("cannot listen on ", options.host, ":", options.port);
    if (impl->listen_fd >= 0) close(impl->listen_fd);
    return nullptr;
  }
  impl->port = ntohs(address.sin_port);
  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (int fd : {impl->listen_fd, impl->stop_fd}) {
    epoll_event event = {};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  Impl* state = impl.get();
  impl->thread = std::thread([state] { state->Loop(); });
  return std::unique_ptr<CannedServer>(new CannedServer(std::move(impl)));
}

int CannedServer::port() const { return impl_->port; }

std::string CannedServer::address() const {
  return absl::StrCat(impl_->options.host, ":", impl_->port);
}

void CannedServer::Stop() {
  std::call_once(impl_->stop_once, [this] {
    const uint64_t one = 1;
    ssize_t ignored = write(impl_->stop_fd, &one, sizeof(one));
    (void)ignored;
    impl_->thread.join();
    for (const auto& [fd, connection] : impl_->connections) close(fd);
    impl_->connections.clear();
    close(impl_->listen_fd);
    close(impl_->stop_fd);
    close(impl_->epoll_fd);
  });
}

}  // namespace citecheck::fake_openai
