#include "common/server/server_options.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/auth/caller.h"
#include "common/auth/dev_pki.h"
#include "common/auth/transport_credentials.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"

namespace gnlc {
namespace {

constexpr const char* kFlags[] = {"config",           "listen",        "port",
                                  "admin_listen",     "admin_port",    "redis",
                                  "port_file",        "drain_ms",      "grace_ms",
                                  "log_requests",     "catalog",       "enrollment",
                                  "peer_analytics",   "secrets_dir",   "peer_port",
                                  "rate_limits",      "peer_catalogs", "handler_threads",
                                  "dev_mode",         "audit_log",     "handler_queue",
                                  "dashboard_listen", "dashboard_port"};

// Shorter page-token secrets are refused: the key of an HMAC that anyone
// who guesses it can forge page tokens with.
constexpr size_t kMinPageTokenSecret = 16;

// A secret nobody knows, for a development process that was given none:
// its page tokens work only with this process.
std::string RandomSecret() {
  std::string bytes(32, '\0');
  std::ifstream("/dev/urandom", std::ios::binary).read(bytes.data(), bytes.size());
  return absl::BytesToHexString(bytes);
}

absl::Status BadFlag(absl::string_view flag, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "='", value, "': expected ", want));
}

absl::Status ParsePort(absl::string_view flag, const std::string& v, int& out) {
  if (!absl::SimpleAtoi(v, &out) || out < 0 || out > 65535) {
    return BadFlag(flag, v, "a port from 0 to 65535");
  }
  return absl::OkStatus();
}

absl::Status ParseMillis(absl::string_view flag, const std::string& v, absl::Duration& out) {
  int ms = 0;
  if (!absl::SimpleAtoi(v, &ms) || ms < 0 || ms > 600000) {
    return BadFlag(flag, v, "milliseconds from 0 to 600000");
  }
  out = absl::Milliseconds(ms);
  return absl::OkStatus();
}

// "suzhou=10.0.0.7:50051,hangzhou=..." sets an address (analytics or
// catalog, by `flag`) of each named peer, which must be in the config's peers.
absl::Status SetPeerAddresses(absl::string_view flag, absl::string_view value, CityConfig& city) {
  for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return BadFlag(flag, value, "CITY=HOST:PORT[,CITY=HOST:PORT...]");
    }
    bool found = false;
    for (auto& peer : *city.mutable_peers()) {
      if (peer.city_id() != item.substr(0, eq)) continue;
      const std::string address(item.substr(eq + 1));
      if (flag == "peer_catalogs") {
        peer.set_catalog_address(address);
      } else {
        peer.set_analytics_address(address);
      }
      found = true;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " names '", item.substr(0, eq),
                                                     "', which is not a peer in the config"));
    }
  }
  return absl::OkStatus();
}

// `path` below `dir` unless absolute, with {service} replaced.
void Resolve(std::string* path, const std::string& dir, absl::string_view service) {
  if (path->empty()) return;
  *path = absl::StrReplaceAll(*path, {{"{service}", service}});
  if (!dir.empty() && (*path)[0] != '/') *path = absl::StrCat(dir, "/", *path);
}

}  // namespace

absl::Status ReadRedisCredentials(const CityConfig& city, RedisOptions& redis) {
  redis.user = city.redis().user();
  if (city.redis().password_file().empty()) return absl::OkStatus();
  auto password = auth::ReadFileToString(city.redis().password_file());
  if (!password.ok() || absl::StripAsciiWhitespace(*password).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "redis.password_file ", city.redis().password_file(), " cannot be read or is empty"));
  }
  redis.password = std::string(absl::StripAsciiWhitespace(*password));
  return absl::OkStatus();
}

void ResolveSecretPaths(CityConfig& city, const std::string& secrets_dir,
                        absl::string_view service) {
  Resolve(city.mutable_redis()->mutable_password_file(), secrets_dir, service);
  *city.mutable_redis()->mutable_user() =
      absl::StrReplaceAll(city.redis().user(), {{"{service}", service}});
  auto* tls = city.mutable_tls();
  Resolve(tls->mutable_cert_file(), secrets_dir, service);
  Resolve(tls->mutable_key_file(), secrets_dir, service);
  Resolve(tls->mutable_ca_file(), secrets_dir, service);
  for (auto& issuer : *city.mutable_auth()->mutable_issuers()) {
    Resolve(issuer.mutable_jwks_file(), secrets_dir, service);
  }
  Resolve(city.mutable_auth()->mutable_service_token_file(), secrets_dir, service);
  auto* f = city.mutable_federation();
  Resolve(f->mutable_network_ca_file(), secrets_dir, service);
  Resolve(f->mutable_city_cert_file(), secrets_dir, service);
  Resolve(f->mutable_city_key_file(), secrets_dir, service);
}

