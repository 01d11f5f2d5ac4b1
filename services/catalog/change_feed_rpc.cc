// ListProgramChanges and GetFeedDigest: the feed member cities harvest, like
// OAI-PMH incremental harvesting, and the digests that let them check their
// copy. A cursor is the epoch of the feed and the sequence of the last
// change seen (feed_cursor.h); it never expires, and a cursor of an earlier
// feed (Redis rebuilt) is refused rather than silently served from a
// position that means something else now.
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_views.h"
#include "services/catalog/feed_cursor.h"
#include "services/catalog/feed_digest.h"

namespace gnlc::catalog {
namespace {

constexpr int kDefaultFeedPage = 100;
constexpr int kMaxFeedPage = 1000;
// Log entries read per Redis call while computing a digest: small enough
// that no single call holds Redis up.
constexpr int kLogScanChunk = 5000;
// Records per digest page, before the 1 MiB cut.
constexpr size_t kDigestRecordsPerPage = 500;

void ToChange(const StoredChange& c, pb::ProgramChange& out) {
  out.set_sequence(c.sequence);
  out.set_deleted(c.deleted);
  if (c.deleted) {
    out.set_name(c.deleted_name);
    *out.mutable_change_time() = TimestampFromTime(absl::FromUnixMillis(c.deleted_unix_ms));
  } else if (c.is_program) {
    if (!out.mutable_program()->ParseFromString(c.record)) {
      ReportBrokenInvariant("a stored program does not parse",
                            {{"sequence", std::to_string(c.sequence)}});
    }
    out.set_name(out.program().name());
    *out.mutable_change_time() = out.program().update_time();
  } else {
    Offering& o = *out.mutable_offering();
    if (!o.ParseFromString(c.record)) {
      ReportBrokenInvariant("a stored offering does not parse",
                            {{"sequence", std::to_string(c.sequence)}});
    }
    if (c.seats_taken) {
      o.set_seats_taken(*c.seats_taken);
      o.set_seats_left(
          o.capacity().has_unlimited() ? -1 : std::max(0, o.capacity().seats() - *c.seats_taken));
    }
    out.set_name(o.name());
    *out.mutable_change_time() = o.update_time();
  }
}

absl::Status FeedReset() {
  return MakeError(absl::StatusCode::kFailedPrecondition, "FEED_RESET",
                   "the cursor is of an earlier feed of this city (its data was rebuilt): harvest "
                   "again from an empty cursor into a fresh copy");
}

// Digest page tokens: "{head}:{after}", the head fixed by the first page.
std::string EncodeDigestToken(int64_t head, int64_t after) {
  return absl::WebSafeBase64Escape(absl::StrCat(head, ":", after));
}

absl::Status DecodeDigestToken(absl::string_view token, int64_t& head, int64_t& after) {
  std::string raw;
  std::pair<std::string, std::string> parts;
  if (token.size() <= 64 && absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits(':', 1));
    if (absl::SimpleAtoi(parts.first, &head) && absl::SimpleAtoi(parts.second, &after) &&
        head >= 0 && after >= 0 && after <= head) {
      return absl::OkStatus();
    }
  }
  return InvalidArgument("INVALID_PAGE_TOKEN", "page_token must come from an earlier response",
                         {{"field", "page_token"}});
}

}  // namespace

absl::Status CatalogService::DoListProgramChanges(const pb::ListProgramChangesRequest& req,
                                                  pb::ListProgramChangesResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(FeedCursor cursor, DecodeFeedCursor(req.cursor()));
  ASSIGN_OR_RETURN(int page_size,
                   EffectivePageSize(req.page_size(), kDefaultFeedPage, kMaxFeedPage));
  ASSIGN_OR_RETURN(FeedPage page, store_.ListChanges(cursor.sequence, page_size + 1, cursor.epoch));
  if (page.reset) return FeedReset();
  std::vector<StoredChange>& changes = page.changes;
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
  int64_t last = cursor.sequence;
  for (const StoredChange& c : changes) {
    ToChange(c, *resp.add_changes());
    last = c.sequence;
  }
  resp.set_next_cursor(EncodeFeedCursor({page.epoch, last}));
  resp.set_head_sequence(page.head_sequence);
  if (page.head) {
    pb::ProgramChange head;
    ToChange(*page.head, head);
    *resp.mutable_head_change_time() = head.change_time();
  }
  return absl::OkStatus();
}

absl::Status CatalogService::DoGetFeedDigest(const pb::GetFeedDigestRequest& req,
                                             pb::GetFeedDigestResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (req.bucket_count() < 1 || req.bucket_count() > kMaxDigestBuckets) {
    return InvalidArgument("INVALID_BUCKET_COUNT", "bucket_count must be between 1 and 4096",
                           {{"field", "bucket_count"}});
  }
  if (req.records() && (req.bucket() < 0 || req.bucket() >= req.bucket_count())) {
    return InvalidArgument("INVALID_BUCKET", "bucket must be between 0 and bucket_count - 1",
                           {{"field", "bucket"}});
  }
  ASSIGN_OR_RETURN(FeedPage head, store_.ListChanges(0, 0, ""));
  int64_t up_to = head.head_sequence, after = 0;
  if (!req.page_token().empty()) RETURN_IF_ERROR(DecodeDigestToken(req.page_token(), up_to, after));
  resp.set_cursor(EncodeFeedCursor({head.epoch, up_to}));
  if (!req.records()) {
    FeedDigest digest(req.bucket_count());
    std::vector<LogEntry> entries;
    while (after < up_to) {
      entries.clear();
      RETURN_IF_ERROR(store_.ScanLog(after, up_to, kLogScanChunk, entries).status());
      if (entries.empty()) break;
      for (const LogEntry& e : entries) {
        if (e.live) digest.Add(e.member, e.sequence);
      }
      after = entries.back().sequence;
    }
    for (int b = 0; b < digest.bucket_count(); ++b) {
      pb::DigestBucket* out = resp.add_buckets();
      out->set_count(digest.counts()[b]);
      out->set_hash(digest.hashes()[b]);
    }
    return absl::OkStatus();
  }
  // The bucket's live records, in log order, a page at a time.
  std::vector<std::string> members;
  absl::flat_hash_map<std::string, int64_t> scanned_at;  // member -> its log position then
  std::vector<LogEntry> entries;
  int64_t scanned = after;
  while (scanned < up_to && members.size() < kDigestRecordsPerPage) {
    entries.clear();
    RETURN_IF_ERROR(store_.ScanLog(scanned, up_to, kLogScanChunk, entries).status());
    if (entries.empty()) {
      scanned = up_to;
      break;
    }
    for (const LogEntry& e : entries) {
      scanned = e.sequence;
      if (e.live && FeedBucketOf(e.member, req.bucket_count()) == req.bucket()) {
        members.push_back(e.member);
        scanned_at[e.member] = e.sequence;
        if (members.size() == kDigestRecordsPerPage) break;
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<StoredChange> records, store_.ReadEntries(members));
  PageBytes budget;
  int64_t emitted_up_to = after;
  for (const StoredChange& c : records) {
    if (!budget.Take(c.record.size() + 64)) {
      scanned = emitted_up_to;  // the rest on the next page
      break;
    }
    emitted_up_to = scanned_at[c.member];
    // Deleted since the scan: absent now, as it will be from the mirror.
    if (!c.deleted) ToChange(c, *resp.add_changes());
  }
  if (scanned < up_to) resp.set_next_page_token(EncodeDigestToken(up_to, scanned));
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
