#include "services/catalog/catalog_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/stream_retention.h"
#include "common/names/resource_names.h"
#include "common/redis/redis_script.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::catalog {
namespace {

constexpr char kPrograms[] = "cat:{0}:programs";
constexpr char kOfferings[] = "cat:{0}:offerings";
constexpr char kVersions[] = "cat:{0}:versions";
constexpr char kChanges[] = "cat:{0}:changes";
constexpr char kSeq[] = "cat:{0}:seq";
constexpr char kTombstones[] = "cat:{0}:tombstones";
constexpr char kSeats[] = "cat:{0}:seats";
constexpr char kEpoch[] = "cat:{0}:epoch";
constexpr char kSources[] = "cat:{0}:src";
// What the feed shows as a tombstone although the record exists: draft
// programs and their offerings (member -> "unix ms name", as kTombstones).
// Peers see a program when it is published and a tombstone when it is
// unpublished; the city's own index still holds drafts for its admins.
constexpr char kHidden[] = "cat:{0}:hidden";

std::string ProgramOfferingsKey(absl::string_view program_id) {
  return absl::StrCat("cat:{0}:po:", program_id);
}

// KEYS: records, versions, changes, seq, stream, request, programs, po-set
//       (an offering's program's, or a program's own), hidden
// ARGV: id, expected version (0: create), blob, event, change member,
//       maxlen, request id ("" none), parent program id ("" none), name,
//       '1' a draft program / '0' another program / '' an offering, now ms
const RedisScript& PutScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kPublishLua, R"lua(
-- A program that becomes or stops being a draft takes its offerings with
-- it, logged again after it so that a harvester sees them after it.
local function gnlc_hide_offerings(hide, program_name)
  for _, oid in ipairs(redis.call('SMEMBERS', KEYS[8])) do
    local member = 'o:' .. oid
    if hide then
      redis.call('HSET', KEYS[9], member, ARGV[11] .. ' ' .. program_name .. '/offerings/' .. oid)
    else
      redis.call('HDEL', KEYS[9], member)
    end
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), member)
  end
end
if ARGV[7] ~= '' then
  local prior = redis.call('GET', KEYS[6])
  if prior then return {'DUPLICATE', prior} end
end
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[7], ARGV[8]) == 0 then
  return {'NO_PARENT'}
end
local expected = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if expected > 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return {'NOT_FOUND'}
end
if current ~= expected then return {'CONFLICT', tostring(current)} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], expected + 1)
local seq = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[3], seq, ARGV[5])
if ARGV[8] ~= '' then redis.call('SADD', KEYS[8], ARGV[1]) end
if ARGV[10] ~= '' then
  local draft = ARGV[10] == '1'
  local was = redis.call('HEXISTS', KEYS[9], ARGV[5]) == 1
  if draft then
    redis.call('HSET', KEYS[9], ARGV[5], ARGV[11] .. ' ' .. ARGV[9])
  else
    redis.call('HDEL', KEYS[9], ARGV[5])
  end
  if was ~= draft then gnlc_hide_offerings(draft, ARGV[9]) end
elseif ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[9], 'p:' .. ARGV[8]) == 1 then
  redis.call('HSET', KEYS[9], ARGV[5], ARGV[11] .. ' ' .. ARGV[9])
end
gnlc_publish(KEYS[5], ARGV[6], ARGV[4])
if ARGV[7] ~= '' then redis.call('SET', KEYS[6], ARGV[9], 'EX', 86400) end
return {'OK', tostring(seq)}
)lua"));
  return *script;
}

// KEYS: programs, versions, offerings, changes, seq, stream, tombstones, po-set,
//       hidden
// ARGV: program id, expected version ("0": any), event, maxlen, now ms,
//       program name
const RedisScript& DeleteScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kPublishLua, R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'NOT_FOUND'} end
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if ARGV[2] ~= '0' and tonumber(ARGV[2]) ~= current then
  return {'CONFLICT', tostring(current)}
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], current + 1)
local seq = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[4], seq, 'p:' .. ARGV[1])
redis.call('HSET', KEYS[7], 'p:' .. ARGV[1], ARGV[5] .. ' ' .. ARGV[6])
redis.call('HDEL', KEYS[9], 'p:' .. ARGV[1])
for _, oid in ipairs(redis.call('SMEMBERS', KEYS[8])) do
  redis.call('HDEL', KEYS[9], 'o:' .. oid)
  redis.call('HDEL', KEYS[3], oid)
  redis.call('HINCRBY', KEYS[2], oid, 1)
  seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[4], seq, 'o:' .. oid)
  redis.call('HSET', KEYS[7], 'o:' .. oid, ARGV[5] .. ' ' .. ARGV[6] .. '/offerings/' .. oid)
