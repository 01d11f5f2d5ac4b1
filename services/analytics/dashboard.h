// The admin port's pages for people and spreadsheets:
//   /dashboard?lang=zh|en&period=2026      scorecard with progress toward each
//       target, monthly charts, breakdown bars, peer comparison; inline SVG
//       and CSS only (no external scripts or fonts: it works offline)
//   /export.csv?indicator=participation-rate&from=2026-01&to=2026-12
//       one indicator's series (period,value,numerator,denominator)
#ifndef GNLC_SERVICES_ANALYTICS_DASHBOARD_H_
#define GNLC_SERVICES_ANALYTICS_DASHBOARD_H_

#include "common/server/admin_http.h"
#include "services/analytics/analytics_service.h"

namespace gnlc::analytics {

void AddDashboard(AdminHttpServer& admin, AnalyticsService* service);

// Exposed for tests.
HttpResponse RenderDashboard(AnalyticsService& service, absl::string_view query);
HttpResponse RenderCsv(AnalyticsService& service, absl::string_view query);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DASHBOARD_H_
