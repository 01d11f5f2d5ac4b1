// An owned hiredis reply and a cheap read-only view of its parts.
//
//   ASSIGN_OR_RETURN(RedisReply reply, pool.Command({"HGET", key, field}));
//   if (reply.view().is_nil()) return NotFound(...);
//   absl::string_view blob = reply.view().str();
#ifndef GNLC_COMMON_REDIS_REDIS_REPLY_H_
#define GNLC_COMMON_REDIS_REDIS_REPLY_H_

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace gnlc {

// A non-owning view of one reply element.
class ReplyView final {
 public:
  explicit ReplyView(const redisReply* r) : r_(r) {}
  bool is_nil() const { return r_->type == REDIS_REPLY_NIL; }
  bool is_array() const { return r_->type == REDIS_REPLY_ARRAY; }
  bool is_integer() const { return r_->type == REDIS_REPLY_INTEGER; }
  bool is_string() const {
    return r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS;
  }
  // The bytes of a string or status reply; empty for other types.
  absl::string_view str() const {
    return is_string() ? absl::string_view(r_->str, r_->len) : absl::string_view();
  }
  int64_t integer() const { return is_integer() ? r_->integer : 0; }
  // Number of elements of an array reply; 0 for other types.
  size_t size() const { return is_array() ? r_->elements : 0; }
  // Element i of an array reply. Past the end (or not an array) it is a nil
  // view, and a broken invariant is counted and logged (invariant.h): our
  // code and our script disagree on a reply's shape.
  ReplyView operator[](size_t i) const {
    return i < size() ? ReplyView(r_->element[i]) : OutOfRange(i);
  }

 private:
  ReplyView OutOfRange(size_t i) const;

  const redisReply* r_;
};

// Owns a reply returned by hiredis.
class RedisReply final {
 public:
  explicit RedisReply(redisReply* r) : r_(r, &freeReplyObject) {}
  ReplyView view() const { return ReplyView(r_.get()); }

 private:
  std::unique_ptr<redisReply, void (*)(void*)> r_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_REPLY_H_
