#include "common/server/bulk_pacer_metrics.h"

#include <memory>

namespace gnlc {

void ExportBulkPacerMetrics(Metrics* metrics, const BulkPacer* pacer) {
  if (metrics == nullptr || pacer == nullptr) return;
  auto& registry = metrics->registry();
  auto* chunks = &prometheus::BuildCounter()
                      .Name("gnlc_bulk_chunks_total")
                      .Help(
                          "Chunks (scripts) of bulk work run: history import, catching up, "
                          "archiving")
                      .Register(registry)
                      .Add({});
  auto* pauses = &prometheus::BuildCounter()
                      .Name("gnlc_bulk_pauses_total")
                      .Help("Pauses bulk work took because residents' calls were slowed")
                      .Register(registry)
                      .Add({});
  auto* paused = &prometheus::BuildCounter()
                      .Name("gnlc_bulk_paused_seconds_total")
                      .Help("How long bulk work paused for residents' calls")
                      .Register(registry)
                      .Add({});
  auto* pause = &prometheus::BuildGauge()
                     .Name("gnlc_bulk_pause_seconds")
                     .Help("The pause bulk work takes after each chunk now (0: full speed)")
                     .Register(registry)
                     .Add({});
  auto* quiet = &prometheus::BuildGauge()
                     .Name("gnlc_bulk_quiet_live_p99_seconds")
                     .Help(
                         "Residents' Redis p99 when no bulk work runs, as last measured "
                         "(0: not measured)")
                     .Register(registry)
                     .Add({});
  // Counters only go up: each scrape adds what the stats gained since the last.
  auto last = std::make_shared<BulkPacer::Stats>();
  metrics->OnScrape([=] {
    const BulkPacer::Stats now = pacer->stats();
    chunks->Increment(static_cast<double>(now.chunks - last->chunks));
    pauses->Increment(static_cast<double>(now.pauses - last->pauses));
    paused->Increment(absl::ToDoubleSeconds(now.paused - last->paused));
    pause->Set(absl::ToDoubleSeconds(now.pause));
    quiet->Set(now.quiet ? absl::ToDoubleSeconds(*now.quiet) : 0);
    *last = now;
  });
}

}  // namespace gnlc
