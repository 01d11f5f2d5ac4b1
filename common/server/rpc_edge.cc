#include "common/server/rpc_edge.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/validation/wire_utf8.h"

namespace gnlc {
namespace {

using auth::Access;
using auth::Role;

// HMAC-SHA256 of `data` under `key`.
std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// The resource a request is about: its name, or the name of the resource it
// carries, or the learner, enrollment, partnership or offering it names, or
// its parent.
std::string ResourceOf(const google::protobuf::Message& request) {
  const auto* descriptor = request.GetDescriptor();
  const auto* reflection = request.GetReflection();
  for (const char* field_name :
       {"name", "enrollment", "learner", "partnership", "offering", "partner", "parent"}) {
    const auto* field = descriptor->FindFieldByName(field_name);
    if (field == nullptr || field->is_repeated()) continue;
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      std::string value = reflection->GetString(request, field);
      if (!value.empty()) return value.substr(0, 200);
    } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
               reflection->HasField(request, field)) {
      const auto& inner = reflection->GetMessage(request, field);
      const auto* name = inner.GetDescriptor()->FindFieldByName("name");
      if (name != nullptr && name->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
          !name->is_repeated()) {
        std::string value = inner.GetReflection()->GetString(inner, name);
        if (!value.empty()) return value.substr(0, 200);
      }
    }
  }
  return "";
}

// Refusals that say "not now" rather than "not you": logged as counts like
// denials, but not audit lines.
bool IsRefusal(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kResourceExhausted) return false;
  const std::string reason = ErrorReason(status);
  return reason == "RATE_LIMITED" || reason == "AUTH_FAILURES_FROM_SOURCE" ||
         reason == "SERVER_BUSY";
}

bool ShouldAudit(const auth::MethodPolicy* policy, const CallAuth& call,
                 const absl::Status& status) {
  if (IsDenied(status)) return true;
  if (policy == nullptr) return false;
  if (policy->kind == auth::CallKind::kDataRights) return true;
  // Who read whom: staff, partners and backends; a resident reading their
  // own records is not news.
  if (policy->kind == auth::CallKind::kPersonalRead) return call.caller.role != Role::kResident;
  return policy->kind == auth::CallKind::kChange &&
         (call.caller.role == Role::kCityAdmin || call.caller.role == Role::kPartnerAdmin);
}

// Takes a token of the caller's fair share: RESOURCE_EXHAUSTED
// (RATE_LIMITED, with RetryInfo) when there is none. Before the table is
// checked, so that a caller flooding methods it may not call is limited too
// (a method not in the table counts as a read).
absl::Status TakeFairShare(const grpc::CallbackServerContext& ctx, const RpcEdge& edge,
                           absl::string_view method, absl::Time now, const CallAuth& call) {
  if (edge.limiter == nullptr) return absl::OkStatus();
  const auth::Caller& caller = call.caller;
  for (Role unlimited : edge.unlimited_roles) {
    if (caller.role == unlimited) return absl::OkStatus();
  }
  RateClass rate_class = RateClass::kRead;
  switch (call.policy == nullptr ? auth::CallKind::kRead : call.policy->kind) {
    case auth::CallKind::kRead:
    case auth::CallKind::kPersonalRead:
      rate_class = absl::StartsWith(method, "Search") ? RateClass::kSearch : RateClass::kRead;
      break;
    case auth::CallKind::kChange:
      rate_class = RateClass::kWrite;
      break;
    case auth::CallKind::kDataRights:
      rate_class = RateClass::kDataRights;
      break;
  }
  RateLimiter* limiter = edge.limiter.get();
  std::string key;
  if (caller.role == Role::kMobileBackend) {
    key = absl::StrCat("mobile_backend:", caller.subject);
    if (auto it = edge.backend_limiters.find(caller.subject); it != edge.backend_limiters.end()) {
      limiter = it->second.get();
    }
  } else if (caller.role == Role::kPeerCity) {
    key = absl::StrCat("peer:", caller.peer_city);
  } else if (caller.role == Role::kAnonymous) {
    // The address, not the connection: reconnecting does not refill it.
    key = absl::StrCat("ip:", SourceAddress(ctx.peer()));
  } else {
    key = absl::StrCat(auth::RoleName(caller.role), ":", caller.subject);
  }
  auto wait = limiter->Admit(rate_class, key, now);
  if (!wait) return absl::OkStatus();
  if (auto* counter = edge.limited[static_cast<size_t>(rate_class)]) counter->Increment();
  return WithRetryDelay(
      MakeError(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                absl::StrCat("too many ", RateClassName(rate_class),
                             " calls from this caller: retry after the delay in RetryInfo"),
                {{"class", RateClassName(rate_class)}}),
      *wait);
}

}  // namespace

