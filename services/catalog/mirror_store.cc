#include "services/catalog/mirror_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/names/resource_names.h"
#include "common/redis/redis_script.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::catalog {
namespace {

// Stream entries kept per peer: replicas that fall further behind reload
// the generation instead.
constexpr char kStreamMaxLen[] = "100000";

// KEYS: lease; ARGV: holder, ttl ms. 1 when the caller holds the lease now.
const RedisScript& LeaseScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");
  return *script;
}

// KEYS: lease; ARGV: holder
const RedisScript& ReleaseScript() {
  static const RedisScript* script = new RedisScript(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return *script;
}

// The checks every mirror write starts with. KEYS[1] state, KEYS[2] lease,
// ARGV[1] holder.
constexpr absl::string_view kFenceLua = R"lua(
local function gnlc_fenced()
  return redis.call('GET', KEYS[2]) == ARGV[1]
end
)lua";

// KEYS: state, lease, records, seqs, stream, bytes
// ARGV: holder, generation, 'building'|'generation', cursor field, from, to,
//       publish event ('' none), maxlen, as_of ms ('' keep), max records,
//       max bytes, then (member, sequence, bytes) triples
// Returns 'OK' and the number of writes refused for the quota.
const RedisScript& ApplyScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, kPublishLua, R"lua(
if not gnlc_fenced() then return 'LEASE' end
if redis.call('HGET', KEYS[1], ARGV[3]) ~= ARGV[2] then return 'GENERATION' end
if (redis.call('HGET', KEYS[1], ARGV[4]) or '') ~= ARGV[5] then return 'CURSOR' end
local max_records, max_bytes = tonumber(ARGV[10]), tonumber(ARGV[11])
local records = redis.call('HLEN', KEYS[3])
local bytes = tonumber(redis.call('GET', KEYS[6]) or '0')
local refused = 0
for i = 12, #ARGV, 3 do
  local old = redis.call('HSTRLEN', KEYS[3], ARGV[i])
  local grows = #ARGV[i + 2] - old
  local new = old == 0 and ARGV[i + 2] ~= ''
  if ARGV[i + 2] ~= '' and ((new and records >= max_records) or
                            (grows > 0 and bytes + grows > max_bytes)) then
    -- Past the quota: a new record is kept as skipped (its position
    -- counted, as the peer counts it), an existing one as it was.
    refused = refused + 1
    if new then
      redis.call('HSET', KEYS[4], ARGV[i], '-' .. string.gsub(ARGV[i + 1], '^%-', ''))
    end
  else
    if ARGV[i + 1] == '0' then
      redis.call('HDEL', KEYS[4], ARGV[i])
    else
      redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
    end
    if ARGV[i + 2] == '' then
      if old > 0 then records = records - 1 end
      bytes = bytes - old
      redis.call('HDEL', KEYS[3], ARGV[i])
    else
      if new then records = records + 1 end
      bytes = bytes + grows
      redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
    end
  end
end
redis.call('SET', KEYS[6], math.max(bytes, 0))
redis.call('HSET', KEYS[1], ARGV[4], ARGV[6])
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'as_of_ms', ARGV[9]) end
if ARGV[7] ~= '' then gnlc_publish(KEYS[5], ARGV[8], ARGV[7]) end
return {'OK', refused}
)lua"));
  return *script;
}

// KEYS: state, lease, records, seqs, bytes (of the new generation),
// records, seqs, bytes (of a generation whose build it abandons, or the new
// one's again)
// ARGV: holder, gen
const RedisScript& StartScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, R"lua(
if not gnlc_fenced() then return 'LEASE' end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('HSET', KEYS[1], 'building', ARGV[2], 'build_cursor', '')
return 'OK'
)lua"));
  return *script;
}

// KEYS: state, lease, stream, old records, old seqs, old bytes
// ARGV: holder, generation, event, maxlen, build cursor
const RedisScript& SwapScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, kPublishLua, R"lua(
if not gnlc_fenced() then return 'LEASE' end
if redis.call('HGET', KEYS[1], 'building') ~= ARGV[2] then return 'GENERATION' end
if (redis.call('HGET', KEYS[1], 'build_cursor') or '') ~= ARGV[5] then return 'CURSOR' end
redis.call('HSET', KEYS[1], 'generation', ARGV[2], 'cursor', ARGV[5])
redis.call('HDEL', KEYS[1], 'building', 'build_cursor')
redis.call('UNLINK', KEYS[4], KEYS[5], KEYS[6])
gnlc_publish(KEYS[3], ARGV[4], ARGV[3])
return 'OK'
)lua"));
  return *script;
}

