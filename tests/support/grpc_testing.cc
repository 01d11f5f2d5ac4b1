#include "tests/support/grpc_testing.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_security.h"

namespace gnlc::testing {

std::shared_ptr<grpc::Channel> LocalChannel(int port, const std::string& city) {
  return SecureChannel(
      port, city,
      TestToken(
          city,
          {.role = "city_admin", .subject = "test-admin", .partner = "", .ttl = absl::Hours(1)}));
}

HealthStatus CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  if (!stub->Check(&ctx, req, &resp).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return resp.status();
}

bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                   HealthStatus want, absl::Duration timeout) {
  return PollUntil([&] { return CheckHealth(channel, service) == want; }, timeout);
}

bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

}  // namespace gnlc::testing