end
redis.call('DEL', KEYS[8])
gnlc_publish(KEYS[6], ARGV[4], ARGV[3])
return {'OK', tostring(current + 1)}
)lua"));
  return *script;
}

// One entry of the change log as the feed shows it: member, sequence,
// 'r' and the record (with the offering's reported seats, '' if none) or 't'
// and the tombstone (a hidden record's too). KEYS[2..5]: programs,
// offerings, tombstones, seats; `hidden`: the hidden records' key.
constexpr absl::string_view kFeedEntryLua = R"lua(
local function gnlc_feed_entry(out, member, score, hidden)
  local is_program = string.sub(member, 1, 1) == 'p'
  local hash = KEYS[3]
  if is_program then hash = KEYS[2] end
  local id = string.sub(member, 3)
  local blob = redis.call('HGET', hash, id)
  local shown_as = blob and redis.call('HGET', hidden, member)
  out[#out + 1] = member
  out[#out + 1] = score
  if blob and not shown_as then
    out[#out + 1] = 'r'
    out[#out + 1] = blob
    local seats = false
    if not is_program then seats = redis.call('HGET', KEYS[5], id) end
    out[#out + 1] = seats or ''
  else
    out[#out + 1] = 't'
    out[#out + 1] = shown_as or redis.call('HGET', KEYS[4], member) or '0 '
    out[#out + 1] = ''
  end
end
)lua";

// KEYS: changes, programs, offerings, tombstones, seats, epoch, seq, hidden
// ARGV: after, limit, expected epoch ('' any), a fresh epoch in case the
//       feed has none yet (first read, or Redis was rebuilt)
// Returns {epoch, head sequence, 'RESET'} when the cursor is not of this
// feed, else {epoch, head sequence, head entry (5 values, or none),
// entries (5 values each)...}.
const RedisScript& ChangesScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFeedEntryLua, R"lua(
redis.call('SET', KEYS[6], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[6])
local head = tonumber(redis.call('GET', KEYS[7]) or '0')
if (ARGV[3] ~= '' and ARGV[3] ~= epoch) or tonumber(ARGV[1]) > head then
  return {epoch, tostring(head), 'RESET'}
end
local out = {epoch, tostring(head), 'OK'}
local newest = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #newest == 2 then gnlc_feed_entry(out, newest[1], newest[2], KEYS[8]) end
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf',
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #items, 2 do gnlc_feed_entry(out, items[i], items[i + 1], KEYS[8]) end
return out
)lua"));
  return *script;
}

// KEYS: changes, programs, offerings, tombstones, seats, hidden
// ARGV: members. Their entries (as ChangesScript), in order.
const RedisScript& EntriesScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFeedEntryLua, R"lua(
local out = {}
for i = 1, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score then gnlc_feed_entry(out, ARGV[i], score, KEYS[6]) end
end
return out
)lua"),
                                                     RedisScript::kReadOnly);
  return *script;
}

// KEYS: changes, programs, offerings, seq, hidden
// ARGV: after, up to, limit. {member, sequence, 1 live / 0 tombstone or
// hidden}...
// for log entries in (after, up to], the head sequence first.
const RedisScript& LogScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local out = {redis.call('GET', KEYS[4]) or '0'}
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], ARGV[2],
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #items, 2 do
  local member = items[i]
  local hash = KEYS[3]
  if string.sub(member, 1, 1) == 'p' then hash = KEYS[2] end
  out[#out + 1] = member
  out[#out + 1] = items[i + 1]
  local live = redis.call('HEXISTS', hash, string.sub(member, 3))
  if live == 1 then live = 1 - redis.call('HEXISTS', KEYS[5], member) end
  out[#out + 1] = live
end
return out
)lua",
                                                     RedisScript::kReadOnly);
  return *script;
}

// KEYS: seats, offerings, changes, seq; ARGV: (offering id, version,
// taken) triples. Reports may arrive out of order (several consumers,
// redelivery): keep the newest. A live offering whose seats changed moves
// to the head of the change log, so that mirrors in peer cities see seats
// and FULL as the enrollment service reports them.
const RedisScript& SeatsScript() {
  static const RedisScript* script = new RedisScript(R"lua(
for i = 1, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if not stored or tonumber(string.match(stored, '^(%d+)')) < tonumber(ARGV[i + 1]) then
    local before = stored and string.match(stored, ' (%-?%d+)$')
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
    if before ~= ARGV[i + 2] and redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
      redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), 'o:' .. ARGV[i])
    end
  end
end
return 0
)lua");
  return *script;
}

}  // namespace

