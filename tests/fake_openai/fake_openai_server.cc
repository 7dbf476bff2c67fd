#include "tests/fake_openai/fake_openai_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/fake_openai/answer.h"
#include "tests/fake_openai/protocol.h"

namespace citecheck::fake_openai {
namespace {

constexpr char kGarbageAnswer[] = "I cannot help with that.";

// The control endpoints' error: {"error": message}.
void ControlError(httplib::Response& res, absl::string_view message) {
  res.status = 400;
  res.set_content(ControlErrorBody(message), kJson);
}

void ControlOk(httplib::Response& res) { res.set_content("{\"ok\":true}", kJson); }

// ---- sockets -----------------------------------------------------------------------------------

int PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return -1;
}

std::string HostOf(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof(text));
  } else if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
              sizeof(text));
  }
  return text;
}

// Calls visit(number, socket) for each connected socket of the process whose local port is
// `local_port` and, when remote_port >= 0, whose peer is remote_host:remote_port: `number` is the
// descriptor its owner (an httplib worker) uses, `socket` this scan's own duplicate of it, valid
// during the call. Found by listing /proc/self/fd.
//
// Other workers close their connections while the scan runs, and a closed number can at once be
// reused for another file. So the scan never inspects a number: it takes one duplicate of it
// (the kernel's dup is atomic against a concurrent close: the duplicate is whatever file the
// number named at that instant, or nothing) and inspects and acts on that duplicate alone. The
// duplicate's calls are raw system calls: ThreadSanitizer models descriptors by number and would
// report the dup racing with a worker's close, which is exactly the case the duplicate makes safe.
void ForEachServerConnection(int local_port, const std::string& remote_host, int remote_port,
                             const std::function<void(int number, int socket)>& visit) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long number = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || number == own) continue;
    const long socket = syscall(SYS_dup, number);
    if (socket < 0) continue;  // closed since the listing
    sockaddr_storage local = {};
    sockaddr_storage peer = {};
    socklen_t local_size = sizeof(local);
    socklen_t peer_size = sizeof(peer);
    // Both fail for anything but a connected socket (files, pipes, the listening socket).
    const bool connected =
        syscall(SYS_getsockname, socket, reinterpret_cast<sockaddr*>(&local), &local_size) == 0 &&
        syscall(SYS_getpeername, socket, reinterpret_cast<sockaddr*>(&peer), &peer_size) == 0;
    if (connected && PortOf(local) == local_port &&
        (remote_port < 0 || (PortOf(peer) == remote_port && HostOf(peer) == remote_host))) {
      visit(static_cast<int>(number), static_cast<int>(socket));
    }
    syscall(SYS_close, socket);
  }
  closedir(dir);
}

// The descriptor number of the connection from remote_host:remote_port, or -1 when there is not
// exactly one. Only the worker serving that connection may use the number (no one else closes it
// meanwhile).
int OwnConnection(int local_port, const std::string& remote_host, int remote_port) {
  int found = -1;
  int count = 0;
  ForEachServerConnection(local_port, remote_host, remote_port, [&](int number, int) {
    found = number;
    ++count;
  });
  return count == 1 ? found : -1;
}

// The bytes "reset" sends before aborting: a complete status line and nothing else. Clients
// (libcurl among them) silently re-send a request whose reused connection died before any
// response byte; with a full line received they report the error instead.
constexpr char kPartialResponse[] = "HTTP/1.1 200 OK\r\n";

// Aborts the connection on `fd` with a RST (after writing kPartialResponse unless `empty`) and
// leaves an unconnected socket at that number, so the owner's later writes fail and its close()
// is harmless. False when that fails.
bool AbortConnection(int fd, bool empty) {
  if (!empty) {
    const size_t size = sizeof(kPartialResponse) - 1;
    if (send(fd, kPartialResponse, size, MSG_NOSIGNAL) != static_cast<ssize_t>(size)) {
      return false;
    }
    // Lets the peer read the line before the RST arrives (it would anyway; this is belt and
    // braces against peers that check for errors before reading).
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  linger abort_on_close = {1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close)) != 0) {
    return false;
  }
  const int dummy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (dummy < 0) return false;
  const bool replaced = dup2(dummy, fd) == fd;  // closes the connection: RST, no FIN
  close(dummy);
  return replaced;
}

}  // namespace

