// Partners, partnerships and their funding in Redis. Each write is one Lua
// script that checks (the version, the idempotency key, the partnership's
// state, the money still available), writes, and appends its event to the
// partnership stream: the change and its event exist together or not at all.
//
// Keys (all in hash slot {0}):
//   par:{0}:partners          HASH partner id -> Partner
//   par:{0}:partnerships      HASH partnership id -> Partnership
//   par:{0}:versions          HASH "p:{id}" / "s:{id}" -> version
//   par:{0}:state             HASH partnership id -> PartnershipState number
//   par:{0}:fund:{id}         HASH "c:{cur}" committed, "d:{cur}" disbursed,
//                                  "f:{funder}:{cur}", "g:{program}:{cur}",
//                                  "r:{partner}:{cur}" (all in cents)
//   par:{0}:commitments:{id}  HASH commitment id -> FundingCommitment
//   par:{0}:disbursements:{id} HASH disbursement id -> Disbursement
//   par:{0}:req:{kind}:{rid}  HASH fingerprint, resource name (24 h)
//   par:{0}:events            STREAM the partnership events
#ifndef GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_STORE_H_
#define GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_pool.h"
#include "gnlc/partnership/v1/partnership.pb.h"

namespace gnlc::partnership {

namespace pb = gnlc::partnership::v1;

class PartnershipStore final {
 public:
  explicit PartnershipStore(RedisPool* pool, int64_t stream_maxlen = 0);

  // Writes a record if its stored version is still `expected_version` (0:
  // create). For a create with a `request_id` seen within 24 h, writes
  // nothing and returns the name created then (INVALID_ARGUMENT if that
  // request differed). ABORTED on a stale version; ALREADY_EXISTS if a
  // created id is taken.
  absl::StatusOr<std::optional<std::string>> PutPartner(
      const pb::Partner& partner, absl::string_view id, uint64_t expected_version,
      absl::string_view request_id, absl::string_view fingerprint, Event& event);
  absl::StatusOr<std::optional<std::string>> PutPartnership(
      const pb::Partnership& partnership, absl::string_view id, uint64_t expected_version,
      absl::string_view request_id, absl::string_view fingerprint, Event& event);

  absl::StatusOr<pb::Partner> ReadPartner(absl::string_view id);
  absl::StatusOr<pb::Partnership> ReadPartnership(absl::string_view id);

  // What a funding record moves, in cents of one currency.
  struct Funding {
    std::string partnership_id;
    std::string record_id;
    bool disbursement = false;
    std::string currency;
    int64_t cents = 0;
    std::string funder;             // commitments
    std::string recipient_partner;  // disbursements: one of these two
    std::string recipient_program;
  };
  // Records a commitment (partnership PROPOSED or ACTIVE) or a disbursement
  // (ACTIVE, and never beyond what is committed in its currency) with its
  // event. A repeated `request_id` returns the name recorded then.
  absl::StatusOr<std::optional<std::string>> RecordFunding(const Funding& funding,
                                                           const std::string& record_blob,
                                                           absl::string_view request_id,
                                                           absl::string_view fingerprint,
                                                           Event& event);
  // A recorded commitment's or disbursement's bytes; NOT_FOUND if none.
  absl::StatusOr<std::string> ReadFundingRecord(bool disbursement, absl::string_view partnership_id,
                                                absl::string_view record_id);
  // The funding hash of a partnership: field -> cents.
  absl::StatusOr<std::map<std::string, int64_t>> ReadFunding(absl::string_view partnership_id);

  // Every partner, then every partnership.
  absl::Status LoadAll(const std::function<void(pb::Partner)>& on_partner,
                       const std::function<void(pb::Partnership)>& on_partnership);
  absl::StatusOr<std::string> StreamTail();

 private:
  absl::StatusOr<std::optional<std::string>> Put(char kind, absl::string_view id,
                                                 uint64_t expected_version, const std::string& blob,
                                                 int state, absl::string_view name,
                                                 absl::string_view request_id,
                                                 absl::string_view fingerprint, Event& event);

  RedisPool* pool_;
  std::string maxlen_;
};

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_STORE_H_
