// gnlcctl: call any gnlc RPC from the shell with a JSON request.
//
//   gnlcctl list
//   gnlcctl --city=nanjing catalog.SearchPrograms '{"parent":"cities/nanjing","query":"书法"}'
//   echo '{"name":"cities/suzhou/programs/p1"}' | gnlcctl --city=suzhou catalog.GetProgram -
//   gnlcctl --addr=127.0.0.1:50051 --ca=ca.crt --token_file=t grpc.health.v1.Health.Check '{}'
//   gnlcctl token --city=nanjing --role=resident --sub=app-user-17
//   gnlcctl dev-pki --dir=.run/pki --cities=nanjing,suzhou
//   gnlcctl redis-users --dir=redis-users   # users.acl + a password per service
//   gnlcctl --city=nanjing peers            # the mirrors of peer cities' catalogs
//   gnlcctl --city=nanjing health enrollment  # exits 0 only if SERVING
//   gnlcctl --city=nanjing --token=JWT subscribe [--cursor=C] [--limit=N]
//                                           # a mobile backend's notifications
//   gnlcctl --city=nanjing import DIR       # history from CSV files (docs/guides)
//   gnlcctl --city=nanjing archive --before=2022 DIR   # old records out, as import files
//
// Calls use TLS: the CA is --ca, or the city's development CA under --pki
// (.run/pki/CITY/tls/ca.crt) when up.sh made one. The token is --token or
// --token_file, or else, where the city's development issuer exists under
// --pki, a fresh five-minute city_admin token minted with it, so the
// README's examples work on a development network as written; --anonymous
// sends no token at all. --plaintext
// talks to a server started with tls.insecure_plaintext. GNLC_RUN_DIR moves
// the defaults of --network and --pki (as it moves up.sh's run folder).
//
// The response is printed as JSON on stdout. A failed call prints its code,
// message and ErrorInfo on stderr and exits 1; a usage error exits 2.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/auth/dev_pki.h"
#include "common/server/bulk_priority.h"
#include "common/status/errors.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.pb.h"
#include "tools/gnlcctl/client_channel.h"
#include "tools/gnlcctl/history_archive.h"
#include "tools/gnlcctl/history_import.h"
#include "tools/gnlcctl/json_rpc.h"
#include "tools/gnlcctl/subscribe_notifications.h"

namespace {

struct Flags {
  std::string city = "nanjing", network = ".run/network.json", addr, pki = ".run/pki";
  std::string ca, token, token_file, role, sub, partner, dir, cities;
  // subscribe
  std::string backend, cursor, partition;
  bool replay = false;
  int64_t limit = 0;
  // import
  std::string tz = "Asia/Shanghai";
  int batch = 1000, in_flight = 4;
  // archive
  int before_year = 0;
  bool plaintext = false;
  bool anonymous = false;
  int timeout_ms = 5000;
  int ttl_seconds = 3600;
  std::vector<std::string> args;
};

int Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "gnlcctl: %s\n"
      "usage: gnlcctl [--city=ID] [--network=FILE] [--addr=HOST:PORT] [--timeout_ms=N]\n"
      "               [--ca=FILE] [--token=JWT | --token_file=FILE | --anonymous]\n"
      "               [--plaintext]\n"
      "               [--pki=DIR] SERVICE.METHOD JSON|-\n"
      "       gnlcctl list\n"
      "       gnlcctl [--city=ID] peers   (this city's mirrors of its peers' catalogs)\n"
      "       gnlcctl [--city=ID | --addr=HOST:PORT] health [SERVICE]   (exit 0 if SERVING)\n"
      "       gnlcctl [--city=ID] subscribe [--backend=ID] [--cursor=C | --replay]\n"
      "               [--partition=I/N] [--limit=N]   (notifications as JSON lines)\n"
      "       gnlcctl [--city=ID] import DIR [--tz=ZONE] [--batch=N] [--in_flight=N]\n"
      "               (programs.csv, offerings.csv, learners.csv, enrollments.csv)\n"
      "       gnlcctl [--city=ID] archive --before=YEAR DIR [--tz=ZONE]\n"
      "               (learners with nothing since YEAR, out into DIR as import files)\n"
      "       gnlcctl token [--city=ID] [--pki=DIR] --role=ROLE --sub=SUBJECT\n"
      "               [--partner=ID] [--backend=ID (a resident's app: azp)] [--ttl_seconds=N]\n"
      "               (development issuer only)\n"
      "       gnlcctl dev-pki [--dir=DIR] --cities=ID[,ID...]\n"
      "       gnlcctl redis-users --dir=DIR   (users.acl and USER.password files)\n",
      why.c_str());
  return 2;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

