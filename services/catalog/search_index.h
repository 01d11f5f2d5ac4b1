// The in-memory index each catalog replica serves reads and searches from.
// Built from Redis at start, then kept current by the replica's own writes
// and by following the catalog stream; every record carries its version, so
// applying the same change twice, or an older one late, changes nothing.
//
//   SearchIndex index;
//   index.UpsertProgram(program);          // from a write or an event
//   SearchQuery q;  q.terms = QueryTerms("书法");
//   SearchPage page = index.Search(q, absl::ToUnixSeconds(absl::Now()));
//
// Thread-safe: searches share a reader lock; writes take it exclusively.
#ifndef GNLC_SERVICES_CATALOG_SEARCH_INDEX_H_
#define GNLC_SERVICES_CATALOG_SEARCH_INDEX_H_

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/events/event_codec.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "services/catalog/availability.h"

namespace gnlc::catalog {

using gnlc::catalog::v1::Offering;
using gnlc::catalog::v1::Program;

// Where the previous page ended, in the page's order.
struct SearchCursor {
  double key = 0;
  std::string name;
};

// A parsed and validated SearchProgramsRequest.
struct SearchQuery {
  std::vector<std::string> terms;  // all must match (QueryTerms)
  std::vector<int> kinds, age_bands, modalities, availability;
  std::vector<std::string> topics, languages, districts;
  v1::PriceFilter price = v1::PRICE_FILTER_UNSPECIFIED;
  std::optional<int64_t> start_after, start_before;  // unix seconds
  bool has_geo = false;
  double lat = 0, lng = 0, radius_m = 0;
  v1::SearchOrder order = v1::SEARCH_ORDER_RELEVANCE;
  int page_size = 50;
  std::optional<SearchCursor> after;
  // The search stops (SearchPage::timed_out) once the clock passes this.
  absl::Time deadline = absl::InfiniteFuture();
  // Statistics of the whole corpus searched, when it spans several indexes
  // (this city and its mirrors): how many programs, and how many contain
  // each of `terms`. Text relevance then weighs terms by these, so that
  // scores from different indexes are comparable. Empty: this index's own.
  double corpus_programs = 0;
  std::vector<double> term_programs;
};

// How many programs an index holds, and how many contain each term.
struct TermStats {
  double programs = 0;
  std::vector<double> containing;  // by term, in the order asked
};

struct SearchHit {
  std::string program;  // serialized Program as stored
  Availability availability = v1::AVAILABILITY_UNSPECIFIED;
  int32_t offering_count = 0;
  double distance_m = 0;
  std::optional<int64_t> next_start;
  double relevance = 0;
  int32_t seats_left = 0;
  SearchCursor cursor;
};

struct SearchPage {
  std::vector<SearchHit> hits;
  int32_t total = 0;
  bool more = false;
  // The query's deadline passed before it was done: nothing else is set.
  bool timed_out = false;
  // The same query gives the same page while the index is at `generation`
  // and the clock is before `valid_until` (unix seconds): the first moment
  // an evaluated program's availability can change.
  uint64_t generation = 0;
  int64_t valid_until = INT64_MAX;
  std::map<std::string, int32_t> kind_facets, modality_facets, district_facets, availability_facets;
};

// Computed fields of a program for Get/List.
struct ProgramView {
  std::string program;  // serialized
  v1::ProgramState state = v1::PROGRAM_STATE_UNSPECIFIED;
  Availability availability = v1::AVAILABILITY_UNSPECIFIED;
  int32_t offering_count = 0;
  int64_t create_time = 0;
};

struct OfferingView {
  std::string offering;  // serialized
  Availability availability = v1::AVAILABILITY_UNSPECIFIED;
  int32_t seats_taken = 0;
  int32_t seats_left = 0;
  int64_t start = 0;
};

class SearchIndex final {
 public:
  // `removals_final`: a removed program can never come back (this city's
  // index, fed by events that may arrive late); false for mirrors, whose
  // records are re-read from Redis and may be restored by a repair.
  explicit SearchIndex(bool removals_final = true);
  ~SearchIndex();

  // Each returns true if the record was newer than the indexed one.
  bool UpsertProgram(const Program& program);
  bool UpsertOffering(const Offering& offering);
  // Drops a program and its offerings for good (ids are never reused).
  void RemoveProgram(absl::string_view program_id);
  // Drops one offering (mirrors only: a city never deletes an offering).
  void RemoveOffering(absl::string_view offering_id);
  TermStats Stats(const std::vector<std::string>& terms) const;
  // Applies a catalog event (others are ignored).
  void ApplyEvent(const Event& event);
  // Seats taken of an offering, as the enrollment service reports them.
  void SetSeatsTaken(absl::string_view offering_id, int32_t taken);

  std::optional<ProgramView> GetProgram(absl::string_view program_id, int64_t now) const;
  std::optional<OfferingView> GetOffering(absl::string_view program_id,
                                          absl::string_view offering_id, int64_t now) const;
  // A program's offerings by start time, then id.
  std::vector<OfferingView> ListOfferings(absl::string_view program_id, int64_t now) const;
  // Programs newest first; `after` is (create_time, name) of the last one
  // seen. Drafts only with `include_drafts` (they are for city admins).
  std::vector<ProgramView> ListPrograms(v1::ProgramState state, int kind, bool include_drafts,
                                        const std::optional<SearchCursor>& after, int limit,
                                        int64_t now, bool& more) const;