// ---- the server --------------------------------------------------------------------------------

struct FakeOpenAiServer::Impl {
  explicit Impl(const Options& options)
      : options(options), default_latency_ms(options.default_latency_ms) {}

  // One logged completion request.
  struct LogEntry {
    std::string path;
    std::string model;
    std::string authorization;
    std::string kind;  // "references" or "inline"
    std::vector<std::string> citations;
    v1::Style style = v1::STYLE_APA7;
    int64_t received_ms = 0;
    std::string action;
    int64_t gone_ms = -1;  // when the client closed the connection before the answer
  };

  // Sleeps `ms` or until Stop() (then false), watching connection `fd` (-1: none): when the
  // client closes it meanwhile, `on_client_gone` is called once (the sleep goes on: a handler
  // keeps counting as in flight for its whole latency, as a slow upstream would).
  bool SleepWatching(int ms, int fd, const std::function<void()>& on_client_gone) {
    const absl::Time end = absl::Now() + absl::Milliseconds(ms);
    while (true) {
      {
        absl::MutexLock lock(&stop_mu);
        if (stopping) return false;
      }
      const absl::Duration left = end - absl::Now();
      if (left <= absl::ZeroDuration()) return true;
      const int step = static_cast<int>(
          std::min<int64_t>(10, std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
      if (fd < 0) {
        absl::SleepFor(absl::Milliseconds(step));
        continue;
      }
      pollfd watched = {fd, POLLRDHUP, 0};
      if (poll(&watched, 1, step) > 0 && (watched.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        on_client_gone();
        fd = -1;
      }
    }
  }

  void Route();
  void HandleCompletion(Api api, const httplib::Request& req, httplib::Response& res);
  void HandleScript(const httplib::Request& req, httplib::Response& res);
  void HandleRules(const httplib::Request& req, httplib::Response& res);
  void HandleDefault(const httplib::Request& req, httplib::Response& res);
  void HandleStats(httplib::Response& res);
  void HandleReset(httplib::Response& res);

  int64_t MillisSinceStart() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  }

  const Options options;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  httplib::Server server;
  int port = -1;
  std::thread listener;
  std::atomic<bool> listen_done{false};

  absl::Mutex stop_mu;
  bool stopping ABSL_GUARDED_BY(stop_mu) = false;
  std::once_flag stop_once;

  absl::Mutex mu;
  std::deque<Action> script ABSL_GUARDED_BY(mu);
  std::vector<Rule> rules ABSL_GUARDED_BY(mu);
  int default_latency_ms ABSL_GUARDED_BY(mu);
  int64_t requests ABSL_GUARDED_BY(mu) = 0;
  int64_t next_id ABSL_GUARDED_BY(mu) = 0;  // never reset: ids stay unique
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  int max_concurrency ABSL_GUARDED_BY(mu) = 0;
  std::vector<LogEntry> log ABSL_GUARDED_BY(mu);
  int64_t log_generation ABSL_GUARDED_BY(mu) = 0;  // counts resets of the log
};

void FakeOpenAiServer::Impl::Route() {
  // httplib answers 400 to a POST without Content-Length (`curl -X POST`) before routing; a
  // bodiless reset is served here instead.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" && req.path == "/control/reset" && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding")) {
      HandleReset(res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(Api::kChat, req, res);
  });
  server.Post("/v1/responses", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(Api::kResponses, req, res);
  });
  server.Post("/control/script", [this](const httplib::Request& req, httplib::Response& res) {
    HandleScript(req, res);
  });
  server.Post("/control/rules", [this](const httplib::Request& req, httplib::Response& res) {
    HandleRules(req, res);
  });
  server.Post("/control/default", [this](const httplib::Request& req, httplib::Response& res) {
    HandleDefault(req, res);
  });
  server.Get("/control/stats",
             [this](const httplib::Request&, httplib::Response& res) { HandleStats(res); });
  server.Post("/control/reset",
              [this](const httplib::Request&, httplib::Response& res) { HandleReset(res); });
}