int MintToken(const Flags& f) {
  if (f.role.empty() || f.sub.empty()) return Usage("token needs --role and --sub");
  auto issuer = gnlc::auth::LoadDevIssuer(f.pki, f.city);
  if (!issuer.ok()) {
    std::fprintf(stderr, "gnlcctl token: %s\n", std::string(issuer.status().message()).c_str());
    return 1;
  }
  auto token =
      gnlc::auth::MintToken(*issuer,
                            {.role = f.role,
                             .subject = f.sub,
                             .partner = f.partner,
                             .ttl = absl::Seconds(f.ttl_seconds),
                             // A resident's token names the mobile backend it was issued to.
                             .azp = f.role == "resident" ? f.backend : ""},
                            absl::Now());
  if (!token.ok()) return Usage(std::string(token.status().message()));
  std::printf("%s\n", token->c_str());
  return 0;
}

// The security of a call: explicit flags first, then the development PKI.
// A token minted here lives `minted_ttl` (an import may run for an hour).
absl::StatusOr<gnlc::ctl::ClientSecurity> Security(const Flags& f,
                                                   absl::Duration minted_ttl = absl::Minutes(5)) {
  gnlc::ctl::ClientSecurity s;
  s.plaintext = f.plaintext;
  s.ca_file = f.ca;
  const std::string city_dir = absl::StrCat(f.pki, "/", f.city);
  if (s.ca_file.empty() && Exists(city_dir + "/tls/ca.crt")) s.ca_file = city_dir + "/tls/ca.crt";
  s.token = f.token;
  if (s.token.empty() && !f.token_file.empty()) {
    auto text = gnlc::auth::ReadFileToString(f.token_file);
    if (!text.ok()) return text.status();
    s.token = std::string(absl::StripAsciiWhitespace(*text));
  }
  if (s.token.empty() && !f.anonymous && Exists(city_dir + "/auth/dev-issuer.key")) {
    auto issuer = gnlc::auth::LoadDevIssuer(f.pki, f.city);
    if (!issuer.ok()) return issuer.status();
    auto token = gnlc::auth::MintToken(
        *issuer, {.role = "city_admin", .subject = "gnlcctl", .partner = "", .ttl = minted_ttl},
        absl::Now());
    if (!token.ok()) return token.status();
    s.token = *token;
  }
  return s;
}

// Calls `method_name` with a JSON request on the city's service (or --addr).
// A usage problem is INVALID_ARGUMENT with the reason "USAGE".
// Health checks go to `health_of` (a service of the city), the catalog by default.
absl::StatusOr<std::string> Call(const Flags& f, const std::string& method_name,
                                 const std::string& request,
                                 const std::string& health_of = "catalog") {
  auto method = gnlc::ctl::ResolveMethod(method_name);
  if (!method.ok()) return gnlc::InvalidArgument("USAGE", method.status().message());
  std::string addr = f.addr;
  if (addr.empty()) {
    std::string service = gnlc::ctl::ServiceKey(*method);
    if (absl::StartsWith(*method, "grpc.health")) service = health_of;
    auto found = gnlc::ctl::AddressFromNetworkFile(f.network, f.city, service);
    if (!found.ok()) return gnlc::InvalidArgument("USAGE", found.status().message());
    addr = *found;
  }
  auto security = Security(f);
  if (!security.ok()) return gnlc::InvalidArgument("USAGE", security.status().message());
  // Over TLS the token travels as call credentials; plaintext carries
  // none, so there it is added to the call itself.
  const std::string plaintext_token = security->plaintext ? security->token : "";
  auto channel = gnlc::ctl::ClientChannel(addr, *security);
  return gnlc::ctl::CallJson(*channel, *method, request, absl::Milliseconds(f.timeout_ms),
                             plaintext_token);
}

