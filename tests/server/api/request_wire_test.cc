// The wire twins (server/api/*_wire.proto) against the public requests of citecheck.v1: the
// same fields (number, name, label, oneof) with `bytes` for `string` and `int32` for enums, so
// that every request a client sends parses into its twin unchanged.

#include <string>

#include "citecheck/v1/citecheck.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "server/api/request_wire.pb.h"
#include "server/api/submit_batch_wire.pb.h"

namespace citecheck {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Adds a failure for every way `twin` is not the wire twin of `original` (recursively for
// message fields).
void ExpectWireTwin(const Descriptor* twin, const Descriptor* original) {
  SCOPED_TRACE(original->full_name());
  ASSERT_EQ(twin->field_count(), original->field_count());
  for (int i = 0; i < original->field_count(); ++i) {
    const FieldDescriptor* want = original->field(i);
    const FieldDescriptor* have = twin->FindFieldByNumber(want->number());
    ASSERT_NE(have, nullptr) << want->name();
    EXPECT_EQ(have->name(), want->name());
    EXPECT_EQ(have->is_repeated(), want->is_repeated()) << want->name();
    EXPECT_EQ(have->containing_oneof() == nullptr, want->containing_oneof() == nullptr)
        << want->name();
    switch (want->type()) {
      case FieldDescriptor::TYPE_STRING:
        EXPECT_EQ(have->type(), FieldDescriptor::TYPE_BYTES) << want->name();
        break;
      case FieldDescriptor::TYPE_ENUM:
        EXPECT_EQ(have->type(), FieldDescriptor::TYPE_INT32) << want->name();
        break;
      case FieldDescriptor::TYPE_MESSAGE:
        ASSERT_EQ(have->type(), FieldDescriptor::TYPE_MESSAGE) << want->name();
        ExpectWireTwin(have->message_type(), want->message_type());
        break;
      default:
        EXPECT_EQ(have->type(), want->type()) << want->name();
    }
  }
}

TEST(RequestWireTest, EveryTwinHasTheFieldsOfItsRequest) {
  ExpectWireTwin(internal::SubmitBatchWire::descriptor(), v1::SubmitBatchRequest::descriptor());
  ExpectWireTwin(internal::GetJobWire::descriptor(), v1::GetJobRequest::descriptor());
  ExpectWireTwin(internal::CancelJobWire::descriptor(), v1::CancelJobRequest::descriptor());
  ExpectWireTwin(internal::ListJobsWire::descriptor(), v1::ListJobsRequest::descriptor());
  ExpectWireTwin(internal::WatchJobWire::descriptor(), v1::WatchJobRequest::descriptor());
  ExpectWireTwin(internal::GetBalanceWire::descriptor(), v1::GetBalanceRequest::descriptor());
  ExpectWireTwin(internal::GrantCreditsWire::descriptor(), v1::GrantCreditsRequest::descriptor());
  ExpectWireTwin(internal::GrantPassWire::descriptor(), v1::GrantPassRequest::descriptor());
}

TEST(RequestWireTest, ARequestParsesIntoItsTwinUnchanged) {
  v1::GrantCreditsRequest request;
  request.set_token("tok");
  request.set_credits(42);
  request.set_order_id("order-1");
  internal::GrantCreditsWire wire;
  ASSERT_TRUE(wire.ParseFromString(request.SerializeAsString()));
  EXPECT_EQ(wire.token(), "tok");
  EXPECT_EQ(wire.credits(), 42);
  EXPECT_EQ(wire.order_id(), "order-1");
  EXPECT_EQ(wire.SerializeAsString(), request.SerializeAsString());
}

}  // namespace
}  // namespace citecheck