// A stable pseudonym of a token subject for audit lines: the same caller
// always gets the same value within a city, and without the city's key
// nobody can test a guessed subject against it (a bare hash of a phone
// number or an e-mail address is reversed by trying them all).
std::string Pseudonym(absl::string_view key, absl::string_view subject) {
  if (subject.empty()) return "";
  return absl::BytesToHexString(Hmac(key, subject).substr(0, 12));
}

absl::string_view SourceAddress(absl::string_view peer) { return peer.substr(0, peer.rfind(':')); }

std::optional<absl::Duration> TarpitHold(const RpcEdge& edge, const absl::Status& refused) {
  if (edge.tarpit == nullptr || ErrorReason(refused) != "AUTH_FAILURES_FROM_SOURCE") {
    return std::nullopt;
  }
  const absl::Duration wait = RetryDelayOf(refused).value_or(RefusalTarpit::kMinHold);
  return std::clamp(wait, RefusalTarpit::kMinHold, RefusalTarpit::kMaxHold);
}

// The city's secret, never the key itself: one key per purpose.
std::string AuditKey(const ServerOptions& options) {
  return Hmac(options.page_token_secret, "gnlc audit pseudonym v1");
}

RpcEdge MakeRpcEdge(const ServerOptions& options, Metrics* metrics, std::string domain) {
  RpcEdge edge;
  edge.metrics = metrics;
  if (auto limits = LimitsFromConfig(options.city.rate_limits())) {
    edge.limiter = std::make_shared<RateLimiter>(*limits);
    for (const auto& backend : options.city.rate_limits().backends()) {
      // Ids were checked at start (ParseServerOptions): one entry each.
      edge.backend_limiters[backend.id()] =
          std::make_shared<RateLimiter>(BackendLimitsFrom(*limits, backend));
    }
  }
  edge.refusals = std::make_shared<RefusalLog>();
  // The city's own services are trusted infrastructure: the residents
  // behind them were counted where they came in.
  edge.unlimited_roles = {Role::kService};
  for (const std::string& name : options.city.rate_limits().exempt_roles()) {
    // Names were checked at start (ParseServerOptions).
    if (auto role = auth::RoleFromName(name)) edge.unlimited_roles.push_back(*role);
  }
  if (metrics != nullptr) {
    auto& family = prometheus::BuildCounter()
                       .Name("gnlc_rate_limited_total")
                       .Help("Calls refused because their caller was over its fair share")
                       .Register(metrics->registry());
    for (size_t c = 0; c < kRateClasses; ++c) {
      edge.limited[c] = &family.Add({{"class", RateClassName(static_cast<RateClass>(c))}});
    }
    edge.auth_failed = &prometheus::BuildCounter()
                            .Name("gnlc_auth_failed_total")
                            .Help("Calls whose token (or client certificate) failed authentication")
                            .Register(metrics->registry())
                            .Add({});
  }
  edge.domain = std::move(domain);
  edge.log_requests = options.log_requests;
  edge.authn = std::make_shared<auth::Authenticator>(options.city, options.jwks_check_every);
  edge.audit_key = AuditKey(options);
  edge.tarpit = std::make_shared<RefusalTarpit>();
  return edge;
}

