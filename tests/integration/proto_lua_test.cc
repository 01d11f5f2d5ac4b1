// The Lua protobuf writer the scripts build events and records with
// (common/events/proto_fields_lua.h), run in a real Redis and compared with
// protobuf's own encoding at every varint length boundary.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/events/proto_fields_lua.h"
#include "common/redis/redis_pool.h"
#include "common/redis/redis_script.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

std::string ProtobufVarint(uint64_t n) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteVarint64(n);
  coded.Trim();
  return out;
}

TEST(ProtoLua, VarintsAreProtobufsAtEveryLengthBoundary) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisPool pool((*redis)->AdminOptions());
  const RedisScript varint(absl::StrCat(ProtoLuaPrelude(), "return pb_varint(tonumber(ARGV[1]))"));
  for (uint64_t n : {0ull, 1ull, 127ull, 128ull, 300ull, 16383ull, 16384ull, 16385ull, 2097151ull,
                     2097152ull, 1764547200000ull, 4503599627370495ull}) {
    auto got = varint.Run(pool, {}, {std::to_string(n)});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->view().str(), ProtobufVarint(n)) << n;
  }
}

}  // namespace
}  // namespace gnlc
