// The outbox: every catalog write appends exactly one event of the right
// type to the catalog stream, in the same step; a rejected write appends
// none. Read back from Redis, decoded as gnlc.events.v1.Event.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/events/event_codec.h"
#include "common/redis/redis_pool.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::catalog::testing {
namespace {

using ::testing::ElementsAre;

// (type, resource, flag) of every event in the stream, oldest first; the flag
// is `created` for upserts and `cancelled` for offering upserts.
std::vector<std::tuple<std::string, std::string, bool>> StreamEvents(const std::string& address) {
  RedisPool pool(gnlc::testing::TestRedisAdminOptions(address));
  auto reply = pool.Command({"XRANGE", kCatalogStream, "-", "+"});
  EXPECT_TRUE(reply.ok()) << reply.status();
  std::vector<std::tuple<std::string, std::string, bool>> out;
  const ReplyView entries = reply->view();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ReplyView fields = entries[i][1];
    auto event = DecodeEvent(entries[i][0].str(), fields[1].str());
    EXPECT_TRUE(event.ok());
    bool flag = false;
    if (event->has_program_upserted()) flag = event->program_upserted().created();
    if (event->has_offering_upserted()) {
      flag = event->offering_upserted().created() || event->offering_upserted().cancelled();
    }
    EXPECT_EQ(event->city(), "nanjing");
    out.emplace_back(event->type(), event->resource(), flag);
  }
  return out;
}

class EventsTest : public CatalogTest {};

TEST_F(EventsTest, EachWriteAppendsOneEventAndRejectedWritesNone) {
  const auto p = MustCreateProgram(stub(), NewProgram("篆刻", "Seal carving"), "once");
  MustCreateProgram(stub(), NewProgram("篆刻", "Seal carving"), "once");  // retry: no event
  const auto o = MustCreateOffering(stub(), p.name(),
                                    NewOffering(absl::Now(), absl::Hours(48), 32, 118.8, "gulou"));
  pb::UpdateProgramRequest up;
  up.mutable_program()->set_name(p.name());
  up.mutable_program()->mutable_title()->set_en("Seal carving II");
  up.mutable_update_mask()->add_paths("title.en");
  up.set_etag("1");
  pb::UpdateProgramResponse updated;
  ASSERT_TRUE(stub().UpdateProgram(Ctx().get(), up, &updated).ok());
  EXPECT_EQ(stub().UpdateProgram(Ctx().get(), up, &updated).error_code(),
            grpc::StatusCode::ABORTED);  // stale etag: no event
  pb::CancelOfferingRequest cancel;
  cancel.set_name(o.name());
  cancel.mutable_reason()->set_en("Flooded venue");
  pb::CancelOfferingResponse cancelled;
  ASSERT_TRUE(stub().CancelOffering(Ctx().get(), cancel, &cancelled).ok());
  pb::DeleteProgramRequest del;
  del.set_name(p.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(stub().DeleteProgram(Ctx().get(), del, &deleted).ok());

  EXPECT_THAT(StreamEvents(redis_->address()),
              ElementsAre(std::make_tuple("program_upserted", p.name(), true),
                          std::make_tuple("offering_upserted", o.name(), true),
                          std::make_tuple("program_upserted", p.name(), false),
                          std::make_tuple("offering_upserted", o.name(), true),
                          std::make_tuple("program_deleted", p.name(), false)));
}

}  // namespace
}  // namespace gnlc::catalog::testing