int PrintError(const absl::Status& status) {
  if (gnlc::ErrorReason(status) == "USAGE") return Usage(std::string(status.message()));
  std::string metadata;
  for (const auto& [k, v] : gnlc::ErrorMetadataOf(status)) {
    absl::StrAppend(&metadata, metadata.empty() ? "" : ", ", k, "=", v);
  }
  std::fprintf(stderr, "%s: %s\n  reason: %s\n  metadata: {%s}\n",
               absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str(), gnlc::ErrorReason(status).c_str(),
               metadata.c_str());
  return 1;
}

// How long ago `t` was, for people: "3s ago", "never".
std::string Ago(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0) return "never";
  const int64_t s = absl::ToInt64Seconds(absl::Now() - absl::FromUnixSeconds(t.seconds()));
  if (s < 120) return absl::StrCat(s, "s ago");
  if (s < 7200) return absl::StrCat(s / 60, "m ago");
  return absl::StrCat(s / 3600, "h ago");
}

// gnlcctl peers: each peer's mirror in this city's catalog, one line each.
int PrintPeers(const Flags& f) {
  auto json =
      Call(f, "catalog.ListPeerStatuses", absl::StrCat(R"({"parent":"cities/)", f.city, R"("})"));
  if (!json.ok()) return PrintError(json.status());
  gnlc::catalog::v1::ListPeerStatusesResponse resp;
  if (!google::protobuf::util::JsonStringToMessage(*json, &resp).ok()) {
    std::fprintf(stderr, "gnlcctl peers: unexpected response\n");
    return 1;
  }
  if (resp.peers_size() == 0) std::printf("no peers configured\n");
  for (const auto& p : resp.peers()) {
    absl::string_view name = gnlc::catalog::v1::PeerState_Name(p.state());
    absl::ConsumePrefix(&name, "PEER_STATE_");
    const std::string state(name);
    std::printf(
        "%-10s %-12s %6lld programs %7lld offerings  generation %lld  as of %s  "
        "last success %s  behind %lld changes (%.1fs)  skipped %lld",
        p.city().c_str(), absl::AsciiStrToLower(state).c_str(),
        static_cast<long long>(p.programs()), static_cast<long long>(p.offerings()),
        static_cast<long long>(p.generation()), Ago(p.mirrored_as_of()).c_str(),
        Ago(p.last_success_time()).c_str(), static_cast<long long>(p.lag_changes()),
        p.lag_seconds(), static_cast<long long>(p.records_skipped()));
    // The last error, while it is news: not once a call has succeeded since.
    if (!p.last_error_message().empty() &&
        p.last_error_time().seconds() >= p.last_success_time().seconds()) {
      std::printf("\n%-10s last error %s: %s (%s)", "", p.last_error_code().c_str(),
                  p.last_error_message().c_str(), Ago(p.last_error_time()).c_str());
    }
    std::printf("\n");
  }
  return 0;
}

// gnlcctl health [SERVICE]: prints the server's status and exits 0 only if
// it is SERVING, so that container health checks and scripts can use it.
int PrintHealth(const Flags& f, const std::string& service) {
  auto json = Call(f, "grpc.health.v1.Health.Check", "{}", service);
  if (!json.ok()) return PrintError(json.status());
  grpc::health::v1::HealthCheckResponse resp;
  if (!google::protobuf::util::JsonStringToMessage(*json, &resp).ok()) {
    std::fprintf(stderr, "gnlcctl health: unexpected response\n");
    return 1;
  }
  std::printf("%s\n",
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

// gnlcctl subscribe: SubscribeNotifications of the city's enrollment service.
int Subscribe(const Flags& f) {
  gnlc::enrollment::v1::SubscribeNotificationsRequest req;
  req.set_parent(absl::StrCat("cities/", f.city));
  req.set_backend(f.backend);
  req.set_cursor(f.cursor);
  req.set_replay_retained(f.replay);
  if (!f.partition.empty()) {
    std::vector<std::string> parts = absl::StrSplit(f.partition, '/');
    int i = 0, n = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &i) || !absl::SimpleAtoi(parts[1], &n)) {
      return Usage("--partition takes I/N, e.g. 0/3");
    }
    req.set_partition(i);
    req.set_partition_count(n);
  }
  std::string addr = f.addr;
  if (addr.empty()) {
    auto found = gnlc::ctl::AddressFromNetworkFile(f.network, f.city, "enrollment");
    if (!found.ok()) return Usage(std::string(found.status().message()));
    addr = *found;
  }
  auto security = Security(f);
  if (!security.ok()) return Usage(std::string(security.status().message()));
  auto channel = gnlc::ctl::ClientChannel(addr, *security);
  return gnlc::ctl::SubscribeNotifications(*channel, req,
                                           security->plaintext ? security->token : "", f.limit);
}

