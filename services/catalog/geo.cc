#include "services/catalog/geo.h"

#include <algorithm>
#include <cmath>

namespace gnlc::catalog {
namespace {
constexpr double kEarthRadiusM = 6371008.8;
constexpr double kCellDeg = 0.02;
constexpr double kMetersPerDegLat = 111320.0;

double Rad(double deg) { return deg * M_PI / 180.0; }

int64_t Index(double deg) { return static_cast<int64_t>(std::floor(deg / kCellDeg)); }

uint64_t Pack(int64_t lat_i, int64_t lng_i) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(lat_i)) << 32) | static_cast<uint32_t>(lng_i);
}
}  // namespace

double DistanceMeters(double lat1, double lng1, double lat2, double lng2) {
  const double dlat = Rad(lat2 - lat1), dlng = Rad(lng2 - lng1);
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(Rad(lat1)) * std::cos(Rad(lat2)) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

uint64_t CellOf(double lat, double lng) { return Pack(Index(lat), Index(lng)); }

std::vector<uint64_t> CellsWithin(double lat, double lng, double radius_m) {
  const double dlat = radius_m / kMetersPerDegLat;
  // Widest longitude span at the edge of the circle nearest a pole.
  const double max_lat = std::min(89.9, std::abs(lat) + dlat);
  const double dlng = std::min(180.0, radius_m / (kMetersPerDegLat * std::cos(Rad(max_lat))));
  std::vector<uint64_t> cells;
  for (int64_t i = Index(lat - dlat); i <= Index(lat + dlat); ++i) {
    for (int64_t j = Index(lng - dlng); j <= Index(lng + dlng); ++j) {
      // Wrap across the antimeridian.
      const int64_t cells_around = static_cast<int64_t>(std::lround(360.0 / kCellDeg));
      int64_t jj = j;
      const int64_t min_j = Index(-180.0);
      while (jj < min_j) jj += cells_around;
      while (jj >= min_j + cells_around) jj -= cells_around;
      cells.push_back(Pack(i, jj));
    }
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  return cells;
}

}  // namespace gnlc::catalog
