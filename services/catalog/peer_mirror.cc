#include "services/catalog/peer_mirror.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/events/streams.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"

namespace gnlc::catalog {

bool IndexMirroredRecord(absl::string_view bytes, SearchIndex& index) {
  v1::ProgramChange c;
  if (!c.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  if (c.has_program()) {
    index.UpsertProgram(c.program());
  } else if (c.has_offering()) {
    index.UpsertOffering(c.offering());
    index.SetSeatsTaken(LastSegment(c.offering().name()), c.offering().seats_taken());
  }
  return true;
}

PeerMirror::PeerMirror(RedisOptions options, RedisPool* pool, std::string peer)
    : options_(std::move(options)), peer_(std::move(peer)), store_(pool, peer_) {}

PeerMirror::~PeerMirror() { Stop(); }

void PeerMirror::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PeerMirror::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void PeerMirror::SetGauges(prometheus::Gauge* programs, prometheus::Gauge* offerings,
                           prometheus::Gauge* generation) {
  programs_gauge_ = programs;
  offerings_gauge_ = offerings;
  generation_gauge_ = generation;
}

void PeerMirror::UpdateGauges(const SearchIndex& index) {
  if (programs_gauge_ != nullptr) programs_gauge_->Set(static_cast<double>(index.program_count()));
  if (offerings_gauge_ != nullptr) {
    offerings_gauge_->Set(static_cast<double>(index.offering_count()));
  }
  if (generation_gauge_ != nullptr) generation_gauge_->Set(static_cast<double>(generation_.load()));
}

std::shared_ptr<const SearchIndex> PeerMirror::index() const {
  absl::MutexLock lock(&mu_);
  return index_;
}

std::optional<absl::Time> PeerMirror::as_of() const {
  const int64_t ms = as_of_ms_.load();
  if (ms == 0) return std::nullopt;
  return absl::FromUnixMillis(ms);
}

absl::Status PeerMirror::Load(int64_t generation) {
  const absl::Time start = absl::Now();
  auto index = std::make_shared<SearchIndex>(/*removals_final=*/false);
  // Programs first: an offering is indexed under its program.
  std::vector<std::string> offerings;
  RETURN_IF_ERROR(
      store_.LoadGeneration(generation, [&](absl::string_view member, absl::string_view bytes) {
        if (member.substr(0, 2) == "o:") {
          offerings.emplace_back(bytes);
        } else {
          IndexMirroredRecord(bytes, *index);
        }
      }));
  for (const std::string& bytes : offerings) IndexMirroredRecord(bytes, *index);
  {
    absl::MutexLock lock(&mu_);
    index_ = index;
  }
  generation_ = generation;
  UpdateGauges(*index);
  ++swaps_;
  LogJson(LogLevel::kInfo, "peer mirror loaded",
          {{"peer", peer_},
           {"generation", absl::StrCat(generation)},
           {"offerings", absl::StrCat(offerings.size())},
           {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - start))}});
  return absl::OkStatus();
}

absl::Status PeerMirror::ApplyMembers(const std::vector<std::string>& members) {
  std::shared_ptr<SearchIndex> index;
  {
    absl::MutexLock lock(&mu_);
    index = index_;
  }
  if (index == nullptr) return absl::OkStatus();
  // Programs before offerings, whatever order the page had.
  std::vector<std::string> ordered = members;
  std::stable_sort(ordered.begin(), ordered.end(), [](const std::string& a, const std::string& b) {
    return (a[0] == 'p') > (b[0] == 'p');
  });
  ASSIGN_OR_RETURN(auto records, store_.ReadRecords(generation_.load(), ordered));
  for (size_t i = 0; i < ordered.size() && i < records.size(); ++i) {
    const absl::string_view member = ordered[i];
    if (records[i]) {
      IndexMirroredRecord(*records[i], *index);
    } else if (member.substr(0, 2) == "p:") {
      index->RemoveProgram(member.substr(2));
    } else if (member.substr(0, 2) == "o:") {
      index->RemoveOffering(member.substr(2));
    }
  }
  UpdateGauges(*index);
  return absl::OkStatus();
}

void PeerMirror::Run() {
  RedisConnection conn(options_);
  std::string last_id = "0-0";
  const std::string stream = store_.EventsKey();
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<MirrorState> state = store_.ReadState();
    if (state.ok()) {
      as_of_ms_ = state->as_of_ms;
      if (state->generation != 0 && state->generation != generation_.load()) {
        // The stream position first: entries after it are replayed on top
        // of the load, and re-reading a record twice is harmless.
        auto tail = conn.Command({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
        if (tail.ok()) {
          const std::string from =
              tail->view().size() == 0 ? "0-0" : std::string(tail->view()[0][0].str());
          if (absl::Status s = Load(state->generation); s.ok()) {
            last_id = from;
          } else {
            LogJson(LogLevel::kWarn, "peer mirror load failed",
                    {{"peer", peer_}, {"error", std::string(s.message())}});
          }
        }
      }
    }
    if (state.ok() && (state->generation == 0 || state->generation == generation_.load())) {
      loaded_ = true;
    }
    if (generation_.load() == 0) {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(250));
      continue;
    }
    auto reply = conn.Command({"XREAD", "COUNT", "256", "BLOCK", "250", "STREAMS", stream, last_id},
                              absl::Seconds(2));
    if (!reply.ok()) {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
      continue;
    }
    if (reply->view().size() == 0) continue;
    const ReplyView entries = reply->view()[0][1];
    const std::string before = last_id;
    std::vector<std::string> members;
    for (size_t i = 0; i < entries.size(); ++i) {
      const ReplyView entry = entries[i];
      last_id = std::string(entry[0].str());
      const ReplyView fields = entry[1];
      for (size_t f = 0; f + 1 < fields.size(); f += 2) {
        if (fields[f].str() != kEventField) continue;
        auto event = DecodeEvent(last_id, fields[f + 1].str());
        if (!event.ok() || !event->has_mirror_changed()) continue;
        const auto& m = event->mirror_changed();
        if (m.swapped() || m.generation() != generation_.load()) continue;
        members.insert(members.end(), m.members().begin(), m.members().end());
      }
    }
    if (absl::Status s = ApplyMembers(members); !s.ok()) {
      last_id = before;  // read them again
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
      LogJson(LogLevel::kWarn, "peer mirror update failed",
              {{"peer", peer_}, {"error", std::string(s.message())}});
    }
  }
}

}  // namespace gnlc::catalog
