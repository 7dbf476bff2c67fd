#include "tests/integration/raw_calls.h"

#include <atomic>
#include <chrono>

#include "absl/synchronization/notification.h"
#include "grpcpp/generic/generic_stub.h"

namespace citecheck::testing {
namespace {

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  (void)buffer.Dump(&slices);
  for (const auto& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

void Prepare(grpc::ClientContext& context, const Metadata& metadata, absl::Duration timeout) {
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

std::string BytesField(int number, const std::string& value) {
  std::string out(1, static_cast<char>(number << 3 | 2));
  size_t n = value.size();
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7F) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
  return out + value;
}

std::string JobIdRequest(const std::string& job_id) {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  return request.SerializeAsString();
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  // A channel argument of its own, so that channels to one address never share a connection.
  grpc::ChannelArguments arguments;
  static std::atomic<int> next{0};
  arguments.SetInt("citecheck.test_channel", next.fetch_add(1));
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

grpc::Status RawUnaryCall(grpc::Channel& channel, const std::string& method,
                          const std::string& request_bytes, const Metadata& metadata,
                          std::string* response, absl::Duration timeout) {
  grpc::GenericStub generic(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  Prepare(context, metadata, timeout);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::Status status;
  absl::Notification done;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &reply, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (response != nullptr && status.ok()) *response = Flatten(reply);
  return status;
}

grpc::Status RawServerStream(grpc::Channel& channel, const std::string& method,
                             const std::string& request_bytes, const Metadata& metadata,
                             int max_messages, int* messages, absl::Duration timeout) {
  grpc::GenericStub generic(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  Prepare(context, metadata, timeout);
  grpc::CompletionQueue queue;
  auto call = generic.PrepareCall(&context, method, &queue);
  // Runs one operation (tagged `op`) to its completion; false when it failed.
  auto wait = [&queue](int op) {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && tag == reinterpret_cast<void*>(op) && ok;
  };
  int read = 0;
  call->StartCall(reinterpret_cast<void*>(1));
  if (wait(1)) {
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request(&slice, 1);
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    if (wait(2)) {
      grpc::ByteBuffer message;
      while (read < max_messages) {
        call->Read(&message, reinterpret_cast<void*>(3));
        if (!wait(3)) break;
        ++read;
      }
    }
  }
  if (read >= max_messages) context.TryCancel();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (messages != nullptr) *messages = read;
  return status;
}

OpenWatch::OpenWatch(v1::CitationService::Stub& stub, const std::string& job_id,
                     const Metadata& metadata, absl::Duration timeout) {
  Prepare(context_, metadata, timeout);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  reader_ = stub.WatchJob(&context_, request);
}

OpenWatch::~OpenWatch() {
  if (finished_) return;
  context_.TryCancel();
  Finish();
}

bool OpenWatch::Next(v1::JobEvent* event) { return !finished_ && reader_->Read(event); }

grpc::Status OpenWatch::Finish() {
  if (finished_) return status_;
  v1::JobEvent ignored;
  while (reader_->Read(&ignored)) {
  }
  status_ = reader_->Finish();
  finished_ = true;
  return status_;
}

}  // namespace citecheck::testing
