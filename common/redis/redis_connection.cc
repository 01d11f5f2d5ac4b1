#include "common/redis/redis_connection.h"

#include <poll.h>
#include <sys/time.h>

#include <csignal>
#include <tuple>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc {
namespace {

// hiredis writes to sockets; a peer that went away must give EPIPE, not kill us.
void IgnoreSigpipeOnce() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

// Whether Redis closed an idle connection (it restarted, or dropped us): an
// idle connection has nothing to read, so anything readable is the close.
// Checked before sending, because a command sent on a closed connection
// fails, and afterwards nobody can tell whether Redis ran it.
bool ClosedByPeer(const redisContext& ctx) {
  pollfd p{.fd = ctx.fd, .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

namespace {

absl::Status StorageUnavailable() {
  return Unavailable("STORAGE_UNAVAILABLE", "storage is unavailable, retry later");
}

// One short-lived connection to a Sentinel: where is the primary?
absl::StatusOr<std::pair<std::string, int>> AskSentinel(const std::string& sentinel,
                                                        const RedisOptions& options) {
  RedisOptions at;
  if (!ParseRedisAddress(sentinel, at).ok()) return absl::InvalidArgumentError("bad sentinel");
  const timeval tv = absl::ToTimeval(options.connect_timeout);
  redisContext* ctx = redisConnectWithTimeout(at.host.c_str(), at.port, tv);
  if (ctx == nullptr || ctx->err != 0) {
    if (ctx != nullptr) redisFree(ctx);
    return StorageUnavailable();
  }
  redisSetTimeout(ctx, tv);
  auto* raw = static_cast<redisReply*>(redisCommand(ctx, "SENTINEL get-master-addr-by-name %b",
                                                    options.primary_name.data(),
                                                    options.primary_name.size()));
  redisFree(ctx);
  if (raw == nullptr) return StorageUnavailable();
  const RedisReply r(raw);
  int port = 0;
  if (r.view().size() != 2 || !absl::SimpleAtoi(r.view()[1].str(), &port)) {
    return StorageUnavailable();  // down, or does not know the name
  }
  return std::make_pair(std::string(r.view()[0].str()), port);
}

absl::Status FailingOver() {
  return WithRetryDelay(Unavailable("STORAGE_UNAVAILABLE",
                                    "storage is changing over to another server: retry after "
                                    "the delay in RetryInfo"),
                        absl::Seconds(1));
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> AskSentinelsForPrimary(const RedisOptions& options) {
  for (const std::string& sentinel : options.sentinels) {
    auto primary = AskSentinel(sentinel, options);
    if (primary.ok()) return primary;
  }
  return StorageUnavailable();
}

bool IsFailoverError(absl::string_view text) {
  for (absl::string_view code : {"READONLY", "MASTERDOWN", "LOADING", "NOREPLICAS", "UNBLOCKED"}) {
    if (absl::StartsWith(text, code)) return true;
  }
  return false;
}

bool IsReadOnlyCommand(absl::string_view name) {
  static const auto* reads =
      new absl::flat_hash_set<std::string>{"GET",         "MGET",          "STRLEN",
                                           "GETBIT",      "BITCOUNT",      "BITPOS",
                                           "EXISTS",      "TYPE",          "TTL",
                                           "PTTL",        "HGET",          "HMGET",
                                           "HGETALL",     "HEXISTS",       "HLEN",
                                           "HKEYS",       "HVALS",         "HSCAN",
                                           "SCARD",       "SISMEMBER",     "SMEMBERS",
                                           "SMISMEMBER",  "SSCAN",         "ZCARD",
                                           "ZCOUNT",      "ZSCORE",        "ZMSCORE",
                                           "ZRANK",       "ZREVRANK",      "ZRANGE",
                                           "ZREVRANGE",   "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
                                           "ZRANGEBYLEX", "ZSCAN",         "LLEN",
                                           "LRANGE",      "LINDEX",        "XLEN",
                                           "XRANGE",      "XREVRANGE",     "XREAD",
                                           "XINFO",       "XPENDING",      "SCAN",
                                           "DBSIZE",      "PING",          "INFO",
                                           "ROLE",        "TIME",          "WAIT",
                                           "EVALSHA_RO",  "EVAL_RO",       "FCALL_RO"};
  // Called for every command a pool sends: upper-cased on the stack, not
  // in a new string (command names are short; a longer one is no read).
  char upper[24];
  if (name.size() > sizeof(upper)) return false;
  for (size_t i = 0; i < name.size(); ++i) upper[i] = absl::ascii_toupper(name[i]);
  return reads->contains(absl::string_view(upper, name.size()));
}

absl::StatusOr<redisContext*> OpenRedisContext(const RedisOptions& options) {
  IgnoreSigpipeOnce();
  std::string host = options.host;
  int port = options.port;
  if (!options.sentinels.empty()) {
    ASSIGN_OR_RETURN(std::tie(host, port), AskSentinelsForPrimary(options));
  }
  const timeval tv = absl::ToTimeval(options.connect_timeout);
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, tv);
  if (ctx == nullptr || ctx->err != 0) {
    if (ctx != nullptr) redisFree(ctx);
    return StorageUnavailable();
  }
  redisSetTimeout(ctx, tv);
  if (!options.password.empty()) {
    // Sent again on every reconnect: hiredis does not remember it.
    auto* r = static_cast<redisReply*>(
        options.user.empty()
            ? redisCommand(ctx, "AUTH %b", options.password.data(), options.password.size())
            : redisCommand(ctx, "AUTH %b %b", options.user.data(), options.user.size(),
                           options.password.data(), options.password.size()));
    // No reply (a timeout: Redis paused or overloaded) is not a refusal.
    const bool answered = r != nullptr;
    const bool ok = answered && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr) freeReplyObject(r);
    if (!ok) {
      redisFree(ctx);
      return Unavailable("STORAGE_UNAVAILABLE", answered ? "storage rejected our credentials"
                                                         : "storage is unavailable, retry later");
    }
  }
  if (!options.sentinels.empty()) {
    // Sentinel may answer with the old primary for a moment after a
    // failover: only a server that says it is a primary is one.
    auto* role = static_cast<redisReply*>(redisCommand(ctx, "ROLE"));
    const bool primary =
        role != nullptr && ReplyView(role).size() > 0 && ReplyView(role)[0].str() == "master";
    if (role != nullptr) freeReplyObject(role);
    if (!primary) {
      redisFree(ctx);
      return FailingOver();
    }
  }
  redisSetTimeout(ctx, absl::ToTimeval(options.command_timeout));
  return ctx;
}

std::string FormatRedisCommand(const std::vector<absl::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (absl::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* formatted = nullptr;
  const int len =
      redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lens.data());
  std::string bytes;
  if (len > 0) bytes.assign(formatted, static_cast<size_t>(len));
  redisFreeCommand(formatted);
  return bytes;
}

absl::StatusOr<RedisReply> ReplyOrError(redisReply* r) {
  RedisReply reply(r);
  if (r->type == REDIS_REPLY_ERROR) {
    std::string text(r->str, r->len);
    // A server loading, demoted or cut off is a passing condition, not a
    // bug: the caller's connection goes, and the primary is found again.
    if (IsFailoverError(text)) return FailingOver();
    // At maxmemory (noeviction) Redis refuses writes, a script at its first
    // write, so nothing was changed: the city must make room (docs/operations/running-a-city.md,
    // "Sizing Redis"), and the caller may retry then.
    if (text.rfind("OOM", 0) == 0) {
      return Unavailable("STORAGE_FULL", "storage is full; retry later");
    }
    return absl::InternalError(absl::StrCat("redis: ", text));
  }
  return reply;
}

RedisMemory ParseRedisMemory(absl::string_view info) {
  RedisMemory m;
  for (absl::string_view line : absl::StrSplit(info, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "used_memory:")) (void)absl::SimpleAtoi(line, &m.used);
    if (absl::ConsumePrefix(&line, "maxmemory:")) (void)absl::SimpleAtoi(line, &m.limit);
  }
  return m;
}

absl::Status ParseRedisAddress(absl::string_view address, RedisOptions& options) {
  if (absl::ConsumePrefix(&address, "sentinel:")) {
    const size_t at = address.find('@');
    const absl::string_view name = address.substr(0, at);
    std::vector<std::string> sentinels;
    if (at != absl::string_view::npos) {
      for (absl::string_view s : absl::StrSplit(address.substr(at + 1), ',')) {
        RedisOptions check;
        if (!ParseRedisAddress(s, check).ok() || !check.sentinels.empty()) break;
        sentinels.emplace_back(s);
      }
    }
    if (name.empty() || at == absl::string_view::npos ||
        sentinels.size() != static_cast<size_t>(absl::c_count(address.substr(at), ',') + 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "redis address must be host:port or sentinel:NAME@HOST:PORT,HOST:PORT,..., got '",
          address, "'"));
    }
    options.primary_name = std::string(name);
    options.sentinels = std::move(sentinels);
    return absl::OkStatus();
  }
  options.sentinels.clear();
  options.primary_name.clear();
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address must be host:port, got '", address, "'"));
  }
  options.host = std::string(address.substr(0, colon));
  options.port = port;
  return absl::OkStatus();
}

