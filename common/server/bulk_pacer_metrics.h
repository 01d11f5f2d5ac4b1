// A BulkPacer's work on /metrics, so an operator sees bulk work yield to
// residents: chunks run, pauses taken and their total length, the pause
// now and the quiet level of live calls it judges them by. Read from the
// pacer's stats at each scrape.
//
//   ExportBulkPacerMetrics(metrics, &bulk_);  // before serving
#ifndef GNLC_COMMON_SERVER_BULK_PACER_METRICS_H_
#define GNLC_COMMON_SERVER_BULK_PACER_METRICS_H_

#include "common/redis/bulk_pacer.h"
#include "common/server/metrics.h"

namespace gnlc {

// Nothing when `metrics` is null. `pacer` must outlive `metrics`' scrapes.
void ExportBulkPacerMetrics(Metrics* metrics, const BulkPacer* pacer);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_BULK_PACER_METRICS_H_
