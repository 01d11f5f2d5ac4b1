// TLS certificates and tokens for tests: one development PKI per test
// process (WriteDevPki in a temporary folder, for "nanjing" and "suzhou"),
// configs that use it, and channels that speak TLS and carry a token.
//
//   CityConfig city = ...;
//   AddTestSecurity(city);                          // TLS, issuers, federation
//   auto channel = LocalChannel(port);              // TLS + city_admin token
//   auto resident = SecureChannel(port, "nanjing", TestToken("nanjing",
//                                 {.role = "resident", .subject = "r1"}));
#ifndef GNLC_TESTS_SUPPORT_TEST_SECURITY_H_
#define GNLC_TESTS_SUPPORT_TEST_SECURITY_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "common/auth/dev_pki.h"
#include "common/config/city_config.h"

namespace gnlc::testing {

// The folder of this process's test PKI (made on first use).
const std::string& TestPkiDir();

// Sets `city`'s tls, auth and federation to the test PKI of its city id
// (reloaded every second, so rotation tests are quick).
void AddTestSecurity(CityConfig& city);

// A token from `city`'s test issuer (default: one hour).
std::string TestToken(const std::string& city, const auth::TokenSpec& spec);

// `city`'s second issuer, a residents' identity provider of a mobile app
// (same keys, another `iss`): it may grant the resident role only, and its
// residents' learners are in the namespace kAppLearnerNamespace.
inline constexpr char kAppLearnerNamespace[] = "app";
std::string AppIssuerToken(const std::string& city, const auth::TokenSpec& spec);

// A TLS channel to 127.0.0.1:`port` that verifies `city`'s test CA and
// sends `token` on every call ("" sends none). A fresh connection each.
std::shared_ptr<grpc::Channel> SecureChannel(int port, const std::string& city,
                                             const std::string& token);

// A mutual-TLS channel to a peer port, presenting `cert` (and verifying the
// server with the test network CA).
std::shared_ptr<grpc::Channel> PeerChannel(int port, const auth::CertAndKey& cert);

// The test network CA, to sign certificates of cities for negative tests.
auth::CertAndKey TestNetworkCa();

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_TEST_SECURITY_H_
