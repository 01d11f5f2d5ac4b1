// gnlc-load: the load generator. Drives one RPC of the contract with requests
// read from a JSON-lines file (cycled), keeping a fixed number of calls in
// flight for a fixed time, and prints QPS, p50/p90/p99/max latency and the
// errors by status code. With --echo it first measures a trivial echo server
// built with the same gRPC, in this process, at the same concurrency, and
// gives the result as a ratio to that ceiling (absolute numbers vary from
// machine to machine; ratios hold).
//
//   gnlc-load --target=127.0.0.1:PORT --method=catalog.GetProgram
//             --requests=get.jsonl --inflight=64 --seconds=5 --echo
//             --ca=ca.crt --token_file=admin.token   # TLS and a token
//             --echo_cert=svc.crt --echo_key=svc.key # echo over TLS too
//             --rate=50                              # paced: 50 calls a second
//             --forge_tokens                         # each call: the token
//                                 # with a new random signature (a flood of
//                                 # forged tokens that no cache recognises)
//             --until_file=PATH   # stop early once PATH exists (--seconds
//                                 # is then the longest it runs)
//             --timeline=PATH     # every call after the warm-up: "END_MS
//                                 # LATENCY_US CODE", for splitting one run
//                                 # into phases (before, during, after)
// Without --ca the calls are plaintext.
//
// Output: one human line, and one machine line starting "RESULT" with
// key=value pairs, for scripts that build BENCHMARKS.md.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gnlc/testing/v1/echo.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "tools/gnlcctl/client_channel.h"
#include "tools/gnlcctl/json_rpc.h"

namespace {

struct Flags {
  std::string target, method, requests, label;
  // TLS (verified with ca_file) unless plaintext.
  gnlc::ctl::ClientSecurity security{.plaintext = true, .ca_file = "", .token = ""};
  // "Bearer TOKEN" on every call, if a token was given.
  std::string bearer;
  // The echo server's certificate and key: the ceiling is measured over TLS
  // when given (signed by --ca, for 127.0.0.1).
  std::string echo_cert, echo_key;
  int inflight = 16;
  double seconds = 5, warmup = 1;
  bool echo = false;
  int channels = 0;  // 0: one per 16 in flight
  // Calls per second in all (an open loop at a steady pace, as a well-behaved
  // client); 0: as fast as the calls in flight allow.
  double rate = 0;
  // Every call's token gets a new random signature (forged).
  bool forge_tokens = false;
  std::string until_file, timeline;
};

// "Bearer HEADER.PAYLOAD.SIG" with SIG replaced by 64 random bytes in
// base64url: a token that looks right until its signature is checked.
std::string ForgedBearer(const std::string& bearer, uint64_t k) {
  const size_t dot = bearer.rfind('.');
  if (dot == std::string::npos) return bearer;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = bearer.substr(0, dot + 1);
  uint64_t x = k * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < 86; ++i) {  // 64 bytes
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += kAlphabet[x & 63];
  }
  return out;
}

struct Result {
  double qps = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  int64_t ok = 0;
  std::map<int, int64_t> errors;
};