RedisConnection::RedisConnection(RedisOptions options)
    : options_(std::move(options)),
      backoff_(options_.min_backoff),
      current_timeout_(options_.command_timeout) {
  IgnoreSigpipeOnce();
}

RedisConnection::~RedisConnection() { Reset(); }

void RedisConnection::Reset() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

void RedisConnection::Fail() {
  Reset();
  next_attempt_ = absl::Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  if (options_.on_error) options_.on_error();
}

absl::Status RedisConnection::EnsureConnected() {
  if (ctx_ != nullptr) return absl::OkStatus();
  if (absl::Now() < next_attempt_) {
    return Unavailable("STORAGE_UNAVAILABLE", "storage is unavailable, retry later");
  }
  absl::StatusOr<redisContext*> ctx = OpenRedisContext(options_);
  if (!ctx.ok()) {
    Fail();
    return ctx.status();
  }
  ctx_ = *ctx;
  current_timeout_ = options_.command_timeout;
  backoff_ = options_.min_backoff;
  return absl::OkStatus();
}

absl::StatusOr<RedisReply> RedisConnection::Command(const std::vector<absl::string_view>& args,
                                                    absl::Duration timeout) {
  // After a Redis restart, each pooled connection reconnects here at once
  // instead of failing its first command.
  if (ctx_ != nullptr && ClosedByPeer(*ctx_)) Reset();
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const absl::Duration wanted = timeout > absl::ZeroDuration() ? timeout : options_.command_timeout;
  if (wanted != current_timeout_) {
    redisSetTimeout(ctx_, absl::ToTimeval(wanted));
    current_timeout_ = wanted;
  }
  const std::string command = FormatRedisCommand(args);
  if (command.empty()) return absl::InvalidArgumentError("redis: empty command");
  void* reply = nullptr;
  if (redisAppendFormattedCommand(ctx_, command.data(), command.size()) != REDIS_OK ||
      redisGetReply(ctx_, &reply) != REDIS_OK) {
    reply = nullptr;
  }
  auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr) {  // I/O error or timeout: the context is unusable now.
    Fail();
    return Unavailable("STORAGE_UNAVAILABLE", "storage is unavailable, retry later");
  }
  const bool failover =
      r->type == REDIS_REPLY_ERROR && IsFailoverError(absl::string_view(r->str, r->len));
  absl::StatusOr<RedisReply> result = ReplyOrError(r);
  if (failover) Fail();  // this server takes no writes now: find the primary again
  return result;
}

}  // namespace gnlc
