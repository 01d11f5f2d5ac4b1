// The city's config file, JSON or text format: parsed and validated, never
// a crash, whatever a mistyped file holds.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "common/config/city_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  google::protobuf::SetLogHandler(nullptr);  // its notes on bad text are expected here
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto config = gnlc::ParseCityConfig(text, (data[0] & 1) != 0);
  if (config.ok()) (void)gnlc::ValidateCityConfig(*config);
  return 0;
}
