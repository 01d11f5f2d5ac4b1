// Recounting the programs on offer from the catalog, when analytics has
// missed catalog events (it was stopped for longer than the stream keeps
// them). A gauge is what stands now, not a sum of changes: every published
// program is applied as it is, every program counted before and no longer
// published as gone, and the group goes on from the stream's end as it was
// before the catalog was read (a change after it is applied again, which
// changes nothing). The month's gauge snapshot is taken now; the months
// missed keep the last snapshot before them.
//
//   ProgramRecount recount(&pool, &store, &catalog_client, "nanjing");
//   ASSIGN_OR_RETURN(std::string go_on_from, recount.Run(stop));
#ifndef GNLC_SERVICES_ANALYTICS_PROGRAM_RECOUNT_H_
#define GNLC_SERVICES_ANALYTICS_PROGRAM_RECOUNT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/redis/redis_pool.h"
#include "services/analytics/analytics_store.h"
#include "services/catalog/catalog_client.h"

namespace gnlc::analytics {

class ProgramRecount final {
 public:
  ProgramRecount(RedisPool* pool, AnalyticsStore* store, catalog::CatalogClient* catalog,
                 std::string city)
      : pool_(pool), store_(store), catalog_(catalog), city_(std::move(city)) {}

  // Waits for the catalog while it cannot be reached, until `stop` is
  // notified (then CANCELLED). Returns the id to go on from.
  absl::StatusOr<std::string> Run(const absl::Notification& stop);

 private:
  RedisPool* pool_;
  AnalyticsStore* store_;
  catalog::CatalogClient* catalog_;
  std::string city_;
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_PROGRAM_RECOUNT_H_