absl::StatusOr<ServerOptions> ParseServerOptions(std::string service, int argc,
                                                 const char* const* argv) {
  absl::flat_hash_map<std::string, std::string> values;
  for (const char* flag : kFlags) {
    const std::string env = "GNLC_" + absl::AsciiStrToUpper(flag);
    if (const char* v = std::getenv(env.c_str()); v != nullptr) values[flag] = v;
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::StartsWith(arg, "--") || arg.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected --flag=value, got '", arg, "'"));
    }
    const size_t eq = arg.find('=');
    std::string name(arg.substr(2, eq - 2));
    bool known = false;
    for (const char* f : kFlags) known = known || name == f;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    values[name] = std::string(arg.substr(eq + 1));
  }

  ServerOptions o;
  o.service = std::move(service);
  if (!values.contains("config")) {
    return absl::InvalidArgumentError("--config=FILE (or GNLC_CONFIG) is required");
  }
  ASSIGN_OR_RETURN(o.city, LoadCityConfig(values["config"]));
  {
    std::string secrets = values.contains("secrets_dir")
                              ? values["secrets_dir"]
                              : std::filesystem::path(values["config"]).parent_path().string();
    ResolveSecretPaths(o.city, secrets, o.service);
  }
  if (values.contains("listen")) o.listen_host = values["listen"];
  if (values.contains("admin_listen")) o.admin_host = values["admin_listen"];
  if (values.contains("port")) RETURN_IF_ERROR(ParsePort("port", values["port"], o.port));
  if (values.contains("admin_port")) {
    RETURN_IF_ERROR(ParsePort("admin_port", values["admin_port"], o.admin_port));
  }
  if (values.contains("peer_port")) {
    RETURN_IF_ERROR(ParsePort("peer_port", values["peer_port"], o.peer_port));
  }
  if (values.contains("dashboard_listen")) o.dashboard_host = values["dashboard_listen"];
  if (values.contains("dashboard_port")) {
    RETURN_IF_ERROR(ParsePort("dashboard_port", values["dashboard_port"], o.dashboard_port));
  }
  if (values.contains("port_file")) o.port_file = values["port_file"];
  if (values.contains("audit_log")) o.audit_log = values["audit_log"];
  if (values.contains("catalog")) o.catalog_address = values["catalog"];
  if (values.contains("enrollment")) o.enrollment_address = values["enrollment"];
  if (values.contains("peer_analytics")) {
    RETURN_IF_ERROR(SetPeerAddresses("peer_analytics", values["peer_analytics"], o.city));
  }
  if (values.contains("peer_catalogs")) {
    RETURN_IF_ERROR(SetPeerAddresses("peer_catalogs", values["peer_catalogs"], o.city));
  }
  if (values.contains("handler_threads")) {
    const std::string& v = values["handler_threads"];
    if (!absl::SimpleAtoi(v, &o.handler_threads) || o.handler_threads < 1 ||
        o.handler_threads > 1024) {
      return BadFlag("handler_threads", v, "a number of threads from 1 to 1024");
    }
  }
  if (values.contains("handler_queue")) {
    const std::string& v = values["handler_queue"];
    if (!absl::SimpleAtoi(v, &o.handler_queue) || o.handler_queue < 1 ||
        o.handler_queue > 1000000) {
      return BadFlag("handler_queue", v, "a number of waiting calls from 1 to 1000000");
    }
  }
  if (values.contains("drain_ms"))
    RETURN_IF_ERROR(ParseMillis("drain_ms", values["drain_ms"], o.drain));
  if (values.contains("grace_ms"))
    RETURN_IF_ERROR(ParseMillis("grace_ms", values["grace_ms"], o.grace));
  if (values.contains("rate_limits")) {
    const std::string& v = values["rate_limits"];
    if (v != "on" && v != "off") return BadFlag("rate_limits", v, "on or off");
    if (v == "off") o.city.mutable_rate_limits()->set_disabled(true);
  }
  for (const std::string& role : o.city.rate_limits().exempt_roles()) {
    if (!auth::RoleFromName(role)) {
      return absl::InvalidArgumentError(absl::StrCat(
          values["config"], ": rate_limits.exempt_roles names '", role,
          "', which is not a role (resident, partner_admin, analyst, city_admin, peer_city)"));
    }
  }
  absl::flat_hash_set<std::string> backends;
  for (const auto& backend : o.city.rate_limits().backends()) {
    if (!ValidateId("id", backend.id()).ok() || !backends.insert(backend.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          values["config"], ": rate_limits.backends has the id '", backend.id(),
          "', which is not a backend id (1 to 63 of a-z, 0-9 and -) or is there twice"));
    }
  }
  if (values.contains("log_requests")) {
    if (!absl::SimpleAtob(values["log_requests"], &o.log_requests)) {
      return BadFlag("log_requests", values["log_requests"], "true or false");
    }
  }

  const auto& r = o.city.redis();
  std::string address = values.contains("redis") ? values["redis"] : r.address();
  if (address.empty()) address = "127.0.0.1:6379";
  if (absl::Status s = ParseRedisAddress(address, o.redis); !s.ok()) {
    return BadFlag("redis", address, "host:port or sentinel:NAME@HOST:PORT,HOST:PORT,...");
  }
  if (r.pool_size() > 0) o.redis.pool_size = r.pool_size();
  // With replicas (a Sentinel address), acknowledged means replicated
  // unless the city says otherwise.
  o.redis.replicas_to_ack =
      r.has_ack_replicas() ? r.ack_replicas() : (o.redis.sentinels.empty() ? 0 : 1);
  if (o.redis.replicas_to_ack < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        values["config"], ": redis.ack_replicas must be 0 or more, got ", o.redis.replicas_to_ack));
  }
  if (r.ack_timeout_ms() > 0) o.redis.replica_ack_timeout = absl::Milliseconds(r.ack_timeout_ms());
  if (r.connect_timeout_ms() > 0)
    o.redis.connect_timeout = absl::Milliseconds(r.connect_timeout_ms());
  if (r.command_timeout_ms() > 0)
    o.redis.command_timeout = absl::Milliseconds(r.command_timeout_ms());
  if (!r.password_env().empty()) {
    const char* pw = std::getenv(r.password_env().c_str());
    if (pw == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis.password_env names $", r.password_env(), ", which is not set"));
    }
    o.redis.password = pw;
  }
  RETURN_IF_ERROR(ReadRedisCredentials(o.city, o.redis));
  // Last, so a bad flag is named before a missing certificate file.
  if (absl::Status s = auth::CheckSecuritySettings(o.city, o.service); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(values["config"], ": ", s.message()));
  }
  bool dev_mode = false;
  if (values.contains("dev_mode") && !absl::SimpleAtob(values["dev_mode"], &dev_mode)) {
    return BadFlag("dev_mode", values["dev_mode"], "true or false");
  }
  if (const char* secret = std::getenv("GNLC_PAGE_TOKEN_SECRET"); secret != nullptr) {
    o.page_token_secret = secret;
  }
  if (o.page_token_secret.size() < kMinPageTokenSecret) {
    if (!dev_mode) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GNLC_PAGE_TOKEN_SECRET must hold a secret of at least ", kMinPageTokenSecret,
          " characters, the same for every replica of the city's services (e.g. "
          "`head -c 32 /dev/urandom | base64`); --dev_mode=true starts without one on a "
          "developer's machine"));
    }
    // One process on a laptop: its page tokens are good with itself only.
    o.page_token_secret = RandomSecret();
  }
  return o;
}

ServerOptions TestServerOptions(std::string service, CityConfig city, std::string redis_address) {
  ServerOptions o;
  o.service = std::move(service);
  o.city = std::move(city);
  ResolveSecretPaths(o.city, "", o.service);
  o.jwks_check_every = absl::Milliseconds(100);
  (void)ParseRedisAddress(redis_address, o.redis);
  (void)ReadRedisCredentials(o.city, o.redis);
  // As in production: with replicas, acknowledged means replicated.
  o.redis.replicas_to_ack = o.redis.sentinels.empty() ? 0 : 1;
  o.redis.replica_ack_timeout = absl::Milliseconds(500);
  o.redis.pool_size = 4;
  o.redis.connect_timeout = absl::Milliseconds(300);
  o.redis.command_timeout = absl::Milliseconds(500);
  o.redis.min_backoff = absl::Milliseconds(20);
  o.redis.max_backoff = absl::Milliseconds(200);
  o.page_token_secret = "test-secret";
  o.drain = absl::Milliseconds(100);
  o.grace = absl::Seconds(2);
  return o;
}

}  // namespace gnlc
