#include "tools/gnlcctl/history_import.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status/errors.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "tools/gnlcctl/csv_reader.h"
#include "tools/gnlcctl/history_csv.h"

namespace gnlc::ctl {
namespace {

namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
namespace tpb = gnlc::type::v1;

constexpr int kCatalogBatch = 500;
constexpr absl::Duration kCallTimeout = absl::Seconds(60);
// How long a batch is retried while the service says "later" (a restart,
// the event backlog, the fair share) before the import stops.
constexpr absl::Duration kGiveUpAfter = absl::Minutes(5);

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Duration(absl::Duration d) {
  const int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m");
}

// One file's counts and the progress line on stderr.
class Progress {
 public:
  // `keep_records`: remember each accepted row's resource (small files).
  Progress(std::string file, int64_t total_bytes, bool keep_records)
      : file_(std::move(file)),
        total_bytes_(total_bytes),
        tty_(::isatty(2) == 1),
        keep_records_(keep_records) {}

  // `resent`: the batch was sent again after a reply that never came, so
  // the first attempt may have applied it; its "unchanged" rows are then
  // counted apart (imported by that attempt, or there before).
  void Add(const tpb::ImportResult& r, int64_t bytes_done, bool resent) {
    absl::MutexLock lock(&mu_);
    imported_ += r.imported();
    (resent ? resent_unchanged_ : unchanged_) += r.unchanged();
    updated_ += r.updated();
    rejected_ += r.rejected();
    for (const auto& rej : r.rejections()) {
      PrintRejectionLocked(rej);
      rejections_.push_back(rej);
    }
    if (keep_records_) records_.insert(records_.end(), r.records().begin(), r.records().end());
    bytes_done_ = std::max(bytes_done_, bytes_done);
    MaybePrintLocked(false);
  }
  // A row gnlcctl could not read (never sent).
  void RejectLocal(const tpb::RejectedRecord& rej) {
    absl::MutexLock lock(&mu_);
    ++rejected_;
    PrintRejectionLocked(rej);
    rejections_.push_back(rej);
  }
  void Skipped(int64_t bytes) {
    absl::MutexLock lock(&mu_);
    skipped_bytes_ = bytes;
  }
  void Finish() {
    absl::MutexLock lock(&mu_);
    bytes_done_ = total_bytes_;
    MaybePrintLocked(true);
  }
  // The counts so far, and the rejected rows by line.
  void Report(tpb::ImportResult& counts, std::vector<tpb::RejectedRecord>& rejected,
              int64_t& resent_unchanged) const {
    absl::MutexLock lock(&mu_);
    resent_unchanged = resent_unchanged_;
    counts.set_imported(imported_);
    counts.set_unchanged(unchanged_);
    counts.set_updated(updated_);
    counts.set_rejected(rejected_);
    for (const auto& rec : records_) *counts.add_records() = rec;
    rejected = rejections_;
    std::sort(rejected.begin(), rejected.end(),
              [](const auto& a, const auto& b) { return a.row() < b.row(); });
  }

 private:
  int64_t RowsLocked() const {
    return imported_ + unchanged_ + resent_unchanged_ + updated_ + rejected_;
  }

  void PrintRejectionLocked(const tpb::RejectedRecord& r) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    // Reasons mostly start with their field already ("enrollment.state must ...").
    const bool named = r.field().empty() || absl::StartsWith(r.reason(), r.field());
    std::fprintf(stderr, "%s:%lld: %s%s%s (source_id %s)\n", file_.c_str(),
                 static_cast<long long>(r.row()), named ? "" : r.field().c_str(), named ? "" : ": ",
                 r.reason().c_str(), r.source_id().c_str());
  }