void FakeOpenAiServer::Impl::HandleCompletion(Api api, const httplib::Request& req,
                                              httplib::Response& res) {
  const int64_t received_ms = MillisSinceStart();
  const CompletionRequest request = ReadCompletionRequest(api, req.body);
  const bool in_text = IsInlineMessage(request.user);
  std::vector<NumberedCitation> citations;
  InlineMessage inline_message;
  std::vector<std::string> logged_citations;
  if (in_text) {
    inline_message = ParseInlineMessage(request.user);
    for (const IdentifiedCitation& citation : inline_message.citations) {
      logged_citations.push_back(citation.text);
    }
  } else {
    citations = ParseNumberedCitations(request.user);
    for (const NumberedCitation& citation : citations) logged_citations.push_back(citation.text);
  }
  const v1::Style style = StyleFromPrompt(request.system);

  Action action;
  int64_t id = 0;
  int latency_ms = 0;
  size_t entry_index = 0;
  int64_t generation = 0;
  std::string label;
  {
    absl::MutexLock lock(&mu);
    ++in_flight;
    max_concurrency = std::max(max_concurrency, in_flight);
    ++requests;
    id = ++next_id;
    Rule* rule = nullptr;
    for (Rule& candidate : rules) {
      if (candidate.times == 0) continue;
      for (const std::string& text : logged_citations) {
        if (text.find(candidate.contains) != std::string::npos) rule = &candidate;
      }
      if (rule != nullptr) break;
    }
    if (rule != nullptr) {
      action = rule->action;
      if (rule->times > 0) --rule->times;
    } else if (!script.empty()) {
      action = std::move(script.front());
      script.pop_front();
    }
    latency_ms = action.latency_ms.value_or(default_latency_ms);
    if (action.reset || action.reset_empty) {
      label = "reset";
    } else if (action.status.has_value()) {
      label = "status";
    } else if (action.malformed) {
      label = "malformed";
    } else if (action.garbage_answer) {
      label = "garbage";
    } else if (!request.valid) {
      label = "bad_request";
    } else if (in_text && action.out_of_range) {
      label = "out_of_range";
    } else if (!action.omit.empty()) {
      label = "omit";
    } else if (action.hang_ms > 0) {
      label = "hang";
    } else {
      label = "ok";
    }
    LogEntry entry;
    entry.path = req.path;
    entry.model = request.model;
    entry.authorization = req.get_header_value("Authorization");
    entry.kind = in_text ? "inline" : "references";
    entry.citations = std::move(logged_citations);
    entry.style = style;
    entry.received_ms = received_ms;
    entry.action = label;
    entry_index = log.size();
    generation = log_generation;
    log.push_back(std::move(entry));
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&mu);
    --in_flight;
  };

  // Watch the client while waiting: a client that gives up (closes) is logged with the time.
  const int watched =
      latency_ms + action.hang_ms > 0 ? OwnConnection(port, req.remote_addr, req.remote_port) : -1;
  const bool slept = SleepWatching(latency_ms + action.hang_ms, watched, [&] {
    absl::MutexLock lock(&mu);
    if (log_generation == generation && entry_index < log.size()) {
      log[entry_index].gone_ms = MillisSinceStart();
    }
  });
  if (!slept) {
    res.status = 503;
    res.set_content(ErrorBody("fake server shutting down", "fake", std::nullopt), kJson);
    return;
  }
  if (label == "reset") {
    const int own = OwnConnection(port, req.remote_addr, req.remote_port);
    // On success httplib's own write of `res` then fails on the dummy socket.
    if (own >= 0 && AbortConnection(own, /*empty=*/!action.reset)) return;
    res.status = 500;
    res.set_header("Connection", "close");
    res.set_content(ErrorBody("fake server could not reset the connection", "fake", std::nullopt),
                    kJson);
    return;
  }
  for (const auto& [name, value] : action.headers) res.set_header(name, value);
  if (label == "status") {
    res.status = *action.status;
    res.set_content(ErrorBody("fake error", "fake", action.error_code), kJson);
  } else if (label == "malformed") {
    res.status = 200;
    res.set_content(absl::StrCat("{\"id\": \"fake-", id, "\", \"choices\": [{\"message\": {"),
                    kJson);
  } else if (label == "garbage") {
    res.status = 200;
    res.set_content(AnswerBody(api, id, request, kGarbageAnswer), kJson);
  } else if (label == "bad_request") {
    res.status = 400;
    res.set_content(
        ErrorBody("the request body is not a JSON object", "invalid_request_error", std::nullopt),
        kJson);
  } else {
    res.status = 200;
    const std::string answer =
        in_text ? RenderInlineAnswer(style, inline_message, action.omit, label == "out_of_range")
                : RenderAnswer(style, citations, action.omit);
    res.set_content(AnswerBody(api, id, request, answer), kJson);
  }
}

