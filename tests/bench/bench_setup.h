// Helpers of the benchmark set-up tools: calls with a deadline, a loop
// spread over client threads, and the TLS and token flags.
#ifndef GNLC_TESTS_BENCH_BENCH_SETUP_H_
#define GNLC_TESTS_BENCH_BENCH_SETUP_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tools/gnlcctl/client_channel.h"

namespace gnlc::bench {

// --ca=FILE (TLS roots) and --token_file=FILE (a city_admin token): true
// when `arg` was one of them.
inline bool ParseSecurityFlag(const std::string& arg, ctl::ClientSecurity& security) {
  if (arg.rfind("--ca=", 0) == 0) {
    security.ca_file = arg.substr(5);
    return true;
  }
  if (arg.rfind("--token_file=", 0) == 0) {
    std::ifstream in(arg.substr(13));
    in >> security.token;
    return true;
  }
  return false;
}

// One call with a 10 s deadline.
inline grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return rpc(&ctx);
}

// Runs fn(i) for i in [0, n) on 16 threads; false as soon as one fails.
inline bool Parallel(int n, const std::function<bool(int)>& fn) {
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i; ok && (i = next.fetch_add(1)) < n;) ok = ok && fn(i);
    });
  }
  for (auto& t : threads) t.join();
  return ok;
}

}  // namespace gnlc::bench

#endif  // GNLC_TESTS_BENCH_BENCH_SETUP_H_