  void MaybePrintLocked(bool final) {
    const absl::Time now = absl::Now();
    if (!final && now - last_print_ < (tty_ ? absl::Milliseconds(250) : absl::Seconds(5))) return;
    last_print_ = now;
    const double seconds = std::max(absl::ToDoubleSeconds(now - start_), 1e-3);
    const double rate = static_cast<double>(RowsLocked()) / seconds;
    const double share = total_bytes_ > 0 ? static_cast<double>(bytes_done_) / total_bytes_ : 1;
    const int64_t bytes_this_run = bytes_done_ - skipped_bytes_;
    std::string left = "";
    if (!final && bytes_this_run > 0 && share < 1) {
      const double per_byte = seconds / static_cast<double>(bytes_this_run);
      left = absl::StrCat(", ", Duration(absl::Seconds(per_byte * (total_bytes_ - bytes_done_))),
                          " left");
    }
    const std::string line =
        final ? absl::StrCat(file_, ": ", Thousands(RowsLocked()), " rows in ",
                             Duration(now - start_), " (", Thousands(static_cast<int64_t>(rate)),
                             " rows/s): ", Thousands(imported_), " imported, ", Thousands(updated_),
                             " updated, ", Thousands(unchanged_), " unchanged, ",
                             Thousands(rejected_), " rejected",
                             resent_unchanged_ == 0
                                 ? ""
                                 : absl::StrCat(", ", Thousands(resent_unchanged_),
                                                " imported or already there (sent again after "
                                                "a lost reply)"))
              : absl::StrCat(file_, ": ", Thousands(RowsLocked()), " rows (",
                             static_cast<int>(share * 100), "%), ",
                             Thousands(static_cast<int64_t>(rate)), " rows/s", left,
                             rejected_ > 0 ? absl::StrCat(", ", rejected_, " rejected") : "");
    std::fprintf(stderr, "%s%s%s", tty_ ? "\r\033[K" : "", line.c_str(),
                 tty_ && !final ? "" : "\n");
    std::fflush(stderr);
  }

  const std::string file_;
  const int64_t total_bytes_;
  const bool tty_;
  const bool keep_records_;
  const absl::Time start_ = absl::Now();
  mutable absl::Mutex mu_;
  int64_t imported_ = 0, unchanged_ = 0, updated_ = 0, rejected_ = 0;
  int64_t resent_unchanged_ = 0;
  int64_t bytes_done_ = 0, skipped_bytes_ = 0;
  std::vector<tpb::RejectedRecord> rejections_;
  std::vector<tpb::ImportedRecord> records_;
  absl::Time last_print_ = absl::InfinitePast();
};

// The folder's record of how far each file was imported: "FILE SIZE MTIME
// LINE" per file (every record starting at or before LINE is done). A file
// that changed since (size or mtime) starts again from the top.
class Checkpoint {
 public:
  Checkpoint(const std::string& dir, const std::string& city)
      : path_(absl::StrCat(dir, "/.gnlc-import-", city, ".progress")) {
    std::ifstream in(path_);
    std::string file, size, mtime, line;
    while (in >> file >> size >> mtime >> line) {
      entries_[file] = absl::StrCat(size, " ", mtime, " ", line);
    }
  }
  // The line done up to for `file` with this identity, or 0.
  int64_t DoneUpTo(const std::string& file, const std::string& identity) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(file);
    if (it == entries_.end()) return 0;
    const size_t last = it->second.rfind(' ');
    if (it->second.substr(0, last) != identity) return 0;
    int64_t line = 0;
    return absl::SimpleAtoi(it->second.substr(last + 1), &line) ? line : 0;
  }
  void Save(const std::string& file, const std::string& identity, int64_t line) {
    absl::MutexLock lock(&mu_);
    entries_[file] = absl::StrCat(identity, " ", line);
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& [f, rest] : entries_) out << f << " " << rest << "\n";
    }
    std::rename(tmp.c_str(), path_.c_str());
  }

 private:
  const std::string path_;
  absl::Mutex mu_;
  std::map<std::string, std::string> entries_ ABSL_GUARDED_BY(mu_);
};