CatalogStore::CatalogStore(RedisPool* pool, int64_t stream_maxlen)
    : pool_(pool), maxlen_(std::to_string(stream_maxlen)) {}

absl::StatusOr<std::optional<std::string>> CatalogStore::Put(
    bool program, bool is_draft, absl::string_view id, uint64_t expected_version,
    const std::string& blob, absl::string_view parent_id, absl::string_view request_id,
    absl::string_view name, Event& event) {
  const std::string event_bytes = EncodeEvent(event);
  const std::string member = absl::StrCat(program ? "p:" : "o:", id);
  const std::string request_key = absl::StrCat("cat:{0}:req:", program ? "p:" : "o:", request_id);
  // A program's own offerings follow it in and out of the drafts.
  const std::string po_key = ProgramOfferingsKey(program ? id : parent_id);
  const std::string expected = std::to_string(expected_version);
  const absl::string_view draft = !program ? "" : (is_draft ? "1" : "0");
  const std::string now_ms = std::to_string(absl::ToUnixMillis(absl::Now()));
  ASSIGN_OR_RETURN(RedisReply reply,
                   PutScript().Run(*pool_,
                                   {program ? kPrograms : kOfferings, kVersions, kChanges, kSeq,
                                    kCatalogStream, request_key, kPrograms, po_key, kHidden},
                                   {id, expected, blob, event_bytes, member, maxlen_, request_id,
                                    parent_id, name, draft, now_ms}));
  const ReplyView r = reply.view();
  const absl::string_view outcome = r.size() > 0 ? r[0].str() : "";
  if (outcome == "OK") return std::nullopt;
  if (outcome == "DUPLICATE") return std::string(r[1].str());
  if (outcome == "NO_PARENT") {
    return NotFound("PROGRAM_NOT_FOUND", "the offering's program does not exist or was deleted");
  }
  if (outcome == "NOT_FOUND") {
    return NotFound(program ? "PROGRAM_NOT_FOUND" : "OFFERING_NOT_FOUND",
                    absl::StrCat(name, " does not exist or was deleted"));
  }
  if (outcome == "CONFLICT") {
    if (expected_version == 0) return absl::AlreadyExistsError("id taken");
    return Aborted("STALE_ETAG",
                   absl::StrCat("etag \"", expected_version, "\" is stale (now \"", r[1].str(),
                                "\"): read the resource again and retry"),
                   {{"current_etag", std::string(r[1].str())}});
  }
  return absl::InternalError(absl::StrCat("unexpected script outcome '", outcome, "'"));
}

absl::StatusOr<std::vector<std::string>> CatalogStore::ReadSourceMappings(
    const std::vector<std::string>& fields) {
  std::vector<std::string> out;
  if (fields.empty()) return out;
  std::vector<absl::string_view> argv = {"HMGET", kSources};
  argv.insert(argv.end(), fields.begin(), fields.end());
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command(argv));
  const ReplyView r = reply.view();
  for (size_t i = 0; i < r.size(); ++i) out.emplace_back(r[i].str());
  if (out.size() != fields.size()) return absl::InternalError("unexpected HMGET reply");
  return out;
}

absl::Status CatalogStore::PutSourceMapping(absl::string_view field, absl::string_view mapping) {
  return pool_->Command({"HSET", kSources, field, mapping}).status();
}

absl::StatusOr<std::optional<std::string>> CatalogStore::CreateProgram(const Program& program,
                                                                       absl::string_view id,
                                                                       absl::string_view request_id,
                                                                       Event& event) {
  return Put(true, program.state() == gnlc::catalog::v1::PROGRAM_STATE_DRAFT, id, 0,
             program.SerializeAsString(), "", request_id, program.name(), event);
}

absl::Status CatalogStore::UpdateProgram(const Program& program, absl::string_view id,
                                         uint64_t expected_version, Event& event) {
  return Put(true, program.state() == gnlc::catalog::v1::PROGRAM_STATE_DRAFT, id, expected_version,
             program.SerializeAsString(), "", "", program.name(), event)
      .status();
}