// KEYS: state, lease; ARGV: holder, as_of ms
const RedisScript& AsOfScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, R"lua(
if not gnlc_fenced() then return 'LEASE' end
redis.call('HSET', KEYS[1], 'as_of_ms', ARGV[2])
return 'OK'
)lua"));
  return *script;
}

absl::Status Outcome(const absl::StatusOr<RedisReply>& reply) {
  if (!reply.ok()) return reply.status();
  const absl::string_view outcome = reply->view().str();
  if (outcome == "OK") return absl::OkStatus();
  return FailedPrecondition("MIRROR_MOVED",
                            absl::StrCat("the mirror changed under this harvester (", outcome,
                                         "): another replica holds the lease or moved on"));
}

std::string MirrorEvent(absl::string_view peer, int64_t generation, bool swapped,
                        const std::vector<MirrorWrite>& writes) {
  Event e = NewEvent(peer, CityName(peer), absl::Now());
  auto* m = e.mutable_mirror_changed();
  m->set_origin_city(std::string(peer));
  m->set_generation(generation);
  m->set_swapped(swapped);
  for (const MirrorWrite& w : writes) m->add_members(w.member);
  return EncodeEvent(e);
}

}  // namespace

MirrorStore::MirrorStore(RedisPool* pool, std::string peer, MirrorQuota quota)
    : pool_(pool), peer_(std::move(peer)), quota_(quota) {}

std::string MirrorStore::Key(absl::string_view suffix) const {
  return absl::StrCat("cat:{m:", peer_, "}:", suffix);
}

std::string MirrorStore::GenerationKey(int64_t generation, absl::string_view what) const {
  return Key(absl::StrCat("g", generation, ":", what));
}

std::string MirrorStore::EventsKey() const { return Key("events"); }

absl::StatusOr<MirrorState> MirrorStore::ReadState() {
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command({"HGETALL", Key("state")}));
  MirrorState state;
  const ReplyView r = reply.view();
  for (size_t i = 0; i + 1 < r.size(); i += 2) {
    const absl::string_view field = r[i].str(), value = r[i + 1].str();
    if (field == "generation") (void)absl::SimpleAtoi(value, &state.generation);
    if (field == "cursor") state.cursor = std::string(value);
    if (field == "building") (void)absl::SimpleAtoi(value, &state.building);
    if (field == "build_cursor") state.build_cursor = std::string(value);
    if (field == "as_of_ms") (void)absl::SimpleAtoi(value, &state.as_of_ms);
  }
  return state;
}

absl::StatusOr<bool> MirrorStore::HoldLease(absl::string_view holder, absl::Duration ttl) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   LeaseScript().Run(*pool_, {Key("lease")},
                                     {holder, std::to_string(absl::ToInt64Milliseconds(ttl))}));
  return reply.view().integer() == 1;
}

absl::StatusOr<std::string> MirrorStore::LeaseHolder() {
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command({"GET", Key("lease")}));
  return std::string(reply.view().str());
}

absl::Status MirrorStore::ReleaseLease(absl::string_view holder) {
  return ReleaseScript().Run(*pool_, {Key("lease")}, {holder}).status();
}

absl::Status MirrorStore::StartBuilding(absl::string_view holder, int64_t generation,
                                        int64_t abandoned) {
  const int64_t dropped = abandoned != 0 ? abandoned : generation;
  return Outcome(
      StartScript().Run(*pool_,
                        {Key("state"), Key("lease"), GenerationKey(generation, "records"),
                         GenerationKey(generation, "seqs"), GenerationKey(generation, "bytes"),
                         GenerationKey(dropped, "records"), GenerationKey(dropped, "seqs"),
                         GenerationKey(dropped, "bytes")},
                        {holder, std::to_string(generation)}));
}