  SearchPage Search(const SearchQuery& query, int64_t now) const;

  // Changes whenever the index does (every applied write).
  uint64_t generation() const;
  size_t program_count() const;
  // The ids of the programs indexed now.
  std::vector<std::string> ProgramIds() const;
  size_t offering_count() const;

 public:
  struct Summary;  // public for their static_asserts only
  struct CompactOffering;

 private:
  struct OfferingDoc;
  struct ProgramDoc;
  struct GeoPoint;
  struct GeoMatch;
  struct Span {  // a program's compact offerings
    uint32_t offset = 0;
    uint16_t count = 0;
    uint32_t home_district = 0;  // interned
  };
  // How much of a program an evaluation looks at: its summary, its compact
  // offerings, or everything (the page's rows, which need seats).
  enum class Depth { kSummary, kCompact, kDetailed };
  struct Evaluation;
  struct PreparedQuery;

  // Term ids and posting lists. A posting is (slot << 2 | weight).
  uint32_t TermId(absl::string_view term) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::vector<uint32_t>* Postings(absl::string_view term) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Brings the postings of `slot` from `before` to `after` (packed
  // term << 2 | weight, sorted by term).
  void DiffPostings(uint32_t slot, const std::vector<uint32_t>& before,
                    const std::vector<uint32_t>& after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<uint32_t> TextTerms(const Program& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes what derives from the offerings: filter terms, geo cells and
  // the summary. `remove_all` empties them (program deleted).
  void Refresh(uint32_t slot, bool remove_all = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rewrites the compact-offering arena without the space of old versions.
  void CompactArena() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t Intern(absl::string_view s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The bit of an interned district in summaries' masks (the first 64
  // districts seen; a city has a few dozen), or 0xff.
  uint32_t DistrictBit(uint32_t district) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t Lookup(absl::string_view s) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  PreparedQuery Prepare(const SearchQuery& q) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Whether the program in `slot` matches, and what the page and facets
  // need to know: from its summary when `fast`, else offering by offering.
  // `geo`: what the grid found for this program (near-me searches only).
  bool Evaluate(uint32_t slot, const SearchQuery& q, const PreparedQuery& pq, int64_t now,
                Depth depth, const GeoMatch* geo, Evaluation& out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The rules every evaluation shares, over one offering: its compact form,
  // whether it passes the offering-level filters (and the circle, setting
  // `distance`), and what a passing one adds to the evaluation.
  static CompactOffering CompactOf(const OfferingDoc& o, uint32_t home_district);
  static bool OfferingPasses(const SearchQuery& q, const PreparedQuery& pq,
                             const CompactOffering& o, double& distance);
  static void CountMatch(const CompactOffering& o, double distance, int64_t now, Evaluation& out,
                         double& best_distance);
  bool EvaluateCompact(uint32_t slot, const SearchQuery& q, const PreparedQuery& pq, int64_t now,
                       Evaluation& out) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // `horizon`, if given, is lowered to when the answer may change.
  Availability CachedAvailability(uint32_t slot, int64_t now, int64_t* horizon = nullptr) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The slots that may match, ascending, with their text relevance, and for
  // near-me searches (when `geo` is given) what the grid found for each.
  std::vector<uint32_t> Candidates(const SearchQuery& q, const PreparedQuery& pq,
                                   std::vector<double>& relevance, std::vector<GeoMatch>* geo) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  ProgramView ViewOf(uint32_t slot, int64_t now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const bool removals_final_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<ProgramDoc>> docs_ ABSL_GUARDED_BY(mu_);
  // Parallel to docs_: what most searches need, compact and contiguous.
  std::vector<Summary> summaries_ ABSL_GUARDED_BY(mu_);
  // Parallel to docs_ too: each program's kind, one byte, so that a search
  // by kind and district tests the kind of every program in the district
  // from 100 KB that stay in cache (for 100,000 programs) instead of
  // intersecting two long posting lists.
  std::vector<uint8_t> slot_kinds_ ABSL_GUARDED_BY(mu_);
  std::vector<CompactOffering> compact_ ABSL_GUARDED_BY(mu_);  // arena
  std::vector<Span> compact_spans_ ABSL_GUARDED_BY(mu_);       // by slot
  size_t compact_garbage_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint32_t> free_slots_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> slot_by_program_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> slot_by_offering_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> removed_programs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int32_t> seats_taken_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> term_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<uint32_t>> postings_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::vector<GeoPoint>> cells_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> interned_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> interned_names_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> district_bits_ ABSL_GUARDED_BY(mu_);      // by interned id
  std::vector<uint32_t> districts_by_bit_ ABSL_GUARDED_BY(mu_);  // interned ids
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  size_t live_programs_ ABSL_GUARDED_BY(mu_) = 0;
  size_t live_offerings_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_SEARCH_INDEX_H_