absl::StatusOr<std::optional<std::string>> CatalogStore::CreateOffering(
    const Offering& offering, absl::string_view program_id, absl::string_view id,
    absl::string_view request_id, Event& event) {
  return Put(false, false, id, 0, offering.SerializeAsString(), program_id, request_id,
             offering.name(), event);
}

absl::Status CatalogStore::UpdateOffering(const Offering& offering, absl::string_view id,
                                          uint64_t expected_version, Event& event) {
  return Put(false, false, id, expected_version, offering.SerializeAsString(), "", "",
             offering.name(), event)
      .status();
}

absl::Status CatalogStore::DeleteProgram(absl::string_view id, absl::string_view name,
                                         uint64_t expected_version, Event& event) {
  const std::string event_bytes = EncodeEvent(event);
  const std::string now_ms = std::to_string(absl::ToUnixMillis(absl::Now()));
  const std::string expected = std::to_string(expected_version);
  ASSIGN_OR_RETURN(
      RedisReply reply,
      DeleteScript().Run(*pool_,
                         {kPrograms, kVersions, kOfferings, kChanges, kSeq, kCatalogStream,
                          kTombstones, ProgramOfferingsKey(id), kHidden},
                         {id, expected, event_bytes, maxlen_, now_ms, name}));
  const ReplyView r = reply.view();
  const absl::string_view outcome = r.size() > 0 ? r[0].str() : "";
  if (outcome == "OK") return absl::OkStatus();
  if (outcome == "NOT_FOUND") {
    return NotFound("PROGRAM_NOT_FOUND", absl::StrCat(name, " does not exist or was deleted"));
  }
  if (outcome == "CONFLICT") {
    return Aborted("STALE_ETAG",
                   absl::StrCat("etag \"", expected_version, "\" is stale (now \"", r[1].str(),
                                "\"): read the program again and retry"),
                   {{"current_etag", std::string(r[1].str())}});
  }
  return absl::InternalError(absl::StrCat("unexpected script outcome '", outcome, "'"));
}

namespace {
// One record from `hash`, parsed; NOT_FOUND (with `reason`) when absent.
template <typename Record>
absl::StatusOr<Record> ReadRecord(RedisPool& pool, absl::string_view hash, absl::string_view id,
                                  absl::string_view reason, absl::string_view what) {
  ASSIGN_OR_RETURN(RedisReply reply, pool.Command({"HGET", hash, id}));
  const absl::string_view blob = reply.view().str();
  Record record;
  if (reply.view().is_nil() || !record.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return NotFound(reason, absl::StrCat("the ", what, " does not exist or was deleted"));
  }
  return record;
}
}  // namespace

absl::StatusOr<Program> CatalogStore::ReadProgram(absl::string_view id) {
  return ReadRecord<Program>(*pool_, kPrograms, id, "PROGRAM_NOT_FOUND", "program");
}

absl::StatusOr<Offering> CatalogStore::ReadOffering(absl::string_view id) {
  return ReadRecord<Offering>(*pool_, kOfferings, id, "OFFERING_NOT_FOUND", "offering");
}

namespace {
// Entries of 5 values from `from` on, as kFeedEntryLua writes them.
std::vector<StoredChange> ParseEntries(const ReplyView& r, size_t from) {
  std::vector<StoredChange> out;
  for (size_t i = from; i + 4 < r.size(); i += 5) {
    StoredChange c;
    c.member = std::string(r[i].str());
    c.is_program = r[i].str().substr(0, 1) == "p";
    (void)absl::SimpleAtoi(r[i + 1].str(), &c.sequence);
    c.deleted = r[i + 2].str() == "t";
    const absl::string_view payload = r[i + 3].str();
    if (c.deleted) {
      const size_t space = payload.find(' ');
      (void)absl::SimpleAtoi(payload.substr(0, space), &c.deleted_unix_ms);
      if (space != absl::string_view::npos) c.deleted_name = std::string(payload.substr(space + 1));
    } else {
      c.record = std::string(payload);
    }
    // Seats are stored as "{version} {taken}".
    const absl::string_view seats = r[i + 4].str();
    if (const size_t space = seats.find(' '); space != absl::string_view::npos) {
      int32_t taken = 0;
      if (absl::SimpleAtoi(seats.substr(space + 1), &taken)) c.seats_taken = taken;
    }
    out.push_back(std::move(c));
  }
  return out;
}
}  // namespace

