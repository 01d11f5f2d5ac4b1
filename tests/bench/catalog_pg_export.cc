// gnlc-catalog-pg-export: harvests a city's catalog through its change feed
// (ListProgramChanges, as a peer city would) and writes it as PostgreSQL COPY
// files, so that tests/bench/postgres_search_bench.sh searches the very same
// programs in PostgreSQL + PostGIS as tests/bench/catalog_bench.sh does in
// gnlc. Search terms come from gnlc's own tokenizer (IndexTerms), with the
// weight gnlc gives each field, so both systems match the same words.
//
//   gnlc-catalog-pg-export --addr=127.0.0.1:P --ca=CA --token_file=T --out=DIR
//
// Writes DIR/programs.copy, DIR/offerings.copy and DIR/terms.copy (COPY text
// format, tab-separated, \N for NULL).
//
//   gnlc-catalog-pg-export --query_terms <queries.txt
//
// Prints, for each line of search text, the terms gnlc matches it by
// (QueryTerms) as a PostgreSQL array literal.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/auth/dev_pki.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "services/catalog/search_index_internal.h"
#include "services/catalog/text_tokenizer.h"
#include "tools/gnlcctl/client_channel.h"

namespace pb = gnlc::catalog::v1;
namespace type = gnlc::type::v1;

namespace {

// A text value in COPY's text format: backslash, tab and line ends escaped.
std::string Text(absl::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string OrNull(absl::string_view v) { return v.empty() ? "\\N" : Text(v); }

// bytea in hex, as COPY's text format reads it (the backslash escaped).
std::string Bytes(absl::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\\\\x";
  for (unsigned char c : v) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--query_terms") {
    for (std::string line; std::getline(std::cin, line);) {
      std::string literal = "{";
      for (const std::string& t : gnlc::catalog::QueryTerms(line)) {
        if (literal.size() > 1) literal += ',';
        literal += absl::StrCat("\"", t, "\"");  // terms hold no quotes or backslashes
      }
      std::printf("%s}\n", literal.c_str());
    }
    return 0;
  }
  std::string addr, ca, token, out = ".", city = "nanjing";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto flag = [&](absl::string_view name, std::string& value) {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (!absl::StartsWith(a, prefix)) return false;
      value = a.substr(prefix.size());
      return true;
    };
    std::string file;
    if (flag("addr", addr) || flag("ca", ca) || flag("out", out) || flag("city", city)) continue;
    if (flag("token_file", file)) {
      auto text = gnlc::auth::ReadFileToString(file);
      if (!text.ok()) {
        std::fprintf(stderr, "cannot read %s: %s\n", file.c_str(),
                     text.status().ToString().c_str());
        return 2;
      }
      token = std::string(absl::StripAsciiWhitespace(*text));
      continue;
    }
    std::fprintf(stderr, "gnlc-catalog-pg-export: unknown flag %s\n", a.c_str());
    return 2;
  }
  auto stub = pb::CatalogService::NewStub(
      gnlc::ctl::ClientChannel(addr, {.plaintext = false, .ca_file = ca, .token = token}));

  // The feed holds each resource once, at its latest change.
  std::map<std::string, pb::Program> programs;                    // by program id
  std::map<std::string, std::vector<pb::Offering>> offerings_of;  // by program id
  std::string cursor;
  for (bool more = true; more;) {
    pb::ListProgramChangesRequest req;
    req.set_parent(absl::StrCat("cities/", city));
    req.set_cursor(cursor);
    req.set_page_size(1000);
    pb::ListProgramChangesResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    if (grpc::Status s = stub->ListProgramChanges(&ctx, req, &resp); !s.ok()) {
      std::fprintf(stderr, "harvest failed: %s\n", s.error_message().c_str());
      return 1;
    }
    for (const pb::ProgramChange& c : resp.changes()) {
      if (c.deleted()) continue;
      if (c.has_program()) {
        programs[std::string(gnlc::catalog::index_detail::ProgramIdOf(c.name()))] = c.program();
      } else if (c.has_offering()) {
        offerings_of[std::string(gnlc::catalog::index_detail::ProgramIdOf(c.name()))].push_back(
            c.offering());
      }
    }
    cursor = resp.next_cursor();
    more = resp.has_more();
  }

  std::ofstream p_out(out + "/programs.copy"), o_out(out + "/offerings.copy"),
      t_out(out + "/terms.copy");
  int next_id = 0;
  size_t offering_rows = 0, term_rows = 0;
  for (const auto& [pid, p] : programs) {
    const int id = ++next_id;
    int audience_mask = 0;
    for (int a : p.audiences()) audience_mask |= 1 << a;
    p_out << id << '\t' << Text(p.name()) << '\t' << gnlc::catalog::index_detail::OrderKeyOf(pid)
          << '\t' << type::ProgramKind_Name(p.kind()) << '\t' << p.state() << '\t' << audience_mask
          << '\t' << OrNull(p.district()) << '\t' << Bytes(p.SerializeAsString()) << '\n';
    // One row per term and program, with the highest weight of the fields
    // it appears in (title 3, topic 2, description 1), as gnlc indexes it.
    std::map<std::string, int> weight;
    auto add = [&](absl::string_view text, int w) {
      for (const std::string& t : gnlc::catalog::IndexTerms(text)) {
        int& have = weight[t];
        have = std::max(have, w);
      }
    };
    add(p.title().zh(), 3);
    add(p.title().en(), 3);
    for (const auto& t : p.topics()) add(t, 2);
    add(p.description().zh(), 1);
    add(p.description().en(), 1);
    for (const auto& [term, w] : weight) {
      t_out << Text(term) << '\t' << id << '\t' << w << '\n';
      ++term_rows;
    }
    for (const pb::Offering& o : offerings_of[pid]) {
      const bool geo =
          o.has_venue() && o.venue().has_location() && o.modality() != type::MODALITY_ONLINE;
      const std::string district =
          o.venue().district().empty() ? p.district() : o.venue().district();
      o_out << id << '\t' << type::Modality_Name(o.modality()) << '\t' << OrNull(district) << '\t';
      if (geo) {
        // Every digit: StrCat's six would move a venue by up to ~100 m.
        const double lat = o.venue().location().latitude(), lng = o.venue().location().longitude();
        o_out << absl::StrFormat("%.17g\t%.17g\tSRID=4326;POINT(%.17g %.17g)", lat, lng, lng, lat);
      } else {
        o_out << "\\N\t\\N\t\\N";
      }
      const bool free = o.price().units() == 0 && o.price().nanos() == 0;
      const int capacity = o.capacity().has_unlimited() ? -1 : o.capacity().seats();
      o_out << '\t' << (free ? "t" : "f") << '\t' << o.start_time().seconds() << '\t'
            << o.end_time().seconds() << '\t' << o.enrollment_open_time().seconds() << '\t'
            << o.enrollment_close_time().seconds() << '\t' << capacity << '\t' << o.seats_taken()
            << '\t' << (o.state() == pb::OFFERING_STATE_CANCELLED ? "t" : "f") << '\n';
      ++offering_rows;
    }
  }
  std::printf("exported %zu programs, %zu offerings, %zu program terms\n", programs.size(),
              offering_rows, term_rows);
  return p_out && o_out && t_out ? 0 : 1;
}
