// The event streams of a city's Redis, one per publishing service, and who
// reads them (docs/architecture.md). A service writes only its own stream.
#ifndef GNLC_COMMON_EVENTS_STREAMS_H_
#define GNLC_COMMON_EVENTS_STREAMS_H_

namespace gnlc {

// The catalog and enrollment streams are trimmed by their owners only
// behind their readers (stream_retention.h).
//
// Catalog: programs and offerings; read by catalog replicas (their indexes),
// enrollment (offering facts) and analytics.
inline constexpr char kCatalogStream[] = "cat:{0}:events";
// Enrollment: enrollments, seats, erasures; read by the catalog (seats) and
// analytics.
inline constexpr char kEnrollmentStream[] = "enr:{0}:events";
// The catalog's consumer group on it: each seat report recorded once.
inline constexpr char kCatalogSeatsGroup[] = "catalog";
// Partnership: partners, partnerships, funding; read by analytics, the
// partnership replicas (their directories) and enrollment (who delivers
// what). Never trimmed: enrollment replays it from the start whenever it
// starts, and it grows only with partnerships' changes (a few a day).
inline constexpr char kPartnershipStream[] = "par:{0}:events";

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_STREAMS_H_
