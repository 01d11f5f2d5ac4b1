// Per-process settings of a gnlc server, from flags and environment, plus the
// city's configuration file. Every flag --name=value can also be given as
// the environment variable GNLC_NAME (flags win). Bad values fail at start
// with a message that names the flag.
//
//   --config=FILE        the CityConfig (JSON or text format)       required
//   --listen=HOST        gRPC listen address         default 127.0.0.1
//   --port=N             gRPC port, 0 picks a free one   default 0
//   --admin_listen=HOST  admin HTTP address          default 127.0.0.1
//   --admin_port=N       admin HTTP port, 0 picks one    default 0
//                        (plaintext: /metrics, /healthz, /livez only)
//   --dashboard_listen=HOST  analytics: the dashboard's HTTPS address
//                        default 127.0.0.1
//   --dashboard_port=N   analytics: the dashboard's HTTPS port (analysts
//                        and city admins sign in), 0 picks one  default 0
//   --redis=HOST:PORT    overrides redis.address of the config
//   --port_file=FILE     written with "PORT ADMIN_PORT PEER_PORT WEB_PORT" once
//                        listening (0 for a port the service does not open)
//   --drain_ms=N         NOT_SERVING this long before closing   default 500
//   --grace_ms=N         in-flight calls may finish for this long default 3000
//   --log_requests=BOOL  log every call, not only failures  default false
//   --catalog=HOST:PORT  the city's catalog, for services that read it
//   --enrollment=HOST:PORT  the city's enrollment service, for analytics
//                        (its recount of what it missed)
//   --peer_analytics=CITY=HOST:PORT[,...]  peers' analytics addresses
//                        (overrides peers[].analytics_address of the config)
//   --peer_catalogs=CITY=HOST:PORT[,...]  peers' catalog peer ports, to
//                        harvest (overrides peers[].catalog_address)
//   --secrets_dir=DIR    relative certificate, key, JWKS and token paths of
//                        the config are read below DIR  default: the
//                        config file's folder
//   --peer_port=N        the mutual-TLS port for peer cities (catalog and
//                        analytics, when the config has federation), 0
//                        picks a free one                   default 0
//   --rate_limits=on|off each caller's fair share (config rate_limits)
//                        default on
//   --audit_log=FILE     audit lines appended here, apart from the
//                        application log          default: stdout
//   --dev_mode=BOOL      a developer's machine: start without a page-token
//                        secret (a random one per process)  default false
// The page-token secret comes from GNLC_PAGE_TOKEN_SECRET (at least 16
// characters, shared by the replicas of a city's services); without one a
// server refuses to start outside --dev_mode. The Redis password comes from
// the variable or file the config names.
#ifndef GNLC_COMMON_SERVER_SERVER_OPTIONS_H_
#define GNLC_COMMON_SERVER_SERVER_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

struct ServerOptions {
  std::string service;  // "catalog", for logs and metrics
  std::string listen_host = "127.0.0.1";
  int port = 0;
  std::string admin_host = "127.0.0.1";
  int admin_port = 0;
  // analytics: the dashboard's HTTPS listener (services/analytics/dashboard.h).
  std::string dashboard_host = "127.0.0.1";
  int dashboard_port = 0;
  std::string port_file;
  CityConfig city;
  RedisOptions redis;
  std::string page_token_secret;
  absl::Duration drain = absl::Milliseconds(500);
  absl::Duration grace = absl::Seconds(3);
  int max_message_bytes = 4 << 20;
  absl::Duration max_connection_age = absl::Minutes(5);
  bool log_requests = false;
  std::string catalog_address;
  // analytics: the city's enrollment service (--enrollment), read when
  // analytics recounts what it missed.
  std::string enrollment_address;
  int peer_port = 0;
  // Threads for handlers that wait for Redis (common/server/handler_pool.h):
  // how many requests of one service can wait for Redis at once.
  int handler_threads = 32;
  // Calls that may wait for those threads before new ones are refused
  // (SERVER_BUSY).
  size_t handler_queue = 2048;
  // Where audit lines go (common/server/logging.h): a file, or "" for
  // stdout.
  std::string audit_log;
  // How often JWKS files are looked at for changes.
  absl::Duration jwks_check_every = absl::Seconds(1);
};

// Makes the certificate, key, JWKS and token paths of `city` usable: each
// relative one is put below `secrets_dir`, and "{service}" is replaced by
// `service`.
void ResolveSecretPaths(CityConfig& city, const std::string& secrets_dir,
                        absl::string_view service);

// Sets `redis`'s user and password from the city's (resolved) redis
// settings: the password from password_file when there is one.
absl::Status ReadRedisCredentials(const CityConfig& city, RedisOptions& redis);

absl::StatusOr<ServerOptions> ParseServerOptions(std::string service, int argc,
                                                 const char* const* argv);

// Options for tests and tools: a city config in memory, Redis at `address`.
ServerOptions TestServerOptions(std::string service, CityConfig city, std::string redis_address);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_SERVER_OPTIONS_H_
