// gRPC helpers for tests: a channel to a local port and polling of
// grpc.health.v1 (tests never sleep to wait for readiness).
//
//   auto channel = LocalChannel(server.port());
//   ASSERT_TRUE(WaitForHealth(channel, "", HealthStatus::SERVING, absl::Seconds(5)));
#ifndef GNLC_TESTS_SUPPORT_GRPC_TESTING_H_
#define GNLC_TESTS_SUPPORT_GRPC_TESTING_H_

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpc/health/v1/health.pb.h"

namespace gnlc::testing {

using HealthStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// A TLS channel to a test server of `city` carrying a city_admin token (a
// fresh connection each); see test_security.h for other callers.
std::shared_ptr<grpc::Channel> LocalChannel(int port, const std::string& city = "nanjing");

// The current status, or UNKNOWN if the call fails.
HealthStatus CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

// Polls until the status equals `want`; false on timeout.
bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                   HealthStatus want, absl::Duration timeout);

// Polls `condition` every few milliseconds; false on timeout.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_GRPC_TESTING_H_
