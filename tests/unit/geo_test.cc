#include "services/catalog/geo.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gnlc::catalog {
namespace {

TEST(DistanceMeters, NanjingToSuzhouIsAbout190Km) {
  // Xinjiekou, Nanjing to Guanqian Street, Suzhou.
  const double m = DistanceMeters(32.0416, 118.7784, 31.3106, 120.6269);
  EXPECT_NEAR(m, 194000, 6000);
}

TEST(DistanceMeters, OneThousandthOfADegreeOfLatitudeIsAbout111m) {
  EXPECT_NEAR(DistanceMeters(32.0, 118.0, 32.001, 118.0), 111.2, 0.5);
  EXPECT_DOUBLE_EQ(DistanceMeters(32.0, 118.0, 32.0, 118.0), 0.0);
}

TEST(CellsWithin, CoversEveryPointInsideTheRadius) {
  const double lat = 32.05, lng = 118.78, radius = 3000;
  const auto cells = CellsWithin(lat, lng, radius);
  // Points on the circle in eight directions must fall in a returned cell.
  for (double dlat : {-0.0269, 0.0, 0.0269}) {
    for (double dlng : {-0.0317, 0.0, 0.0317}) {
      if (DistanceMeters(lat, lng, lat + dlat, lng + dlng) > radius) continue;
      EXPECT_TRUE(std::binary_search(cells.begin(), cells.end(), CellOf(lat + dlat, lng + dlng)))
          << dlat << "," << dlng;
    }
  }
}

TEST(CellsWithin, WrapsAroundTheAntimeridian) {
  const auto cells = CellsWithin(0.0, 179.999, 5000);
  EXPECT_TRUE(std::binary_search(cells.begin(), cells.end(), CellOf(0.0, -179.999)));
}

}  // namespace
}  // namespace gnlc::catalog
