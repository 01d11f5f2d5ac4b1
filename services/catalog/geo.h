// Distances on the Earth and the grid cells the index files offerings under.
//
//   double m = DistanceMeters(32.0603, 118.7969, 31.2989, 120.5853);  // ~190 km
//   for (uint64_t cell : CellsWithin(lat, lng, 3000)) { ... }
#ifndef GNLC_SERVICES_CATALOG_GEO_H_
#define GNLC_SERVICES_CATALOG_GEO_H_

#include <cstdint>
#include <vector>

namespace gnlc::catalog {

// Great-circle distance (haversine, mean Earth radius) in metres.
double DistanceMeters(double lat1, double lng1, double lat2, double lng2);

// The grid cell of a point. Cells are 0.02 degrees (about 2.2 km north-south).
uint64_t CellOf(double lat, double lng);

// Every cell that may hold a point within `radius_m` of (lat, lng).
std::vector<uint64_t> CellsWithin(double lat, double lng, double radius_m);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_GEO_H_
