// Every partner and partnership of the city, in memory in each replica:
// loaded from Redis at start, then kept current from the partnership stream
// (each event carries the full record; the version in its etag decides, so
// replays and the writer's own early apply are harmless). Reads, filtered
// lists and name lookup are served from here; funding is always read from
// Redis.
#ifndef GNLC_SERVICES_PARTNERSHIP_DIRECTORY_H_
#define GNLC_SERVICES_PARTNERSHIP_DIRECTORY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/events/event_codec.h"
#include "gnlc/partnership/v1/partnership.pb.h"

namespace gnlc::partnership {

namespace pb = gnlc::partnership::v1;

struct PartnerFilter {
  int type = 0;           // 0: any
  std::string home_city;  // "": any
  bool verified_only = false;
  std::string query;  // lower-cased; matched in the zh or en display name
};

struct PartnershipFilter {
  int model = 0;
  int state = 0;
  std::string member_city;  // a member of this city
};

template <typename Record>
struct Page {
  std::vector<Record> records;
  std::string next;  // resume after this position; "" at the end
};

class Directory final {
 public:
  // Keeps the record unless the stored one is as new or newer.
  void Upsert(const pb::Partner& partner);
  void Upsert(const pb::Partnership& partnership);
  void Apply(const Event& event);

  std::optional<pb::Partner> GetPartner(absl::string_view id) const;
  std::optional<pb::Partnership> GetPartnership(absl::string_view id) const;

  // In creation order, after `after` (a position from an earlier page).
  // Looks at no more than `budget` records per page, so a rare filter
  // returns a short page with a position rather than a slow call.
  Page<pb::Partner> ListPartners(const PartnerFilter& filter, absl::string_view after, int limit,
                                 int budget = 20000) const;
  Page<pb::Partnership> ListPartnerships(const PartnershipFilter& filter, absl::string_view after,
                                         int limit, int budget = 20000) const;
  // The same page as each record's serialized bytes, kept since it was
  // stored: a list response is then written without copying or serializing
  // any message (partnership_rpcs.cc).
  Page<std::string> ListEncodedPartnerships(const PartnershipFilter& filter,
                                            absl::string_view after, int limit,
                                            int budget = 20000) const;

  size_t partner_count() const;
  size_t partnership_count() const;

 private:
  // Records in creation order: position "{create ns, 20 digits}{id}" ->
  // record. Map nodes never move, so indexes hold plain pointers.
  template <typename Record>
  using Ordered = std::map<std::string, const Record*>;
  template <typename Record>
  struct Table {
    absl::flat_hash_map<std::string, std::string> position_by_id;
    std::map<std::string, Record> by_position;
    Ordered<Record> all;
  };

  // Partnerships by model and by member city, so a filtered list walks only
  // its candidates.
  void Index(const pb::Partnership& p, const std::string& position, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The page of partnerships matching `filter`, each as `project` makes it.
  template <typename Out, typename Project>
  Page<Out> WalkPartnerships(const PartnershipFilter& filter, absl::string_view after, int limit,
                             int budget, const Project& project) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  Table<pb::Partner> partners_ ABSL_GUARDED_BY(mu_);
  Table<pb::Partnership> partnerships_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, Ordered<pb::Partnership>> by_model_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Ordered<pb::Partnership>> by_city_ ABSL_GUARDED_BY(mu_);
  // Each stored partnership's serialized bytes (records never move).
  absl::flat_hash_map<const pb::Partnership*, std::string> encoded_ ABSL_GUARDED_BY(mu_);
};

// The city of a member partner name ("cities/x/..." or "//gnlc/cities/x/...").
std::string MemberCity(absl::string_view partner_name);

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_DIRECTORY_H_