// "SIZE MTIME" of a file, or "" if it does not exist.
std::string Identity(const std::string& path, int64_t* size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  *size = st.st_size;
  return absl::StrCat(st.st_size, " ", st.st_mtime);
}

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::ABORTED;
}

// Whether a failed call may still have been applied: its reply was lost
// (the service's storage or our deadline timed out after sending).
bool MayHaveApplied(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Calls `send` until it succeeds, fails for good, or kGiveUpAfter passes;
// says on stderr (at most every 10 s) why it waits. `*resent` becomes true
// when an attempt that may have been applied was followed by another.
grpc::Status WithRetries(const std::function<grpc::Status()>& send, bool* resent) {
  static std::atomic<int64_t> last_note{0};
  const absl::Time give_up = absl::Now() + kGiveUpAfter;
  absl::Duration backoff = absl::Milliseconds(200);
  for (;;) {
    grpc::Status s = send();
    if (s.ok() || !Retryable(s.error_code()) || absl::Now() > give_up) return s;
    if (resent != nullptr && MayHaveApplied(s.error_code())) *resent = true;
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    int64_t last = last_note.load();
    if (now - last >= 10 && last_note.compare_exchange_strong(last, now)) {
      std::fprintf(stderr, "%swaiting and retrying: %s\n", ::isatty(2) ? "\r\033[K" : "",
                   s.error_message().c_str());
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

void Prepare(grpc::ClientContext& ctx, const HistoryImportOptions& o) {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  if (!o.plaintext_token.empty()) ctx.AddMetadata("authorization", "Bearer " + o.plaintext_token);
}

int Failed(absl::string_view file, const grpc::Status& s) {
  std::fprintf(stderr, "\n%s: import stopped: %s: %s\n  run the same command again to continue\n",
               std::string(file).c_str(),
               absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())).c_str(),
               s.error_message().c_str());
  return 1;
}

// Reads `file` from the folder; nullopt if absent. Bad headers stop here.
struct OpenFile {
  std::ifstream in;
  std::unique_ptr<CsvReader> csv;
  std::string identity;
  int64_t size = 0;
};
absl::StatusOr<std::unique_ptr<OpenFile>> Open(const std::string& dir, const HistoryFile& spec) {
  auto f = std::make_unique<OpenFile>();
  const std::string path = absl::StrCat(dir, "/", spec.name);
  f->identity = Identity(path, &f->size);
  if (f->identity.empty()) return std::unique_ptr<OpenFile>();
  f->in.open(path, std::ios::binary);
  if (!f->in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  f->csv = std::make_unique<CsvReader>(f->in);
  if (absl::Status s = f->csv->ReadHeader(spec.required, spec.optional); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(spec.name, ": ", s.message()));
  }
  return f;
}

// Sends each row `parse` accepts in requests of `batch` rows through
// `send`, `in_flight` at once, recording the checkpoint as batches finish
// in order. Adds the file's counts to `report`; false if the import stopped.
template <typename Row>
bool SendRows(OpenFile& file, const std::string& name, Checkpoint* checkpoint, int batch,
              int in_flight, int64_t stop_after_batches, HistoryImportReport& report,
              const std::function<absl::StatusOr<Row>(const CsvReader&)>& parse,
              const std::function<grpc::Status(std::vector<Row>&, tpb::ImportResult&)>& send) {
  Progress progress(name, file.size, /*keep_records=*/checkpoint == nullptr);
  const int64_t skip_to = checkpoint ? checkpoint->DoneUpTo(name, file.identity) : 0;
  struct Batch {
    int64_t index = 0, last_line = 0, bytes = 0;
    std::vector<Row> rows;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Batch> queue;
  bool reading_done = false;
  grpc::Status failure;
  std::map<int64_t, int64_t> finished;  // batch index -> its last line
  int64_t next_to_record = 0;
  int64_t acknowledged = 0;
  const auto worker = [&] {
    for (;;) {
      Batch b;
      {
        std::unique_lock lock(mu);
        changed.wait(lock, [&] { return !queue.empty() || reading_done; });
        if (queue.empty() || !failure.ok()) return;
        b = std::move(queue.front());
        queue.pop_front();
        changed.notify_all();
      }
      tpb::ImportResult result;
      bool resent = false;
      const grpc::Status s = WithRetries(
          [&] {
            result.Clear();
            return send(b.rows, result);
          },
          &resent);
      std::lock_guard lock(mu);
      if (!s.ok()) {
        if (failure.ok()) failure = s;
        reading_done = true;
        changed.notify_all();
        return;
      }
      progress.Add(result, b.bytes, resent);
      if (stop_after_batches > 0 && ++acknowledged >= stop_after_batches && failure.ok()) {
        failure = grpc::Status(grpc::StatusCode::CANCELLED, "stopped as asked (--stop_after)");
        reading_done = true;
        changed.notify_all();
      }
      // The checkpoint moves only over batches done in order.
      finished[b.index] = b.last_line;
      while (finished.contains(next_to_record)) {
        if (checkpoint) checkpoint->Save(name, file.identity, finished[next_to_record]);
        finished.erase(next_to_record++);
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < in_flight; ++i) workers.emplace_back(worker);
  Batch current;
  int64_t index = 0;
  const auto flush = [&] {
    if (current.rows.empty()) return true;
    current.index = index++;
    current.bytes = file.csv->bytes();
    std::unique_lock lock(mu);
    changed.wait(lock, [&] { return static_cast<int>(queue.size()) < in_flight || !failure.ok(); });
    if (!failure.ok()) return false;
    queue.push_back(std::move(current));
    current = Batch();
    changed.notify_all();
    return true;
  };
  bool skipping = skip_to > 0;
  while (file.csv->Next()) {
    if (file.csv->line() <= skip_to) continue;
    if (skipping) {
      progress.Skipped(file.csv->bytes());
      skipping = false;
    }
    current.last_line = file.csv->line();
    auto row = parse(*file.csv);
    if (!row.ok()) {
      tpb::RejectedRecord r;
      r.set_row(file.csv->line());
      r.set_source_id(std::string(file.csv->Field("source_id")));
      r.set_field(ErrorMetadataOf(row.status())["field"]);
      r.set_reason(std::string(row.status().message()));
      progress.RejectLocal(r);
      continue;
    }
    current.rows.push_back(std::move(*row));
    if (static_cast<int>(current.rows.size()) >= batch && !flush()) break;
  }
  flush();
  {
    std::lock_guard lock(mu);
    reading_done = true;
    changed.notify_all();
  }
  for (auto& t : workers) t.join();
  progress.Report(report.files[name], report.rejected[name], report.resent_unchanged[name]);
  if (!failure.ok()) {
    Failed(name, failure);
    return false;
  }
  if (checkpoint && current.last_line > 0) checkpoint->Save(name, file.identity, current.last_line);
  progress.Finish();
  return true;
}

}  // namespace

HistoryImportReport ImportHistory(const std::shared_ptr<grpc::Channel>& catalog_channel,
                                  const std::shared_ptr<grpc::Channel>& enrollment_channel,
                                  const HistoryImportOptions& o) {
  HistoryImportReport report;
  auto catalog = cpb::CatalogService::NewStub(catalog_channel);
  auto enrollment = epb::EnrollmentService::NewStub(enrollment_channel);
  const std::string parent = absl::StrCat("cities/", o.city);
  Checkpoint checkpoint(o.dir, o.city);
  std::map<std::string, std::string> offering_names;
  bool any = false;

  const auto run = [&](const HistoryFile& spec, auto parse, auto send, Checkpoint* cp,
                       int batch) -> bool {
    auto file = Open(o.dir, spec);
    if (!file.ok()) {
      std::fprintf(stderr, "gnlcctl import: %s\n", std::string(file.status().message()).c_str());
      return false;
    }
    if (*file == nullptr) return true;
    any = true;
    using Row = typename decltype(parse(std::declval<const CsvReader&>()))::value_type;
    return SendRows<Row>(**file, spec.name, cp, batch, cp ? o.in_flight : 1,
                         cp ? o.stop_after_batches : 0, report, parse, send);
  };

  const auto programs_ok = run(
      ProgramsFile(), [&](const CsvReader& r) { return ProgramFromCsv(r, o.tz); },
      [&](std::vector<cpb::ProgramImport>& rows, tpb::ImportResult& result) {
        cpb::ImportCatalogHistoryRequest req;
        req.set_parent(parent);
        for (const auto& r : rows) *req.add_programs() = r;
        cpb::ImportCatalogHistoryResponse resp;
        grpc::ClientContext ctx;
        Prepare(ctx, o);
        grpc::Status s = catalog->ImportCatalogHistory(&ctx, req, &resp);
        result = resp.programs();
        return s;
      },
      nullptr, kCatalogBatch);
  const auto stopped = [&] {
    report.exit_code = 1;
    return report;
  };
  if (!programs_ok) return stopped();
  absl::Mutex names_mu;
  const auto offerings_ok = run(
      OfferingsFile(), [&](const CsvReader& r) { return OfferingFromCsv(r, o.tz); },
      [&](std::vector<cpb::OfferingImport>& rows, tpb::ImportResult& result) {
        cpb::ImportCatalogHistoryRequest req;
        req.set_parent(parent);
        for (const auto& r : rows) *req.add_offerings() = r;
        cpb::ImportCatalogHistoryResponse resp;
        grpc::ClientContext ctx;
        Prepare(ctx, o);
        grpc::Status s = catalog->ImportCatalogHistory(&ctx, req, &resp);
        result = resp.offerings();
        absl::MutexLock lock(&names_mu);
        for (const auto& rec : result.records()) offering_names[rec.source_id()] = rec.name();
        return s;
      },
      nullptr, kCatalogBatch);
  if (!offerings_ok) return stopped();
  const auto send_enrollment = [&](auto fill) {
    return [&, fill](auto& rows, tpb::ImportResult& result) {
      epb::ImportHistoryRequest req;
      req.set_parent(parent);
      fill(req, rows);
      epb::ImportHistoryResponse resp;
      grpc::ClientContext ctx;
      Prepare(ctx, o);
      grpc::Status s = enrollment->ImportHistory(&ctx, req, &resp);
      result = req.learners_size() > 0 ? resp.learners() : resp.enrollments();
      return s;
    };
  };
  const auto learners_ok = run(
      LearnersFile(), [&](const CsvReader& r) { return LearnerFromCsv(r, o.tz); },
      std::function<grpc::Status(std::vector<epb::LearnerImport>&, tpb::ImportResult&)>(
          send_enrollment([](epb::ImportHistoryRequest& req, auto& rows) {
            // Copied, not moved: a retry sends the same rows again.
            for (const auto& r : rows) *req.add_learners() = r;
          })),
      &checkpoint, o.batch_rows);
  if (!learners_ok) return stopped();
  const auto enrollments_ok = run(
      EnrollmentsFile(),
      [&](const CsvReader& r) { return EnrollmentFromCsv(r, o.tz, offering_names); },
      std::function<grpc::Status(std::vector<epb::EnrollmentImport>&, tpb::ImportResult&)>(
          send_enrollment([](epb::ImportHistoryRequest& req, auto& rows) {
            for (const auto& r : rows) *req.add_enrollments() = r;
          })),
      &checkpoint, o.batch_rows);
  if (!enrollments_ok) return stopped();
  if (!any) {
    std::fprintf(stderr,
                 "gnlcctl import: %s holds none of programs.csv, offerings.csv, learners.csv, "
                 "enrollments.csv\n",
                 o.dir.c_str());
    report.exit_code = 2;
    return report;
  }
  for (const auto& [file, rows] : report.rejected) {
    if (!rows.empty()) report.exit_code = 3;
  }
  return report;
}

}  // namespace gnlc::ctl
