// The dashboard port's pages for people and spreadsheets (HTTPS, for
// analysts and city admins: dashboard_access.h):
//   /dashboard?lang=zh|en&period=2026      scorecard with progress toward each
//       target, monthly charts, breakdown bars, peer comparison; inline SVG
//       and CSS only (no external scripts or fonts: it works offline)
//   /export.csv?indicator=participation-rate&from=2026-01&to=2026-12
//       one indicator's series (period,value,numerator,denominator)
#ifndef GNLC_SERVICES_ANALYTICS_DASHBOARD_H_
#define GNLC_SERVICES_ANALYTICS_DASHBOARD_H_

#include <memory>

#include "common/server/https_server.h"
#include "services/analytics/analytics_service.h"
#include "services/analytics/dashboard_access.h"

namespace gnlc::analytics {

// The pages on `web`, for callers `access` lets in; also /login, /logout.
void AddDashboard(HttpsServer& web, AnalyticsService* service,
                  std::shared_ptr<DashboardAccess> access);

// The dashboard port of a server started with `options` (for
// GnlcServer::AddWebServer): HTTPS with the service's certificate (plain
// HTTP only when the city's TLS is off) on options.dashboard_host and
// dashboard_port.
std::unique_ptr<HttpsServer> MakeDashboard(const ServerOptions& options, AnalyticsService* service);

// Exposed for tests.
HttpResponse RenderDashboard(AnalyticsService& service, absl::string_view query);
HttpResponse RenderCsv(AnalyticsService& service, absl::string_view query);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DASHBOARD_H_
