#include "common/redis/redis_reply.h"

#include <string>

#include "common/status/invariant.h"

namespace gnlc {

ReplyView ReplyView::OutOfRange(size_t i) const {
  static const redisReply kNil = [] {
    redisReply r{};
    r.type = REDIS_REPLY_NIL;
    return r;
  }();
  ReportBrokenInvariant("a Redis reply read past its end",
                        {{"index", std::to_string(i)}, {"size", std::to_string(size())}});
  return ReplyView(&kNil);
}

}  // namespace gnlc