class EchoImpl final : public gnlc::testing::v1::EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const gnlc::testing::v1::EchoRequest* req,
                                 gnlc::testing::v1::EchoResponse* resp) override {
    resp->set_message(req->message());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Keeps `inflight` calls going until the deadline; records latencies after
// the warm-up.
Result Drive(const std::vector<std::shared_ptr<grpc::Channel>>& channels, const std::string& path,
             const std::vector<std::string>& bodies, const Flags& f) {
  struct Shared {
    absl::Mutex mu;
    std::vector<int64_t> latencies_ns;
    std::map<int, int64_t> codes;
    // (end ms since the epoch, latency µs, code) with --timeline.
    std::vector<std::array<int64_t, 3>> timeline;
    std::atomic<uint64_t> next{0};
    std::atomic<int> active{0};
    absl::Notification done;
    absl::Time record_from;
    std::atomic<int64_t> stop_at_ns{0};  // moved earlier by --until_file
  } shared;
  const auto stop_at = [&] { return absl::FromUnixNanos(shared.stop_at_ns.load()); };
  shared.latencies_ns.reserve(4 << 20);
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& c : channels) stubs.push_back(std::make_unique<grpc::GenericStub>(c));

  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer request, response;
    absl::Time start;
  };
  std::function<void(size_t)> issue = [&](size_t lane) {
    auto* call = new Call;
    const uint64_t k = shared.next.fetch_add(1);
    const std::string& body = bodies[k % bodies.size()];
    grpc::Slice slice(body);
    call->request = grpc::ByteBuffer(&slice, 1);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    // As metadata rather than call credentials: plaintext runs carry it too.
    if (f.forge_tokens && !f.bearer.empty()) {
      call->ctx.AddMetadata("authorization", ForgedBearer(f.bearer, k));
    } else if (!f.bearer.empty()) {
      call->ctx.AddMetadata("authorization", f.bearer);
    }
    call->start = absl::Now();
    stubs[lane % stubs.size()]->UnaryCall(
        &call->ctx, path, grpc::StubOptions(), &call->request, &call->response,
        [&, call, lane](grpc::Status s) {
          const absl::Time end = absl::Now();
          if (end >= shared.record_from && end < stop_at()) {
            absl::MutexLock lock(&shared.mu);
            if (s.ok()) shared.latencies_ns.push_back(absl::ToInt64Nanoseconds(end - call->start));
            ++shared.codes[s.error_code()];
            if (!f.timeline.empty()) {
              shared.timeline.push_back({absl::ToUnixMillis(end),
                                         absl::ToInt64Microseconds(end - call->start),
                                         static_cast<int64_t>(s.error_code())});
            }
          }
          delete call;
          if (f.rate > 0) {
            shared.active.fetch_sub(1);  // the pacing loop below issues the next
          } else if (end < stop_at()) {
            issue(lane);
          } else if (shared.active.fetch_sub(1) == 1) {
            shared.done.Notify();
          }
        });
  };
  const absl::Time start = absl::Now();
  shared.record_from = start + absl::Seconds(f.warmup);
  shared.stop_at_ns = absl::ToUnixNanos(shared.record_from + absl::Seconds(f.seconds));
  std::thread pacer;
  if (f.rate > 0) {
    // Paced: call k goes out k/rate seconds after the start, from this
    // thread (never from a completion, whose wait would delay the others),
    // when fewer than `inflight` are out; otherwise as soon as one is back.
    pacer = std::thread([&] {
      for (uint64_t k = 0;; ++k) {
        const absl::Time due = start + absl::Seconds(static_cast<double>(k) / f.rate);
        if (due >= stop_at()) break;
        absl::SleepFor(due - absl::Now());
        while (shared.active.load() >= f.inflight && absl::Now() < stop_at()) {
          absl::SleepFor(absl::Microseconds(100));
        }
        if (absl::Now() >= stop_at()) break;
        shared.active.fetch_add(1);
        issue(static_cast<size_t>(k % static_cast<uint64_t>(f.inflight)));
      }
      while (shared.active.load() > 0) absl::SleepFor(absl::Milliseconds(1));
      shared.done.Notify();
    });
  } else {
    shared.active = f.inflight;
    for (int i = 0; i < f.inflight; ++i) issue(static_cast<size_t>(i));
  }
  absl::Time ended = stop_at();
  if (!f.until_file.empty()) {
    while (!shared.done.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (std::ifstream(f.until_file).good()) {
        ended = std::min(stop_at(), absl::Now());
        shared.stop_at_ns = absl::ToUnixNanos(ended);
      }
    }
  }
  shared.done.WaitForNotification();
  if (pacer.joinable()) pacer.join();
  const double seconds = std::max(absl::ToDoubleSeconds(ended - shared.record_from), 0.001);
  if (!f.timeline.empty()) {
    std::ofstream out(f.timeline, std::ios::trunc);
    for (const auto& [at, micros, code] : shared.timeline) {
      out << at << ' ' << micros << ' ' << code << '\n';
    }
  }

  Result r;
  auto& lat = shared.latencies_ns;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0
                       : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))] / 1e6;
  };
  r.ok = static_cast<int64_t>(lat.size());
  r.qps = r.ok / seconds;
  r.p50 = pct(0.50);
  r.p90 = pct(0.90);
  r.p99 = pct(0.99);
  r.max = lat.empty() ? 0 : lat.back() / 1e6;
  for (const auto& [code, n] : shared.codes) {
    if (code != 0) r.errors[code] = n;
  }
  return r;
}

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int n,
                                                     const gnlc::ctl::ClientSecurity& security) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // really separate connections
    out.push_back(gnlc::ctl::ClientChannel(target, security, args));
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ErrorsText(const Result& r) {
  std::string out;
  for (const auto& [code, n] : r.errors)
    absl::StrAppend(&out, out.empty() ? "" : ",", code, ":", n);
  return out.empty() ? "none" : out;
}

