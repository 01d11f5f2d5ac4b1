#include "common/server/server.h"

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/transport_credentials.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"

namespace gnlc {
namespace {
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// protobuf's own log lines, as ours. Its note on invalid UTF-8 is dropped:
// the edge already logs that call as MALFORMED_REQUEST, and a flood of
// malformed requests must not become a flood of unstructured lines.
void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  if (absl::StrContains(message, "invalid UTF-8 data when parsing")) return;
  LogJson(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kError : LogLevel::kWarn,
          "protobuf", {{"detail", message}, {"at", absl::StrCat(file, ":", line)}});
}
// Leaves the process-wide reflection plugin out of one builder's server.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(
        std::remove_if(plugins->begin(), plugins->end(),
                       [](const auto& p) { return absl::StrContains(p->name(), "reflection"); }),
        plugins->end());
  }
};
}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

GnlcServer::GnlcServer(ServerOptions options, Metrics* metrics)
    : options_(std::move(options)), metrics_(metrics) {
  admin_ = std::make_unique<AdminHttpServer>(options_.admin_host, options_.admin_port, metrics_,
                                             [this] { return health_ && health_->serving(); });
}

GnlcServer::~GnlcServer() { Shutdown(); }

void GnlcServer::AddService(grpc::Service* service, std::string full_name) {
  services_.emplace_back(service, std::move(full_name));
}

absl::Status GnlcServer::Start() {
  SetLogService(options_.service);
  if (!options_.audit_log.empty()) RETURN_IF_ERROR(SetAuditSink(options_.audit_log));
  google::protobuf::SetLogHandler(&ProtobufLog);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const auto configure = [&](grpc::ServerBuilder& builder) {
    builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
    builder.SetMaxSendMessageSize(options_.max_message_bytes);
    // Clients reconnect now and then, so new replicas get their share of load.
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options_.max_connection_age)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30000);
    // Callback services hold no per-server state: the peer server shares them.
    for (auto& [service, name] : services_) builder.RegisterService(service);
  };
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.listen_host, ":", options_.port);
  if (options_.city.tls().insecure_plaintext()) {
    LogJson(LogLevel::kWarn,
            "PLAINTEXT: TLS is off (tls.insecure_plaintext); only for a developer's loopback",
            {{"grpc", address}});
  }
  builder.AddListeningPort(address, auth::PublicServerCredentials(options_.city), &port_);
  configure(builder);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  std::vector<grpc::HealthCheckServiceInterface*> health = {server_->GetHealthCheckService()};
  const bool peers = accept_peers_ && !options_.city.federation().network_ca_file().empty();
  const std::string peer_address = absl::StrCat(options_.listen_host, ":", options_.peer_port);
  if (peers) {
    grpc::ServerBuilder peer_builder;
    peer_builder.AddListeningPort(peer_address, auth::PeerServerCredentials(options_.city),
                                  &peer_port_);
    peer_builder.SetOption(std::make_unique<WithoutReflection>());
    configure(peer_builder);
    peer_server_ = peer_builder.BuildAndStart();
    if (peer_server_ == nullptr || peer_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen for peers on ", peer_address));
    }
    health.push_back(peer_server_->GetHealthCheckService());
  }
  for (grpc::HealthCheckServiceInterface* h : health) {
    for (auto& [service, name] : services_) h->SetServingStatus(name, false);
  }
  health_ = std::make_unique<HealthMonitor>(options_.redis, ready_, absl::Milliseconds(250),
                                            [this](int64_t used, int64_t limit) {
                                              if (metrics_ != nullptr)
                                                metrics_->RedisMemory(used, limit);
                                            });
  health_->Start(health);
  if (absl::Status s = admin_->Start(); !s.ok()) return s;
  if (web_ != nullptr) RETURN_IF_ERROR(web_->Start());
  if (!options_.port_file.empty()) {
    const std::string tmp = options_.port_file + ".tmp";
    std::ofstream(tmp) << port_ << " " << admin_->port() << " " << peer_port_ << " " << web_port()
                       << "\n";
    std::rename(tmp.c_str(), options_.port_file.c_str());
  }
  LogJson(LogLevel::kInfo, "listening",
          {{"grpc", absl::StrCat(options_.listen_host, ":", port_)},
           {"admin", absl::StrCat(options_.admin_host, ":", admin_->port())},
           {"peers", peer_port_ == 0 ? "" : absl::StrCat(options_.listen_host, ":", peer_port_)},
           {"web", web_ == nullptr ? ""
                                   : absl::StrCat(web_->tls() ? "https://" : "http://",
                                                  options_.dashboard_host, ":", web_->port())},
           {"tls", options_.city.tls().insecure_plaintext() ? "off" : "on"},
           {"city", options_.city.city_id()}});
  return absl::OkStatus();
}

void GnlcServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  LogJson(LogLevel::kInfo, "draining");
  health_->Drain();
  absl::SleepFor(options_.drain);
  for (const auto& fn : on_shutdown_) fn();
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.grace);
  if (peer_server_ != nullptr) peer_server_->Shutdown(deadline);
  server_->Shutdown(deadline);
  if (peer_server_ != nullptr) peer_server_->Wait();
  server_->Wait();
  health_->Stop();
  if (web_ != nullptr) web_->Stop();
  admin_->Stop();
  LogJson(LogLevel::kInfo, "stopped");
}

}  // namespace gnlc
