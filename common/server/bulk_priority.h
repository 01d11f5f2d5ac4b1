// Bulk work yields the CPU to residents' calls.
//
// The bulk pacer (common/redis/bulk_pacer.h) keeps a job's Redis scripts
// short, but the CPU the job spends outside Redis (decoding and validating
// an import, analytics working out what events change, the CSV client)
// competes on the same cores with the threads that answer residents and
// with Redis itself. A thread marked here runs 10 nice steps below the
// thread that marked it (nice 10 in a service started at 0; at most 19):
// while the cores are busy, Linux's scheduler gives it about a tenth of the
// share of the service's other threads; while they are idle, all of it, so a
// quiet city imports as fast as before. Relative, so that a service started
// under `nice` keeps the same gap between its residents' and its bulk work.
//
// Linux keeps the nice value per thread, and a new thread inherits its
// creator's. Raising it needs no privilege, lowering it again needs
// CAP_SYS_NICE: so only threads that do nothing but bulk work are marked,
// for good (a pool of bulk threads, a stream consumer's own thread, a bulk
// command-line tool before it starts any other thread).
//
//   MarkThisThreadBulk();  // e.g. first thing on a consumer's thread
//
//   HandlerPool bulk(2, 4, HandlerPool::kBulk);
//   absl::Status s = RunAndWait(bulk, [&] { return ImportRows(rows); });
#ifndef GNLC_COMMON_SERVER_BULK_PRIORITY_H_
#define GNLC_COMMON_SERVER_BULK_PRIORITY_H_

namespace gnlc {

// How much nicer a bulk thread is than the thread that marked it, and the
// highest nice value Linux has.
inline constexpr int kBulkNiceStep = 10;
inline constexpr int kMaxNice = 19;

// Raises the calling thread's nice value by kBulkNiceStep (up to kMaxNice),
// once per thread: marking it again changes nothing. Best effort: a failure
// (a seccomp filter, say) is logged once and the thread goes on at its
// priority.
void MarkThisThreadBulk();

// The calling thread's nice value (for tests and /metrics).
int ThisThreadNice();

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_BULK_PRIORITY_H_