absl::StatusOr<int64_t> MirrorStore::Apply(absl::string_view holder, int64_t generation,
                                           bool building, absl::string_view from,
                                           absl::string_view to,
                                           const std::vector<MirrorWrite>& writes,
                                           int64_t as_of_ms) {
  const std::string gen = std::to_string(generation);
  const std::string event =
      building || writes.empty() ? "" : MirrorEvent(peer_, generation, false, writes);
  const std::string as_of = as_of_ms > 0 ? std::to_string(as_of_ms) : "";
  const std::string max_records = std::to_string(quota_.max_records);
  const std::string max_bytes = std::to_string(quota_.max_bytes);
  std::vector<std::string> sequences;
  sequences.reserve(writes.size());
  for (const MirrorWrite& w : writes) sequences.push_back(std::to_string(w.sequence));
  std::vector<absl::string_view> args = {holder,
                                         gen,
                                         building ? "building" : "generation",
                                         building ? "build_cursor" : "cursor",
                                         from,
                                         to,
                                         event,
                                         kStreamMaxLen,
                                         as_of,
                                         max_records,
                                         max_bytes};
  for (size_t i = 0; i < writes.size(); ++i) {
    args.push_back(writes[i].member);
    args.push_back(sequences[i]);
    args.push_back(writes[i].bytes);
  }
  absl::StatusOr<RedisReply> reply = ApplyScript().Run(
      *pool_,
      {Key("state"), Key("lease"), GenerationKey(generation, "records"),
       GenerationKey(generation, "seqs"), EventsKey(), GenerationKey(generation, "bytes")},
      args);
  if (!reply.ok()) return reply.status();
  const ReplyView r = reply->view();
  if (r.size() == 2 && r[0].str() == "OK") return r[1].integer();
  return Outcome(reply);
}

absl::Status MirrorStore::Swap(absl::string_view holder, const MirrorState& state) {
  const int64_t old = state.generation;
  const std::string event = MirrorEvent(peer_, state.building, true, {});
  return Outcome(SwapScript().Run(
      *pool_,
      {Key("state"), Key("lease"), EventsKey(), GenerationKey(old, "records"),
       GenerationKey(old, "seqs"), GenerationKey(old, "bytes")},
      {holder, std::to_string(state.building), event, kStreamMaxLen, state.build_cursor}));
}

absl::Status MirrorStore::SetAsOf(absl::string_view holder, int64_t as_of_ms) {
  return Outcome(
      AsOfScript().Run(*pool_, {Key("state"), Key("lease")}, {holder, std::to_string(as_of_ms)}));
}

absl::Status MirrorStore::LoadGeneration(
    int64_t generation, const std::function<void(absl::string_view, absl::string_view)>& visit) {
  return ScanHash(*pool_, GenerationKey(generation, "records"), visit);
}

absl::StatusOr<std::vector<std::optional<std::string>>> MirrorStore::ReadRecords(
    int64_t generation, const std::vector<std::string>& members) {
  std::vector<std::optional<std::string>> out;
  if (members.empty()) return out;
  const std::string key = GenerationKey(generation, "records");
  std::vector<absl::string_view> args = {"HMGET", key};
  for (const std::string& m : members) args.push_back(m);
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command(args));
  const ReplyView r = reply.view();
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].is_nil()) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(std::string(r[i].str()));
    }
  }
  return out;
}

absl::Status MirrorStore::ScanSequences(
    int64_t generation, const std::function<void(absl::string_view, int64_t)>& visit) {
  return ScanHash(*pool_, GenerationKey(generation, "seqs"),
                  [&](absl::string_view member, absl::string_view value) {
                    int64_t sequence = 0;
                    if (absl::SimpleAtoi(value, &sequence)) visit(member, sequence);
                  });
}

absl::Status MirrorStore::WriteStatus(const std::map<std::string, std::string>& fields) {
  const std::string key = Key("status");
  std::vector<absl::string_view> args = {"HSET", key};
  for (const auto& [field, value] : fields) {
    args.push_back(field);
    args.push_back(value);
  }
  return pool_->Command(args).status();
}

absl::StatusOr<std::map<std::string, std::string>> MirrorStore::ReadStatus() {
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command({"HGETALL", Key("status")}));
  std::map<std::string, std::string> out;
  const ReplyView r = reply.view();
  for (size_t i = 0; i + 1 < r.size(); i += 2)
    out[std::string(r[i].str())] = std::string(r[i + 1].str());
  return out;
}

}  // namespace gnlc::catalog
