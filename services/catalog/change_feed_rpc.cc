// ListProgramChanges: the feed member cities harvest, like OAI-PMH
// incremental harvesting. A cursor is the sequence of the last change seen;
// it is plain (base64 of "v1:{sequence}") because any position is a
// legitimate place to resume, and it never expires.
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_views.h"

namespace gnlc::catalog {
namespace {

constexpr int kDefaultFeedPage = 100;
constexpr int kMaxFeedPage = 1000;

std::string EncodeFeedCursor(int64_t sequence) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1:", sequence));
}

absl::StatusOr<int64_t> DecodeFeedCursor(absl::string_view cursor) {
  if (cursor.empty()) return 0;
  std::string raw;
  int64_t sequence = 0;
  if (cursor.size() > 64 || !absl::WebSafeBase64Unescape(cursor, &raw) ||
      !absl::StartsWith(raw, "v1:") || !absl::SimpleAtoi(raw.substr(3), &sequence) ||
      sequence < 0) {
    return InvalidArgument("INVALID_CURSOR",
                           "cursor must be a next_cursor from an earlier response, or empty",
                           {{"field", "cursor"}});
  }
  return sequence;
}

}  // namespace

absl::Status CatalogService::DoListProgramChanges(const pb::ListProgramChangesRequest& req,
                                                  pb::ListProgramChangesResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(int64_t after, DecodeFeedCursor(req.cursor()));
  ASSIGN_OR_RETURN(int page_size,
                   EffectivePageSize(req.page_size(), kDefaultFeedPage, kMaxFeedPage));
  ASSIGN_OR_RETURN(std::vector<StoredChange> changes, store_.ListChanges(after, page_size + 1));
  resp.set_has_more(static_cast<int>(changes.size()) > page_size);
  if (resp.has_more()) changes.resize(page_size);
  PageBytes budget;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (!budget.Take(changes[i].record.size() + 64)) {
      changes.resize(i);
      resp.set_has_more(true);
      break;
    }
  }
  int64_t last = after;
  for (const StoredChange& c : changes) {
    pb::ProgramChange* out = resp.add_changes();
    out->set_sequence(c.sequence);
    out->set_deleted(c.deleted);
    if (c.deleted) {
      out->set_name(c.deleted_name);
      *out->mutable_change_time() = TimestampFromTime(absl::FromUnixMillis(c.deleted_unix_ms));
    } else if (c.is_program) {
      out->mutable_program()->ParseFromString(c.record);
      out->set_name(out->program().name());
      *out->mutable_change_time() = out->program().update_time();
    } else {
      out->mutable_offering()->ParseFromString(c.record);
      out->set_name(out->offering().name());
      *out->mutable_change_time() = out->offering().update_time();
    }
    last = c.sequence;
  }
  resp.set_next_cursor(EncodeFeedCursor(last));
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
