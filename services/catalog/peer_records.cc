#include "services/catalog/peer_records.h"

#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "services/catalog/catalog_validation.h"

namespace gnlc::catalog {
namespace {

bool ValidEtag(absl::string_view etag) {
  uint64_t v = 0;
  return absl::SimpleAtoi(etag, &v) && v > 0;
}

std::string CheckProgram(v1::Program p, absl::string_view name, const CityConfig& peer) {
  if (p.name() != name) return "the program's name differs from the change's";
  if (p.origin_city() != peer.city_id()) return "origin_city is not the peer";
  if (!ValidEtag(p.etag())) return "etag is not a version";
  if (p.state() == v1::PROGRAM_STATE_UNSPECIFIED) return "state is unspecified";
  if (absl::Status s = ValidateProgram(p, peer); !s.ok()) return std::string(s.message());
  return "";
}

std::string CheckOffering(v1::Offering o, absl::string_view name, const CityConfig& peer,
                          absl::Time now) {
  if (o.name() != name) return "the offering's name differs from the change's";
  if (!o.origin_city().empty() && o.origin_city() != peer.city_id()) {
    return "origin_city is not the peer";
  }
  if (!ValidEtag(o.etag())) return "etag is not a version";
  if (!v1::OfferingState_IsValid(o.state())) return "state is not an OfferingState";
  if (o.seats_taken() < 0) return "seats_taken is negative";
  if (absl::Status s = ValidateOffering(o, peer, now); !s.ok()) return std::string(s.message());
  return "";
}

}  // namespace

std::string MemberOfName(absl::string_view name) {
  const size_t offerings = name.find("/offerings/");
  if (offerings != absl::string_view::npos) return absl::StrCat("o:", LastSegment(name));
  if (name.find("/programs/") != absl::string_view::npos) {
    return absl::StrCat("p:", LastSegment(name));
  }
  return "";
}

CheckedChange CheckPeerChange(const v1::ProgramChange& change, const CityConfig& peer,
                              absl::Time now) {
  CheckedChange out;
  const absl::string_view city = peer.city_id();
  const bool program_name = ParseProgramName(change.name(), city, "name").ok();
  const bool offering_name = !program_name && ParseOfferingName(change.name(), city, "name").ok();
  if (!program_name && !offering_name) {
    out.problem = "not a program or offering name of the peer city";
    return out;
  }
  out.member = MemberOfName(change.name());
  if (change.sequence() <= 0) {
    out.problem = "sequence is not positive";
  } else if (change.deleted()) {
    return out;  // a tombstone: no record
  } else if (change.ByteSizeLong() > kMaxMirroredRecordBytes) {
    out.problem = "record larger than 64 KiB";
  } else if (program_name) {
    out.problem = change.has_program() ? CheckProgram(change.program(), change.name(), peer)
                                       : "a program name without a program";
  } else {
    out.problem = change.has_offering() ? CheckOffering(change.offering(), change.name(), peer, now)
                                        : "an offering name without an offering";
  }
  if (out.problem.empty()) {
    v1::ProgramChange kept;
    kept.set_sequence(change.sequence());
    kept.set_name(change.name());
    *kept.mutable_change_time() = change.change_time();
    if (program_name) {
      *kept.mutable_program() = change.program();
    } else {
      *kept.mutable_offering() = change.offering();
    }
    out.bytes = kept.SerializeAsString();
  }
  return out;
}

}  // namespace gnlc::catalog