RpcEdge MakeWaitingRpcEdge(const ServerOptions& options, Metrics* metrics, std::string domain) {
  RpcEdge edge = MakeRpcEdge(options, metrics, std::move(domain));
  edge.handlers = std::make_shared<HandlerPool>(options.handler_threads, options.handler_queue);
  return edge;
}

absl::Status AuthorizeCall(const grpc::CallbackServerContext& ctx, const RpcEdge& edge,
                           absl::string_view method, absl::Time now, CallAuth& call) {
  if (edge.authn == nullptr) return absl::InternalError("no authenticator configured");
  call.policy = auth::FindPolicy(absl::StrCat(edge.service, "/", method));
  RateLimiter* limiter = edge.limiter.get();
  const std::string peer = ctx.peer();
  const absl::string_view source = SourceAddress(peer);
  // A source out of failed authentications gets no signature checked for
  // a while: a token verified before (a mobile backend's residents) still
  // works from there, a new or forged one is refused unread.
  if (limiter != nullptr) {
    if (auto wait = limiter->Exhausted(RateClass::kAuthFailure, source, now);
        wait && edge.authn->WouldCheckSignature(ctx, now)) {
      if (auto* counter = edge.limited[static_cast<size_t>(RateClass::kAuthFailure)]) {
        counter->Increment();
      }
      return WithRetryDelay(
          MakeError(absl::StatusCode::kResourceExhausted, "AUTH_FAILURES_FROM_SOURCE",
                    "too many calls with tokens that failed came from this address: retry "
                    "with a valid token after the delay in RetryInfo"),
          *wait);
    }
  }
  auto caller = edge.authn->Authenticate(ctx, now);
  if (!caller.ok()) {
    if (limiter != nullptr) limiter->Charge(RateClass::kAuthFailure, source, now);
    if (edge.auth_failed != nullptr) edge.auth_failed->Increment();
    return Denied(caller.status());
  }
  call.caller = std::move(*caller);
  if (absl::Status share = TakeFairShare(ctx, edge, method, now, call); !share.ok()) {
    return share;
  }
  const Access access =
      call.policy == nullptr ? Access::kDeny : auth::AccessFor(*call.policy, call.caller);
  if (access == Access::kDeny) {
    if (call.caller.role == Role::kAnonymous) {
      return Denied(MakeError(absl::StatusCode::kUnauthenticated, "TOKEN_MISSING",
                              "this method needs a bearer token in the authorization header"));
    }
    return Denied(MakeError(
        absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
        absl::StrCat("the ", auth::RoleName(call.caller.role), " role may not call ", method)));
  }
  call.own_only = access == Access::kOwn;
  return absl::OkStatus();
}

absl::Status ServerBusy() {
  return WithRetryDelay(
      MakeError(absl::StatusCode::kResourceExhausted, "SERVER_BUSY",
                "this replica has more calls waiting than it can take: retry after the delay in "
                "RetryInfo"),
      absl::Milliseconds(250));
}