void FakeOpenAiServer::Impl::HandleScript(const httplib::Request& req, httplib::Response& res) {
  std::vector<Action> parsed;
  std::string error;
  if (!ParseScriptBody(req.body, &parsed, &error)) return ControlError(res, error);
  size_t queued = 0;
  {
    absl::MutexLock lock(&mu);
    for (Action& action : parsed) script.push_back(std::move(action));
    queued = script.size();
  }
  res.set_content(QueuedBody(queued), kJson);
}

void FakeOpenAiServer::Impl::HandleRules(const httplib::Request& req, httplib::Response& res) {
  rapidjson::Document doc;
  doc.Parse(req.body.data(), req.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return ControlError(res, "the body must be a JSON object {\"rules\": [...]}");
  }
  auto json_rules = doc.FindMember("rules");
  if (json_rules == doc.MemberEnd() || !json_rules->value.IsArray()) {
    return ControlError(res, "\"rules\" must be an array");
  }
  std::vector<Rule> parsed;
  for (const auto& json : json_rules->value.GetArray()) {
    Rule rule;
    std::string error;
    if (!ParseRule(json, &rule, &error)) {
      return ControlError(res, absl::StrCat("rule #", parsed.size() + 1, ": ", error));
    }
    parsed.push_back(std::move(rule));
  }
  {
    absl::MutexLock lock(&mu);
    rules = std::move(parsed);
  }
  ControlOk(res);
}

void FakeOpenAiServer::Impl::HandleDefault(const httplib::Request& req, httplib::Response& res) {
  int value = 0;
  std::string error;
  if (!ParseDefaultBody(req.body, &value, &error)) return ControlError(res, error);
  {
    absl::MutexLock lock(&mu);
    default_latency_ms = value;
  }
  ControlOk(res);
}