absl::StatusOr<FeedPage> CatalogStore::ListChanges(int64_t after, int limit,
                                                   absl::string_view epoch) {
  const std::string fresh_epoch = NewId('e');
  ASSIGN_OR_RETURN(
      RedisReply reply,
      ChangesScript().Run(
          *pool_, {kChanges, kPrograms, kOfferings, kTombstones, kSeats, kEpoch, kSeq, kHidden},
          {std::to_string(after), std::to_string(limit), epoch, fresh_epoch}));
  const ReplyView r = reply.view();
  if (r.size() < 3) return absl::InternalError("short reply from the feed script");
  FeedPage page;
  page.epoch = std::string(r[0].str());
  (void)absl::SimpleAtoi(r[1].str(), &page.head_sequence);
  if (r[2].str() == "RESET") {
    page.reset = true;
    return page;
  }
  std::vector<StoredChange> entries = ParseEntries(r, 3);
  if (!entries.empty() && page.head_sequence > 0) {
    page.head = std::move(entries.front());
    entries.erase(entries.begin());
  }
  page.changes = std::move(entries);
  return page;
}

absl::StatusOr<std::vector<StoredChange>> CatalogStore::ReadEntries(
    const std::vector<std::string>& members) {
  if (members.empty()) return std::vector<StoredChange>{};
  std::vector<absl::string_view> args(members.begin(), members.end());
  ASSIGN_OR_RETURN(
      RedisReply reply,
      EntriesScript().Run(*pool_, {kChanges, kPrograms, kOfferings, kTombstones, kSeats, kHidden},
                          args));
  return ParseEntries(reply.view(), 0);
}

absl::StatusOr<int64_t> CatalogStore::ScanLog(int64_t after, int64_t up_to, int limit,
                                              std::vector<LogEntry>& out) {
  ASSIGN_OR_RETURN(
      RedisReply reply,
      LogScript().Run(*pool_, {kChanges, kPrograms, kOfferings, kSeq, kHidden},
                      {std::to_string(after), std::to_string(up_to), std::to_string(limit)}));
  const ReplyView r = reply.view();
  int64_t head = 0;
  if (r.size() > 0) (void)absl::SimpleAtoi(r[0].str(), &head);
  for (size_t i = 1; i + 2 < r.size(); i += 3) {
    LogEntry e;
    e.member = std::string(r[i].str());
    (void)absl::SimpleAtoi(r[i + 1].str(), &e.sequence);
    e.live = r[i + 2].integer() == 1;
    out.push_back(std::move(e));
  }
  return head;
}

absl::Status CatalogStore::LoadAll(const std::function<void(Program)>& on_program,
                                   const std::function<void(Offering)>& on_offering) {
  RETURN_IF_ERROR(ScanHash(*pool_, kPrograms, [&](absl::string_view, absl::string_view blob) {
    Program p;
    if (p.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) on_program(std::move(p));
  }));
  return ScanHash(*pool_, kOfferings, [&](absl::string_view, absl::string_view blob) {
    Offering o;
    if (o.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) on_offering(std::move(o));
  });
}

absl::Status CatalogStore::LoadSeats(
    const std::function<void(absl::string_view, int32_t)>& on_seats) {
  return ScanHash(*pool_, kSeats, [&](absl::string_view offering_id, absl::string_view value) {
    // "{version} {taken}"
    const size_t space = value.find(' ');
    int32_t taken = 0;
    if (space != absl::string_view::npos && absl::SimpleAtoi(value.substr(space + 1), &taken)) {
      on_seats(offering_id, taken);
    }
  });
}

absl::Status CatalogStore::ApplySeats(const std::vector<SeatReport>& reports) {
  if (reports.empty()) return absl::OkStatus();
  std::vector<std::string> values;
  values.reserve(reports.size() * 3);
  for (const SeatReport& r : reports) {
    values.push_back(r.offering_id);
    values.push_back(std::to_string(r.version));
    values.push_back(std::to_string(r.taken));
  }
  std::vector<absl::string_view> args(values.begin(), values.end());
  return SeatsScript().Run(*pool_, {kSeats, kOfferings, kChanges, kSeq}, args).status();
}

absl::StatusOr<std::string> CatalogStore::StreamTail(absl::string_view stream) {
  return StreamPosition(*pool_, stream);
}

}  // namespace gnlc::catalog