void ServiceSetupError(absl::string_view message) {
  LogJson(LogLevel::kError, "service_setup", {{"detail", std::string(message)}});
  // Also where a crashed process's last words are looked for.
  std::fprintf(stderr, "gnlc: service setup: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::abort();
}

absl::Status DeniedUncheckedOwnership() {
  return Denied(MakeError(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                          "this method is not available to this caller"));
}

absl::Status ParseRequest(const grpc::ByteBuffer& in, google::protobuf::Message& request) {
  grpc::Slice flat;
  const bool read = in.DumpToSingleSlice(&flat).ok();
  const absl::string_view bytes(reinterpret_cast<const char*>(flat.begin()), flat.size());
  if (read && request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  const std::string type(request.GetDescriptor()->name());
  const std::string field = read ? FindInvalidUtf8Field(*request.GetDescriptor(), bytes) : "";
  if (!field.empty()) {
    return InvalidArgument("MALFORMED_REQUEST",
                           absl::StrCat("the request's field '", field,
                                        "' is not valid UTF-8: string fields must be UTF-8 text"),
                           {{"field", field}});
  }
  return InvalidArgument("MALFORMED_REQUEST",
                         absl::StrCat("the request is not a valid ", type,
                                      " message: send the serialized protobuf of this method's "
                                      "request type"));
}

absl::Status SerializeResponse(const google::protobuf::Message& response, size_t max_bytes,
                               grpc::ByteBuffer& out) {
  const size_t size = response.ByteSizeLong();
  if (size > max_bytes) {
    return absl::InternalError(absl::StrCat("a ", response.GetDescriptor()->name(), " of ", size,
                                            " bytes is over the ", max_bytes, " byte limit"));
  }
  bool own_buffer = false;
  grpc::Status serialized =
      grpc::SerializationTraits<google::protobuf::Message>::Serialize(response, &out, &own_buffer);
  if (!serialized.ok()) return absl::InternalError("a response failed to serialize");
  return absl::OkStatus();
}

grpc::Status CompleteCall(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                          absl::string_view method, const google::protobuf::Message& request,
                          const CallAuth& call, const absl::Status& status, absl::Time start) {
  grpc::Status wire = ToGrpcStatus(status, edge.domain);
  const absl::Duration elapsed = absl::Now() - start;
  if (edge.metrics != nullptr) {
    edge.metrics->Record(method, wire.error_code(), absl::ToDoubleSeconds(elapsed));
  }
  const bool denied = IsDenied(status);
  // A refusal or denial like one already written in this interval is only
  // counted (refusal_log.h); the first is written in full, a denial as its
  // audit line alone.
  bool in_full = true;
  if ((denied || IsRefusal(status)) && edge.refusals != nullptr) {
    in_full = edge.refusals->First({std::string(SourceAddress(ctx->peer())), ErrorReason(status),
                                    auth::RoleName(call.caller.role),
                                    Pseudonym(edge.audit_key, call.caller.subject), denied});
  }
  if ((!status.ok() && !denied && in_full) || edge.log_requests) {
    LogCall(*ctx, method, status, elapsed);
  }
  if (in_full && ShouldAudit(call.policy, call, status)) {
    LogAudit({{"method", absl::StrCat(edge.service, "/", method)},
              {"role", auth::RoleName(call.caller.role)},
              {"subject", Pseudonym(edge.audit_key, call.caller.subject)},
              {"issuer", call.caller.issuer},
              {"source", ctx->peer()},
              {"partner", call.caller.partner},
              {"peer_city", call.caller.peer_city},
              {"resource", ResourceOf(request)},
              {"code", absl::StatusCodeToString(status.code())},
              {"reason", ErrorReason(status)},
              {"denied", denied ? "true" : "false"}});
  }
  // gRFC A6: a client with a retry policy waits this long before retrying.
  if (auto delay = RetryDelayOf(status)) {
    ctx->AddTrailingMetadata("grpc-retry-pushback-ms",
                             absl::StrCat(absl::ToInt64Milliseconds(*delay)));
  }
  return wire;
}

namespace {

// A stream refused before it began: finishes at once and frees itself.
class RefusedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* RefuseStream(grpc::Status status) {
  return new RefusedStream(std::move(status));
}

void LogCall(const grpc::CallbackServerContext& ctx, absl::string_view method,
             const absl::Status& status, absl::Duration elapsed) {
  std::string traceparent;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("traceparent"); it != md.end()) {
    traceparent.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
  }
  const bool internal = IsInternalError(status.code());
  LogJson(internal ? LogLevel::kError : (status.ok() ? LogLevel::kInfo : LogLevel::kWarn), "rpc",
          {{"method", std::string(method)},
           {"code", absl::StatusCodeToString(status.code())},
           {"reason", ErrorReason(status)},
           // Internal messages are for operators only; they never reach callers.
           {"detail", std::string(status.message())},
           {"latency_ms", absl::StrCat(absl::ToDoubleMilliseconds(elapsed))},
           {"traceparent", traceparent},
           {"peer", ctx.peer()}});
}

}  // namespace gnlc