// gnlcctl import DIR: the city's history through the catalog's and
// enrollment's ImportHistory RPCs (tools/gnlcctl/history_import.h).
int Import(const Flags& f, const std::string& dir) {
  gnlc::ctl::HistoryImportOptions o;
  o.dir = dir;
  o.city = f.city;
  if (!absl::LoadTimeZone(f.tz, &o.tz)) return Usage("--tz: unknown time zone " + f.tz);
  o.batch_rows = f.batch;
  o.in_flight = f.in_flight;
  std::shared_ptr<grpc::Channel> channels[2];
  const char* services[2] = {"catalog", "enrollment"};
  auto security = Security(f, absl::Hours(2));
  if (!security.ok()) return Usage(std::string(security.status().message()));
  o.plaintext_token = security->plaintext ? security->token : "";
  for (int i = 0; i < 2; ++i) {
    std::string addr = f.addr;
    if (addr.empty()) {
      auto found = gnlc::ctl::AddressFromNetworkFile(f.network, f.city, services[i]);
      if (!found.ok()) return Usage(std::string(found.status().message()));
      addr = *found;
    }
    channels[i] = gnlc::ctl::ClientChannel(addr, *security);
  }
  return gnlc::ctl::ImportHistory(channels[0], channels[1], o).exit_code;
}

