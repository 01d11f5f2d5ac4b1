#include "services/catalog/catalog_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/lua/publish.lua.h"
#include "common/events/stream_retention.h"
#include "common/names/resource_names.h"
#include "common/redis/redis_script.h"
#include "common/redis/stored_record.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "services/catalog/lua/changes.lua.h"
#include "services/catalog/lua/delete.lua.h"
#include "services/catalog/lua/entries.lua.h"
#include "services/catalog/lua/feed_entry.lua.h"
#include "services/catalog/lua/log.lua.h"
#include "services/catalog/lua/put.lua.h"
#include "services/catalog/lua/seats.lua.h"

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

const RedisScript& PutScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kPublishLua, kPutLua));
  return *script;
}

const RedisScript& DeleteScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kPublishLua, kDeleteLua));
  return *script;
}

const RedisScript& ChangesScript() {
  static const RedisScript* script = new RedisScript(absl::StrCat(kFeedEntryLua, kChangesLua));
  return *script;
}

const RedisScript& EntriesScript() {
  static const RedisScript* script =
      new RedisScript(absl::StrCat(kFeedEntryLua, kEntriesLua), RedisScript::kReadOnly);
  return *script;
}

const RedisScript& LogScript() {
  static const RedisScript* script = new RedisScript(kLogLua, RedisScript::kReadOnly);
  return *script;
}

const RedisScript& SeatsScript() {
  static const RedisScript* script = new RedisScript(kSeatsLua);
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
  ASSIGN_OR_RETURN(std::optional<Record> record, ReadStoredRecord<Record>(pool, hash, id));
  if (!record)
    return NotFound(reason, absl::StrCat("the ", what, " does not exist or was deleted"));
  return *std::move(record);
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
// A sequence or time the feed scripts wrote that is not a number: going on
// would hand peers a cursor that moves back.
absl::Status NotANumber(absl::string_view what) {
  return BrokenInvariant("the change log holds a value that is not a number",
                         {{"field", std::string(what)}});
}

absl::StatusOr<std::vector<StoredChange>> ParseEntries(const ReplyView& r, size_t from) {
  std::vector<StoredChange> out;
  for (size_t i = from; i + 4 < r.size(); i += 5) {
    StoredChange c;
    c.member = std::string(r[i].str());
    c.is_program = r[i].str().substr(0, 1) == "p";
    if (!absl::SimpleAtoi(r[i + 1].str(), &c.sequence)) return NotANumber("sequence");
    c.deleted = r[i + 2].str() == "t";
    const absl::string_view payload = r[i + 3].str();
    if (c.deleted) {
      const size_t space = payload.find(' ');
      if (!absl::SimpleAtoi(payload.substr(0, space), &c.deleted_unix_ms)) {
        return NotANumber("tombstone time");
      }
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
  if (r.size() < 3) return BrokenInvariant("a short reply from the feed script");
  FeedPage page;
  page.epoch = std::string(r[0].str());
  if (!absl::SimpleAtoi(r[1].str(), &page.head_sequence)) return NotANumber("head sequence");
  if (r[2].str() == "RESET") {
    page.reset = true;
    return page;
  }
  ASSIGN_OR_RETURN(std::vector<StoredChange> entries, ParseEntries(r, 3));
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
  if (r.size() > 0 && !absl::SimpleAtoi(r[0].str(), &head)) return NotANumber("head sequence");
  for (size_t i = 1; i + 2 < r.size(); i += 3) {
    LogEntry e;
    e.member = std::string(r[i].str());
    if (!absl::SimpleAtoi(r[i + 1].str(), &e.sequence)) return NotANumber("sequence");
    e.live = r[i + 2].integer() == 1;
    out.push_back(std::move(e));
  }
  return head;
}

absl::Status CatalogStore::LoadAll(const std::function<void(Program)>& on_program,
                                   const std::function<void(Offering)>& on_offering) {
  RETURN_IF_ERROR(ScanHash(*pool_, kPrograms, [&](absl::string_view id, absl::string_view blob) {
    Program p;
    if (ParseStoredRecord(blob, p, kPrograms, id)) on_program(std::move(p));
  }));
  return ScanHash(*pool_, kOfferings, [&](absl::string_view id, absl::string_view blob) {
    Offering o;
    if (ParseStoredRecord(blob, o, kOfferings, id)) on_offering(std::move(o));
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
