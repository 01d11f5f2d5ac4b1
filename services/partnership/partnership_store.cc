#include "services/partnership/partnership_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/lua/publish.lua.h"
#include "common/events/streams.h"
#include "common/redis/redis_script.h"
#include "common/redis/stored_record.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "services/partnership/lua/funding.lua.h"
#include "services/partnership/lua/put.lua.h"
#include "services/partnership/lua/replay.lua.h"
#include "services/partnership/money.h"

namespace gnlc::partnership {
namespace {

constexpr char kPartners[] = "par:{0}:partners";
constexpr char kPartnerships[] = "par:{0}:partnerships";
constexpr char kVersions[] = "par:{0}:versions";
constexpr char kState[] = "par:{0}:state";

const RedisScript& PutScript() {
  static const RedisScript* script =
      new RedisScript(absl::StrCat(kPublishLua, kReplayLua, kPutLua));
  return *script;
}

const RedisScript& FundingScript() {
  static const RedisScript* script =
      new RedisScript(absl::StrCat(kPublishLua, kReplayLua, kFundingLua));
  return *script;
}

template <typename Record>
absl::StatusOr<Record> Read(RedisPool& pool, absl::string_view hash, absl::string_view id,
                            absl::string_view reason, absl::string_view what) {
  ASSIGN_OR_RETURN(std::optional<Record> record, ReadStoredRecord<Record>(pool, hash, id));
  if (!record) return NotFound(reason, absl::StrCat("the ", what, " does not exist"));
  return *std::move(record);
}

}  // namespace

PartnershipStore::PartnershipStore(RedisPool* pool, int64_t stream_maxlen)
    : pool_(pool), maxlen_(std::to_string(stream_maxlen)) {}

absl::StatusOr<std::optional<std::string>> PartnershipStore::Put(
    char kind, absl::string_view id, uint64_t expected_version, const std::string& blob, int state,
    absl::string_view name, absl::string_view request_id, absl::string_view fingerprint,
    Event& event) {
  const std::string event_bytes = EncodeEvent(event);
  const std::string kind_arg(1, kind);
  const std::string expected = std::to_string(expected_version);
  const std::string state_arg = state > 0 ? std::to_string(state) : "";
  const std::string request_key = absl::StrCat("par:{0}:req:", kind_arg, ":", request_id);
  ASSIGN_OR_RETURN(RedisReply reply,
                   PutScript().Run(*pool_,
                                   {kind == 'p' ? kPartners : kPartnerships, kVersions, kState,
                                    kPartnershipStream, request_key},
                                   {kind_arg, id, expected, blob, state_arg, event_bytes, maxlen_,
                                    request_id, fingerprint, name}));
  const ReplyView r = reply.view();
  const absl::string_view outcome = r.size() > 0 ? r[0].str() : "";
  if (outcome == "OK") return std::nullopt;
  if (outcome == "DUPLICATE") return std::string(r[1].str());
  if (outcome == "REQUEST_MISMATCH") return RequestIdReused();
  if (outcome == "CONFLICT") {
    if (expected_version == 0) return absl::AlreadyExistsError("id taken");
    return Aborted("STALE_ETAG",
                   absl::StrCat("etag \"", expected_version, "\" is stale (now \"", r[1].str(),
                                "\"): read it again and retry"),
                   {{"current_etag", std::string(r[1].str())}});
  }
  return absl::InternalError(absl::StrCat("unexpected script outcome '", outcome, "'"));
}

absl::StatusOr<std::optional<std::string>> PartnershipStore::PutPartner(
    const pb::Partner& partner, absl::string_view id, uint64_t expected_version,
    absl::string_view request_id, absl::string_view fingerprint, Event& event) {
  return Put('p', id, expected_version, partner.SerializeAsString(), 0, partner.name(), request_id,
             fingerprint, event);
}

absl::StatusOr<std::optional<std::string>> PartnershipStore::PutPartnership(
    const pb::Partnership& partnership, absl::string_view id, uint64_t expected_version,
    absl::string_view request_id, absl::string_view fingerprint, Event& event) {
  return Put('s', id, expected_version, partnership.SerializeAsString(), partnership.state(),
             partnership.name(), request_id, fingerprint, event);
}

absl::StatusOr<pb::Partner> PartnershipStore::ReadPartner(absl::string_view id) {
  return Read<pb::Partner>(*pool_, kPartners, id, "PARTNER_NOT_FOUND", "partner");
}

absl::StatusOr<pb::Partnership> PartnershipStore::ReadPartnership(absl::string_view id) {
  return Read<pb::Partnership>(*pool_, kPartnerships, id, "PARTNERSHIP_NOT_FOUND", "partnership");
}

absl::StatusOr<std::optional<std::string>> PartnershipStore::RecordFunding(
    const Funding& f, const std::string& record_blob, absl::string_view request_id,
    absl::string_view fingerprint, Event& event) {
  const std::string event_bytes = EncodeEvent(event);
  const std::string fund_key = absl::StrCat("par:{0}:fund:", f.partnership_id);
  const std::string records_key = absl::StrCat(
      f.disbursement ? "par:{0}:disbursements:" : "par:{0}:commitments:", f.partnership_id);
  const std::string request_key =
      absl::StrCat("par:{0}:req:", f.disbursement ? "d:" : "c:", request_id);
  const std::string cents = std::to_string(f.cents);
  const std::string max = std::to_string(kMaxTotalCents);
  const std::string record_name = std::string(event.resource());
  ASSIGN_OR_RETURN(
      RedisReply reply,
      FundingScript().Run(*pool_, {kState, fund_key, records_key, kPartnershipStream, request_key},
                          {f.partnership_id, f.disbursement ? "d" : "c", f.record_id, record_blob,
                           f.currency, cents, f.funder, f.recipient_partner, f.recipient_program,
                           event_bytes, maxlen_, request_id, fingerprint, record_name, max}));
  const ReplyView r = reply.view();
  const absl::string_view outcome = r.size() > 0 ? r[0].str() : "";
  if (outcome == "OK") return std::nullopt;
  if (outcome == "DUPLICATE") return std::string(r[1].str());
  if (outcome == "REQUEST_MISMATCH") return RequestIdReused();
  if (outcome == "NOT_FOUND") {
    return NotFound("PARTNERSHIP_NOT_FOUND", "the partnership does not exist");
  }
  if (outcome == "STATE") {
    return FailedPrecondition(
        "PARTNERSHIP_NOT_ACTIVE",
        f.disbursement ? "disbursements are recorded for an ACTIVE partnership"
                       : "commitments are recorded for a PROPOSED or ACTIVE partnership");
  }
  if (outcome == "TOO_LARGE") {
    return InvalidArgument(
        "INVALID_MONEY",
        absl::StrCat("the total committed in ", f.currency, " would not fit: at most ",
                     kMaxTotalCents / 100, " units per partnership and currency"));
  }
  if (outcome == "NO_COMMITMENT") {
    return FailedPrecondition(
        "NO_COMMITMENT_IN_CURRENCY",
        absl::StrCat("nothing is committed in ", f.currency,
                     ": disburse in a currency with commitments (currencies never mix)"),
        {{"currency_code", f.currency}});
  }
  if (outcome == "EXCEEDS") {
    int64_t committed = 0, disbursed = 0;
    if (!absl::SimpleAtoi(r[1].str(), &committed) || !absl::SimpleAtoi(r[2].str(), &disbursed)) {
      return BrokenInvariant("stored funding totals are not numbers");
    }
    const int64_t available = committed - disbursed;
    return FailedPrecondition(
        "EXCEEDS_COMMITTED",
        absl::StrCat("the disbursement exceeds what is available in ", f.currency, ": ",
                     available / 100, ".", available % 100 < 10 ? "0" : "", available % 100,
                     " left of ", committed / 100, " committed"),
        {{"currency_code", f.currency}, {"available_cents", std::to_string(available)}});
  }
  return absl::InternalError(absl::StrCat("unexpected script outcome '", outcome, "'"));
}

absl::StatusOr<std::string> PartnershipStore::ReadFundingRecord(bool disbursement,
                                                                absl::string_view partnership_id,
                                                                absl::string_view record_id) {
  ASSIGN_OR_RETURN(
      RedisReply reply,
      pool_->Command({"HGET",
                      absl::StrCat(disbursement ? "par:{0}:disbursements:" : "par:{0}:commitments:",
                                   partnership_id),
                      record_id}));
  if (reply.view().is_nil()) return NotFound("FUNDING_NOT_FOUND", "no such funding record");
  return std::string(reply.view().str());
}

absl::StatusOr<std::map<std::string, int64_t>> PartnershipStore::ReadFunding(
    absl::string_view partnership_id) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   pool_->Command({"HGETALL", absl::StrCat("par:{0}:fund:", partnership_id)}));
  std::map<std::string, int64_t> out;
  const ReplyView r = reply.view();
  for (size_t i = 0; i + 1 < r.size(); i += 2) {
    int64_t cents = 0;
    if (absl::SimpleAtoi(r[i + 1].str(), &cents)) out[std::string(r[i].str())] = cents;
  }
  return out;
}

absl::Status PartnershipStore::LoadAll(const std::function<void(pb::Partner)>& on_partner,
                                       const std::function<void(pb::Partnership)>& on_partnership) {
  RETURN_IF_ERROR(ScanHash(*pool_, kPartners, [&](absl::string_view id, absl::string_view blob) {
    pb::Partner p;
    if (ParseStoredRecord(blob, p, kPartners, id)) on_partner(std::move(p));
  }));
  return ScanHash(*pool_, kPartnerships, [&](absl::string_view id, absl::string_view blob) {
    pb::Partnership p;
    if (ParseStoredRecord(blob, p, kPartnerships, id)) on_partnership(std::move(p));
  });
}

absl::StatusOr<std::string> PartnershipStore::StreamTail() {
  ASSIGN_OR_RETURN(RedisReply reply,
                   pool_->Command({"XREVRANGE", kPartnershipStream, "+", "-", "COUNT", "1"}));
  if (reply.view().size() == 0) return std::string("0-0");
  return std::string(reply.view()[0][0].str());
}

}  // namespace gnlc::partnership
