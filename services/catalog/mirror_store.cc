#include "services/catalog/mirror_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/events/lua/publish.lua.h"
#include "common/names/resource_names.h"
#include "common/redis/redis_script.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "services/catalog/lua/apply.lua.h"
#include "services/catalog/lua/as_of.lua.h"
#include "services/catalog/lua/fence.lua.h"
#include "services/catalog/lua/lease.lua.h"
#include "services/catalog/lua/release.lua.h"
#include "services/catalog/lua/start.lua.h"
#include "services/catalog/lua/swap.lua.h"

namespace gnlc::catalog {
namespace {

// Stream entries kept per peer: replicas that fall further behind reload
// the generation instead.
constexpr char kStreamMaxLen[] = "100000";

const RedisScript& LeaseScript() {
  static const RedisScript* script = new RedisScript(kLeaseLua);
  return *script;
}

const RedisScript& ReleaseScript() {
  static const RedisScript* script = new RedisScript(kReleaseLua);
  return *script;
}

const RedisScript& ApplyScript() {
  static const RedisScript* script =
      new RedisScript(absl::StrCat(kFenceLua, kPublishLua, kApplyLua));
  return *script;
}

const RedisScript& StartScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, kStartLua));
  return *script;
}

const RedisScript& SwapScript() {
  static const RedisScript* script =
      new RedisScript(absl::StrCat(kFenceLua, kPublishLua, kSwapLua));
  return *script;
}

const RedisScript& AsOfScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFenceLua, kAsOfLua));
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
    bool ok = true;
    if (field == "generation") ok = absl::SimpleAtoi(value, &state.generation);
    if (field == "cursor") state.cursor = std::string(value);
    if (field == "building") ok = absl::SimpleAtoi(value, &state.building);
    if (field == "build_cursor") state.build_cursor = std::string(value);
    if (field == "as_of_ms") ok = absl::SimpleAtoi(value, &state.as_of_ms);
    if (!ok) {
      return BrokenInvariant("a mirror's state holds a field that is not a number",
                             {{"field", std::string(field)}});
    }
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
