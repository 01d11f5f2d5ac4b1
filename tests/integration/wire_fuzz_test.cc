// Over the wire: every method of every service (from the descriptors) gets
// bytes no client library would send: random bytes, and valid requests with
// bits flipped, cut short, fields renumbered, or a string field made invalid
// UTF-8. The servers must never crash, never answer INTERNAL or UNKNOWN, never
// UNIMPLEMENTED for a method that exists, and be SERVING afterwards.
//
// The caller is the city admin, whom the table lets through to every
// method, so the bytes reach the parser and the handlers behind it.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/dev_pki.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/city_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/http_get.h"
#include "tools/gnlcctl/json_rpc.h"

namespace gnlc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::internal::WireFormatLite;

constexpr const char* kServices[] = {
    "gnlc.catalog.v1.CatalogService", "gnlc.enrollment.v1.EnrollmentService",
    "gnlc.partnership.v1.PartnershipService", "gnlc.analytics.v1.AnalyticsService"};
constexpr int kInputsPerMethod = 240;
// Stands in for a string value until the bytes are patched to invalid UTF-8.
constexpr char kMarker[] = "\x01\x02\x03\x04\x05\x06";

// Every method of our four services, from the descriptors.
std::vector<const google::protobuf::MethodDescriptor*> AllMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> out;
  for (const char* name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) out.push_back(service->method(i));
  }
  return out;
}

std::string ServiceKey(const std::string& full_name) { return ctl::ServiceKey(full_name + ".X"); }

// A request of `type` with random plausible values: names of this city,
// short texts, small numbers, enum values in and out of range.
void FillRandom(Message& m, std::mt19937& rng, int depth) {
  const Descriptor* type = m.GetDescriptor();
  const auto* r = m.GetReflection();
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  static const char* kStrings[] = {"cities/nanjing",
                                   "cities/nanjing/programs/p1",
                                   "cities/nanjing/programs/p1/offerings/o1",
                                   "cities/nanjing/learners/l1",
                                   "cities/suzhou/programs/x",
                                   "学习 城市",
                                   "",
                                   "a b c",
                                   "2026-01",
                                   "CNY"};
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (pick(3) == 0) continue;
    const int count = f->is_repeated() ? pick(4) : 1;
    for (int k = 0; k < count; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string v = kStrings[pick(10)];
          f->is_repeated() ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32:
        case FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = pick(2) == 0 ? pick(100) : static_cast<int64_t>(rng()) - (1ll << 31);
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
            f->is_repeated() ? r->AddInt32(&m, f, static_cast<int32_t>(v))
                             : r->SetInt32(&m, f, static_cast<int32_t>(v));
          } else {
            f->is_repeated() ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
          }
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT32:
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(&m, f, rng()) : r->SetUInt64(&m, f, rng());
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
        case FieldDescriptor::CPPTYPE_FLOAT: {
          const double v = (static_cast<double>(rng()) / 1e7) - 200.0;
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
            f->is_repeated() ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
          } else {
            f->is_repeated() ? r->AddFloat(&m, f, static_cast<float>(v))
                             : r->SetFloat(&m, f, static_cast<float>(v));
          }
          break;
        }
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(&m, f, pick(2) == 0) : r->SetBool(&m, f, pick(2) == 0);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const int v = pick(4) == 0 ? pick(1000) : pick(f->enum_type()->value_count());
          f->is_repeated() ? r->AddEnumValue(&m, f, v) : r->SetEnumValue(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 3) {
            Message* inner = f->is_repeated() ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
            FillRandom(*inner, rng, depth + 1);
          }
          break;
      }
    }
  }
}

// The top-level fields of `bytes` re-encoded with some field numbers
// changed: a valid wire format that means something else.
std::string RenumberFields(const std::string& bytes, std::mt19937& rng) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::string out;
  google::protobuf::io::StringOutputStream sink(&out);
  google::protobuf::io::CodedOutputStream coded(&sink);
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    const int begin = in.CurrentPosition();
    if (!WireFormatLite::SkipField(&in, tag)) break;
    const int end = in.CurrentPosition();
    const int number =
        rng() % 3 == 0 ? static_cast<int>(1 + rng() % 20) : WireFormatLite::GetTagFieldNumber(tag);
    coded.WriteTag(WireFormatLite::MakeTag(number, WireFormatLite::GetTagWireType(tag)));
    coded.WriteRaw(bytes.data() + begin, end - begin);
  }
  coded.Trim();
  return out;
}

std::string Mutate(const std::string& valid, int round, std::mt19937& rng) {
  std::string s = valid;
  switch (round % 4) {
    case 0: {  // random bytes
      s.resize(rng() % 64);
      for (char& c : s) c = static_cast<char>(rng());
      return s;
    }
    case 1:  // bit flips
      if (s.empty()) return std::string(1, static_cast<char>(rng()));
      for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) {
        s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      return s;
    case 2:  // cut short
      s.resize(s.empty() ? 0 : rng() % s.size());
      return s;
    default:
      return RenumberFields(s, rng);
  }
}

class WireFuzzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    city_ = testing::WholeCity::Start();
    ASSERT_NE(city_, nullptr);
    for (const auto& [service, port] : city_->ports) {
      channels_[service] = testing::LocalChannel(port);
    }
  }

  grpc::Status Send(const google::protobuf::MethodDescriptor& m, const std::string& bytes) {
    std::string response;
    return ctl::CallRaw(*channels_.at(ServiceKey(m.service()->full_name())),
                        absl::StrCat("/", m.service()->full_name(), "/", m.name()), bytes,
                        absl::Seconds(10), "", response);
  }

  std::unique_ptr<testing::WholeCity> city_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

bool IsCrashLike(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::UNIMPLEMENTED || code == grpc::StatusCode::DATA_LOSS ||
         code == grpc::StatusCode::UNAVAILABLE;
}

TEST_F(WireFuzzTest, GarbageIsMalformedRequestOnEveryMethod) {
  // Ten 0xff bytes: a varint tag that never ends.
  const std::string garbage(10, '\xff');
  const auto methods = AllMethods();
  for (const auto* m : methods) {
    grpc::Status s = Send(*m, garbage);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << m->full_name();
    EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "MALFORMED_REQUEST") << m->full_name();
  }
  EXPECT_GE(methods.size(), 40u);
  // A method that does not exist is still UNIMPLEMENTED.
  std::string response;
  grpc::Status missing =
      ctl::CallRaw(*channels_.at("catalog"), "/gnlc.catalog.v1.CatalogService/NoSuchMethod", "",
                   absl::Seconds(5), "", response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // Counted like every other outcome.
  auto metrics = testing::HttpGet(city_->catalog->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NE(metrics->body.find("code=\"INVALID_ARGUMENT\",method=\"GetProgram\""),
            std::string::npos)
      << metrics->body;
}

TEST_F(WireFuzzTest, InvalidUtf8NamesTheFieldOnEveryMethod) {
  int checked = 0;
  for (const auto* method : AllMethods()) {
    const auto& m = *method;
    google::protobuf::DynamicMessageFactory factory;
    for (int f = 0; f < m.input_type()->field_count(); ++f) {
      const FieldDescriptor* field = m.input_type()->field(f);
      if (field->type() != FieldDescriptor::TYPE_STRING) continue;
      std::unique_ptr<Message> req(factory.GetPrototype(m.input_type())->New());
      field->is_repeated() ? req->GetReflection()->AddString(req.get(), field, kMarker)
                           : req->GetReflection()->SetString(req.get(), field, kMarker);
      std::string bytes = req->SerializeAsString();
      const size_t at = bytes.find(kMarker);
      ASSERT_NE(at, std::string::npos);
      bytes.replace(at, sizeof(kMarker) - 1, "ok\xff\xfe\xc0\xaf");
      grpc::Status s = Send(m, bytes);
      const absl::Status status = FromGrpcStatus(s);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << m.full_name();
      EXPECT_EQ(ErrorReason(status), "MALFORMED_REQUEST") << m.full_name();
      EXPECT_EQ(ErrorMetadataOf(status)["field"], field->name()) << m.full_name();
      EXPECT_EQ(s.error_message().find('\xff'), std::string::npos) << "bytes echoed";
      ++checked;
    }
  }
  EXPECT_GE(checked, 40);
}

TEST_F(WireFuzzTest, MutatedRequestsNeverCrashOrFailInternally) {
  std::mt19937 rng(20261130);
  std::map<grpc::StatusCode, int> codes;
  for (const auto* method : AllMethods()) {
    const auto& m = *method;
    google::protobuf::DynamicMessageFactory factory;
    for (int round = 0; round < kInputsPerMethod; ++round) {
      std::unique_ptr<Message> req(factory.GetPrototype(m.input_type())->New());
      FillRandom(*req, rng, 0);
      const std::string bytes = Mutate(req->SerializeAsString(), round, rng);
      grpc::Status s = Send(m, bytes);
      ++codes[s.error_code()];
      ASSERT_FALSE(IsCrashLike(s.error_code()))
          << m.full_name() << " round " << round << ": " << s.error_code() << " "
          << s.error_message() << " for bytes " << absl::CEscape(bytes);
    }
  }
  for (const auto& [code, n] : codes) std::cout << "code " << code << ": " << n << "\n";
  EXPECT_GT(codes[grpc::StatusCode::INVALID_ARGUMENT], 0);
  for (const auto& [service, channel] : channels_) {
    EXPECT_TRUE(testing::WaitForHealth(channel, "", grpc::health::v1::HealthCheckResponse::SERVING,
                                       absl::Seconds(5)))
        << service << " is not SERVING after the fuzz";
  }
}

}  // namespace
}  // namespace gnlc