int Fail(const std::string& m) {
  std::fprintf(stderr, "gnlc-load: %s\n", m.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* prefix) { return a.substr(std::string(prefix).size()); };
    if (absl::StartsWith(a, "--target="))
      f.target = value("--target=");
    else if (absl::StartsWith(a, "--method="))
      f.method = value("--method=");
    else if (absl::StartsWith(a, "--requests="))
      f.requests = value("--requests=");
    else if (absl::StartsWith(a, "--label="))
      f.label = value("--label=");
    else if (absl::StartsWith(a, "--inflight="))
      f.inflight = std::max(1, std::stoi(value("--inflight=")));
    else if (absl::StartsWith(a, "--seconds="))
      f.seconds = std::clamp(std::stod(value("--seconds=")), 0.5, 600.0);
    else if (absl::StartsWith(a, "--warmup="))
      f.warmup = std::clamp(std::stod(value("--warmup=")), 0.0, 60.0);
    else if (absl::StartsWith(a, "--rate="))
      f.rate = std::clamp(std::stod(value("--rate=")), 0.0, 1e6);
    else if (absl::StartsWith(a, "--channels="))
      f.channels = std::stoi(value("--channels="));
    else if (a == "--echo")
      f.echo = true;
    else if (a == "--forge_tokens")
      f.forge_tokens = true;
    else if (absl::StartsWith(a, "--until_file="))
      f.until_file = value("--until_file=");
    else if (absl::StartsWith(a, "--timeline="))
      f.timeline = value("--timeline=");
    else if (absl::StartsWith(a, "--ca=")) {
      f.security.plaintext = false;
      f.security.ca_file = value("--ca=");
    } else if (absl::StartsWith(a, "--token_file=")) {
      const std::string token(absl::StripAsciiWhitespace(ReadFile(value("--token_file="))));
      f.bearer = token.empty() ? "" : "Bearer " + token;
    } else if (absl::StartsWith(a, "--echo_cert="))
      f.echo_cert = value("--echo_cert=");
    else if (absl::StartsWith(a, "--echo_key="))
      f.echo_key = value("--echo_key=");
    else
      return Fail("unknown flag " + a);
  }
  if (f.target.empty() || f.method.empty() || f.requests.empty()) {
    return Fail(
        "usage: --target=HOST:PORT --method=SERVICE.METHOD --requests=FILE.jsonl "
        "[--inflight=N] [--seconds=S] [--warmup=S] [--echo] [--label=NAME] [--ca=FILE] "
        "[--token_file=FILE] [--echo_cert=FILE --echo_key=FILE] [--rate=CALLS_PER_S] "
        "[--forge_tokens] [--until_file=PATH] [--timeline=PATH]");
  }
  if (f.channels <= 0) f.channels = std::max(1, f.inflight / 16);
  auto method = gnlc::ctl::ResolveMethod(f.method);
  if (!method.ok()) return Fail(std::string(method.status().message()));
  const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(*method);
  google::protobuf::DynamicMessageFactory factory;
  std::vector<std::string> bodies;
  std::ifstream in(f.requests);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::unique_ptr<google::protobuf::Message> msg(factory.GetPrototype(m->input_type())->New());
    if (!google::protobuf::util::JsonStringToMessage(line, msg.get()).ok()) {
      return Fail("bad request line: " + line);
    }
    bodies.push_back(msg->SerializeAsString());
  }
  if (bodies.empty()) return Fail("no requests in " + f.requests);
  const std::string path = absl::StrCat("/", m->service()->full_name(), "/", m->name());

  Result echo;
  if (f.echo) {
    EchoImpl impl;
    grpc::ServerBuilder builder;
    int port = 0;
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    gnlc::ctl::ClientSecurity echo_security = f.security;
    if (!f.echo_cert.empty()) {
      grpc::SslServerCredentialsOptions tls;
      tls.pem_key_cert_pairs.push_back({ReadFile(f.echo_key), ReadFile(f.echo_cert)});
      creds = grpc::SslServerCredentials(tls);
    } else {
      echo_security.plaintext = true;
    }
    builder.AddListeningPort("127.0.0.1:0", creds, &port);
    builder.RegisterService(&impl);
    auto server = builder.BuildAndStart();
    gnlc::testing::v1::EchoRequest req;
    req.set_message(std::string(64, 'x'));
    Flags plain = f;  // the ceiling: neither stopped early nor recorded
    plain.until_file.clear();
    plain.timeline.clear();
    echo = Drive(Channels(absl::StrCat("127.0.0.1:", port), f.channels, echo_security),
                 "/gnlc.testing.v1.EchoService/Echo", {req.SerializeAsString()}, plain);
    server->Shutdown(std::chrono::system_clock::now());
  }
  const Result r = Drive(Channels(f.target, f.channels, f.security), path, bodies, f);
  const double ratio = echo.qps > 0 ? r.qps / echo.qps : 0;
  const std::string label = f.label.empty() ? *method : f.label;
  std::printf(
      "%-28s inflight=%-3d qps=%-9.0f p50=%.3fms p90=%.3fms p99=%.3fms max=%.3fms errors=%s",
      label.c_str(), f.inflight, r.qps, r.p50, r.p90, r.p99, r.max, ErrorsText(r).c_str());
  if (f.echo) std::printf("  echo_qps=%.0f ratio=%.2f", echo.qps, ratio);
  std::printf(
      "\nRESULT label=%s inflight=%d qps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      "errors=%s echo_qps=%.0f ratio=%.2f\n",
      label.c_str(), f.inflight, r.qps, r.p50, r.p90, r.p99, r.max, ErrorsText(r).c_str(), echo.qps,
      ratio);
  return r.ok > 0 ? 0 : 1;
}