void FakeOpenAiServer::Impl::HandleStats(httplib::Response& res) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  {
    absl::MutexLock lock(&mu);
    writer.StartObject();
    WriteKey(writer, "requests");
    writer.Int64(requests);
    WriteKey(writer, "in_flight");
    writer.Int(in_flight);
    WriteKey(writer, "max_concurrency");
    writer.Int(max_concurrency);
    WriteKey(writer, "queued");
    writer.Uint64(script.size());
    WriteKey(writer, "default_latency_ms");
    writer.Int(default_latency_ms);
    WriteKey(writer, "now_ms");
    writer.Int64(MillisSinceStart());
    WriteKey(writer, "log");
    writer.StartArray();
    for (const LogEntry& entry : log) {
      writer.StartObject();
      WriteKey(writer, "path");
      WriteString(writer, entry.path);
      WriteKey(writer, "model");
      WriteString(writer, entry.model);
      WriteKey(writer, "authorization");
      WriteString(writer, entry.authorization);
      WriteKey(writer, "kind");
      WriteString(writer, entry.kind);
      WriteKey(writer, "citations");
      writer.StartArray();
      for (const std::string& citation : entry.citations) WriteString(writer, citation);
      writer.EndArray();
      WriteKey(writer, "style");
      WriteString(writer, StyleName(entry.style));
      WriteKey(writer, "received_ms");
      writer.Int64(entry.received_ms);
      WriteKey(writer, "action");
      WriteString(writer, entry.action);
      WriteKey(writer, "gone_ms");
      writer.Int64(entry.gone_ms);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }
  res.set_content(std::string(buffer.GetString(), buffer.GetSize()), kJson);
}

void FakeOpenAiServer::Impl::HandleReset(httplib::Response& res) {
  {
    absl::MutexLock lock(&mu);
    script.clear();
    rules.clear();
    log.clear();
    ++log_generation;
    requests = 0;
    max_concurrency = in_flight;
    default_latency_ms = options.default_latency_ms;
  }
  ControlOk(res);
}

// ---- FakeOpenAiServer --------------------------------------------------------------------------

FakeOpenAiServer::FakeOpenAiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FakeOpenAiServer::~FakeOpenAiServer() { Stop(); }

std::unique_ptr<FakeOpenAiServer> FakeOpenAiServer::Start(const Options& options,
                                                          std::string* error) {
  std::signal(SIGPIPE, SIG_IGN);
  auto impl = std::make_unique<Impl>(options);
  Impl* state = impl.get();
  const size_t threads = static_cast<size_t>(std::max(1, options.threads));
  state->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  state->server.set_keep_alive_max_count(1000000);
  state->server.set_keep_alive_timeout(std::max(1, options.keep_alive_timeout_s));
  state->server.set_tcp_nodelay(true);
  state->Route();

  if (options.port == 0) {
    state->port = state->server.bind_to_any_port(options.host);
  } else if (state->server.bind_to_port(options.host, options.port)) {
    state->port = options.port;
  }
  if (state->port <= 0) {
    *error = absl::StrCat("cannot bind ", options.host, ":", options.port);
    return nullptr;
  }
  state->listener = std::thread([state] {
    state->server.listen_after_bind();
    state->listen_done = true;
  });
  // Stop() only works once the accept loop runs.
  while (!state->server.is_running() && !state->listen_done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (state->listen_done) {
    state->listener.join();
    *error = "the accept loop ended at once";
    return nullptr;
  }
  return std::unique_ptr<FakeOpenAiServer>(new FakeOpenAiServer(std::move(impl)));
}

int FakeOpenAiServer::port() const { return impl_->port; }

std::string FakeOpenAiServer::address() const {
  return absl::StrCat(impl_->options.host, ":", impl_->port);
}

void FakeOpenAiServer::Stop() {
  std::call_once(impl_->stop_once, [this] {
    {
      absl::MutexLock lock(&impl_->stop_mu);
      impl_->stopping = true;
    }
    impl_->server.stop();
    // Idle keep-alive connections would hold their worker (and so the pool's shutdown) until
    // their timeout: close them, again and again until the accept loop has returned.
    while (!impl_->listen_done) {
      ForEachServerConnection(impl_->port, "", -1, [](int, int socket) {
        syscall(SYS_shutdown, socket, SHUT_RDWR);  // raw: see ForEachServerConnection
      });
      for (int i = 0; i < 10 && !impl_->listen_done; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    impl_->listener.join();
  });
}

}  // namespace citecheck::fake_openai
