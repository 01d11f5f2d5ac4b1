// Synthetic programs and offerings for benchmarks and load tests: bilingual
// titles from a vocabulary of real course names, venues scattered over a
// city's area, a mix of kinds, modalities, prices and windows. Deterministic
// for a given seed, so benchmark runs are comparable.
//
//   SyntheticCatalog gen(config, /*seed=*/42);
//   Program p = gen.NextProgram();                  // name unset
//   std::vector<Offering> os = gen.OfferingsFor(now); // 1 to 4, mean 2.5
#ifndef GNLC_TOOLS_DEMO_SYNTHETIC_CATALOG_H_
#define GNLC_TOOLS_DEMO_SYNTHETIC_CATALOG_H_

#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/offering.pb.h"
#include "gnlc/catalog/v1/program.pb.h"

namespace gnlc::demo {

// The bounding box venues are drawn from.
struct Area {
  double min_lat, max_lat, min_lng, max_lng;
};
// Nanjing's and Suzhou's urban areas; other cities get Nanjing's.
Area AreaOf(const std::string& city_id);

class SyntheticCatalog final {
 public:
  SyntheticCatalog(const CityConfig& config, uint32_t seed);

  gnlc::catalog::v1::Program NextProgram();
  std::vector<gnlc::catalog::v1::Offering> OfferingsFor(absl::Time now);

  // Query material for benchmarks: a Chinese and an English word that occur
  // in titles, a point inside the area.
  static std::vector<std::string> ChineseQueries();
  static std::vector<std::string> EnglishQueries();

 private:
  CityConfig config_;
  Area area_;
  std::mt19937 rng_;
};

}  // namespace gnlc::demo

#endif  // GNLC_TOOLS_DEMO_SYNTHETIC_CATALOG_H_
