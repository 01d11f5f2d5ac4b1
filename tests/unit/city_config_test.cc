#include "common/config/city_config.h"

#include <gtest/gtest.h>

namespace gnlc {
namespace {

TEST(ParseCityConfig, ReadsJsonAndTextFormat) {
  auto json = ParseCityConfig(
      R"({"cityId":"nanjing","districts":[{"id":"gulou","population":"940387"}]})", true);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->districts(0).population(), 940387);
  auto text = ParseCityConfig(R"(city_id: "suzhou" districts { id: "gusu" population: 1 })", false);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(HasDistrict(*text, "gusu"));
  EXPECT_FALSE(HasDistrict(*text, "gulou"));
}

TEST(ParseCityConfig, FailsFastOnMistakes) {
  EXPECT_FALSE(ParseCityConfig(R"({"cityId":"nanjing","distrcts":[]})", true).ok());  // typo
  EXPECT_FALSE(ParseCityConfig(R"({"cityId":"Nan Jing"})", true).ok());
  EXPECT_FALSE(
      ParseCityConfig(
          R"({"cityId":"a","districts":[{"id":"x","population":"1"},{"id":"x","population":"2"}]})",
          true)
          .ok());
  EXPECT_FALSE(
      ParseCityConfig(R"({"cityId":"a","districts":[{"id":"x","population":"0"}]})", true).ok());
  EXPECT_FALSE(ParseCityConfig(R"({"cityId":"a","peers":[{"cityId":"a"}]})", true).ok());
}

TEST(LoadCityConfig, TheShippedCitiesAreValid) {
  for (const char* city : {"nanjing", "suzhou"}) {
    auto config = LoadCityConfig(std::string(GNLC_SOURCE_DIR) + "/deploy/cities/" + city + ".json");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->city_id(), city);
    EXPECT_GE(config->districts_size(), 10);
  }
}

}  // namespace
}  // namespace gnlc