// gnlcctl archive --before=YEAR DIR: learners with nothing since the start
// of YEAR out of Redis into import files (tools/gnlcctl/history_archive.h).
int Archive(const Flags& f, const std::string& dir) {
  gnlc::ctl::HistoryArchiveOptions o;
  o.dir = dir;
  o.city = f.city;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(f.tz, &tz)) return Usage("--tz: unknown time zone " + f.tz);
  o.before = absl::FromCivil(absl::CivilYear(f.before_year), tz);
  if (o.before > absl::Now()) return Usage("--before: that year has not begun");
  auto security = Security(f, absl::Hours(2));
  if (!security.ok()) return Usage(std::string(security.status().message()));
  o.plaintext_token = security->plaintext ? security->token : "";
  std::string addr = f.addr;
  if (addr.empty()) {
    auto found = gnlc::ctl::AddressFromNetworkFile(f.network, f.city, "enrollment");
    if (!found.ok()) return Usage(std::string(found.status().message()));
    addr = *found;
  }
  return gnlc::ctl::ArchiveHistory(gnlc::ctl::ClientChannel(addr, *security), o).exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (const char* run = std::getenv("GNLC_RUN_DIR"); run != nullptr && *run != '\0') {
    f.network = absl::StrCat(run, "/network.json");
    f.pki = absl::StrCat(run, "/pki");
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](absl::string_view flag, std::string& out) {
      const std::string prefix = absl::StrCat("--", flag, "=");
      if (!absl::StartsWith(a, prefix)) return false;
      out = a.substr(prefix.size());
      return true;
    };
    std::string number;
    if (value("city", f.city) || value("network", f.network) || value("addr", f.addr) ||
        value("pki", f.pki) || value("ca", f.ca) || value("token", f.token) ||
        value("token_file", f.token_file) || value("role", f.role) || value("sub", f.sub) ||
        value("partner", f.partner) || value("dir", f.dir) || value("cities", f.cities) ||
        value("backend", f.backend) || value("cursor", f.cursor) ||
        value("partition", f.partition) || value("tz", f.tz)) {
      continue;
    }
    if (value("timeout_ms", number)) {
      if (!absl::SimpleAtoi(number, &f.timeout_ms)) return Usage("--timeout_ms takes a number");
    } else if (value("ttl_seconds", number)) {
      if (!absl::SimpleAtoi(number, &f.ttl_seconds) || f.ttl_seconds <= 0) {
        return Usage("--ttl_seconds takes a positive number");
      }
    } else if (value("before", number)) {
      if (!absl::SimpleAtoi(number, &f.before_year) || f.before_year < 2000 ||
          f.before_year > 9999) {
        return Usage("--before takes a year, e.g. 2022");
      }
    } else if (value("batch", number)) {
      if (!absl::SimpleAtoi(number, &f.batch) || f.batch < 1 || f.batch > 1000) {
        return Usage("--batch takes 1 to 1000 rows");
      }
    } else if (value("in_flight", number)) {
      if (!absl::SimpleAtoi(number, &f.in_flight) || f.in_flight < 1 || f.in_flight > 16) {
        return Usage("--in_flight takes 1 to 16");
      }
    } else if (value("limit", number)) {
      if (!absl::SimpleAtoi(number, &f.limit) || f.limit < 0) {
        return Usage("--limit takes a number (0: no limit)");
      }
    } else if (a == "--replay") {
      f.replay = true;
    } else if (a == "--plaintext") {
      f.plaintext = true;
    } else if (a == "--anonymous") {
      f.anonymous = true;
    } else if (absl::StartsWith(a, "--")) {
      return Usage("unknown flag " + a);
    } else {
      f.args.push_back(a);
    }
  }
  if (f.args.size() == 1 && f.args[0] == "list") {
    for (const auto& m : gnlc::ctl::ListMethods()) std::printf("%s\n", m.c_str());
    return 0;
  }
  if (f.args.size() == 1 && f.args[0] == "token") return MintToken(f);
  if (f.args.size() == 1 && f.args[0] == "dev-pki") {
    if (f.cities.empty()) return Usage("dev-pki needs --cities");
    const absl::Status s = gnlc::auth::WriteDevPki(
        f.dir.empty() ? f.pki : f.dir, absl::StrSplit(f.cities, ',', absl::SkipEmpty()));
    if (!s.ok()) std::fprintf(stderr, "gnlcctl dev-pki: %s\n", std::string(s.message()).c_str());
    return s.ok() ? 0 : 1;
  }
  if (f.args.size() == 1 && f.args[0] == "redis-users") {
    if (f.dir.empty()) return Usage("redis-users needs --dir");
    const absl::Status s = gnlc::auth::WriteRedisUsers(f.dir);
    if (!s.ok())
      std::fprintf(stderr, "gnlcctl redis-users: %s\n", std::string(s.message()).c_str());
    if (s.ok()) std::printf("wrote %s/users.acl and a password file per user\n", f.dir.c_str());
    return s.ok() ? 0 : 1;
  }
  if (f.args.size() == 1 && f.args[0] == "peers") return PrintPeers(f);
  if (f.args.size() == 1 && f.args[0] == "subscribe") return Subscribe(f);
  if (!f.args.empty() && f.args[0] == "archive") {
    if (f.args.size() != 2 || f.before_year == 0) {
      return Usage("archive takes --before=YEAR and one folder");
    }
    return Archive(f, f.args[1]);
  }
  if (!f.args.empty() && f.args[0] == "import") {
    if (f.args.size() != 2) return Usage("import takes one folder of CSV files");
    // A bulk job: it yields the CPU to a city's servers when it runs beside
    // them (before any thread starts, so that gRPC's threads inherit it).
    gnlc::MarkThisThreadBulk();
    return Import(f, f.args[1]);
  }
  if (!f.args.empty() && f.args.size() <= 2 && f.args[0] == "health") {
    return PrintHealth(f, f.args.size() == 2 ? f.args[1] : "catalog");
  }
  if (f.args.size() != 2) return Usage("expected a method and a JSON request");
  std::string request = f.args[1];
  if (request == "-") {
    request.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto response = Call(f, f.args[0], request);
  if (!response.ok()) return PrintError(response.status());
  std::printf("%s\n", response->c_str());
  return 0;
}
