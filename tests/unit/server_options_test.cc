#include "common/server/server_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace gnlc {
namespace {

// A file of its own per test and process: CTest runs tests in parallel
// processes that share TempDir().
std::string WriteConfigAsIs(const std::string& text) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path =
      ::testing::TempDir() + "/city-" + test->name() + "-" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << text;
  return path;
}

// The minimum security settings a server starts with: plaintext said
// explicitly, one issuer whose JWKS (relative: next to the config) exists.
constexpr char kSecurity[] =
    R"("tls":{"insecurePlaintext":true},)"
    R"("auth":{"audience":"gnlc:test","issuers":[{"issuer":"https://id","jwksFile":"jwks-{service}.json","roles":["city_admin"]}]},)";

std::string WriteConfig(const std::string& text) {
  std::ofstream(::testing::TempDir() + "/jwks-catalog.json") << R"({"keys": []})";
  return WriteConfigAsIs("{" + std::string(kSecurity) + text.substr(1));
}

absl::StatusOr<ServerOptions> Parse(std::vector<std::string> args) {
  // Every server needs a page-token secret (below, the tests without one).
  setenv("GNLC_PAGE_TOKEN_SECRET", "a-test-secret-of-enough-length", 0);
  args.insert(args.begin(), "server");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseServerOptions("catalog", static_cast<int>(argv.size()), argv.data());
}

TEST(ParseServerOptions, ReadsFlagsAndTheCityConfig) {
  const std::string config =
      WriteConfig(R"({"cityId":"nanjing","redis":{"address":"10.0.0.5:6380","poolSize":3}})");
  auto o = Parse({"--config=" + config, "--port=50051", "--drain_ms=0", "--handler_threads=48"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->handler_threads, 48);
  EXPECT_EQ(o->city.city_id(), "nanjing");
  EXPECT_EQ(o->port, 50051);
  EXPECT_EQ(o->redis.host, "10.0.0.5");
  EXPECT_EQ(o->redis.port, 6380);
  EXPECT_EQ(o->redis.pool_size, 3);
  EXPECT_EQ(o->drain, absl::ZeroDuration());
}

TEST(ParseServerOptions, FlagsBeatEnvironmentWhichBeatsTheConfig) {
  const std::string config = WriteConfig(R"({"cityId":"suzhou","redis":{"address":"a:1"}})");
  setenv("GNLC_REDIS", "b:2", 1);
  setenv("GNLC_PORT", "7000", 1);
  auto from_env = Parse({"--config=" + config});
  auto from_flag = Parse({"--config=" + config, "--redis=c:3"});
  unsetenv("GNLC_REDIS");
  unsetenv("GNLC_PORT");
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->redis.host, "b");
  EXPECT_EQ(from_env->port, 7000);
  ASSERT_TRUE(from_flag.ok()) << from_flag.status();
  EXPECT_EQ(from_flag->redis.host, "c");
}

TEST(ParseServerOptions, FailsFastNamingTheBadValue) {
  const std::string config = WriteConfig(R"({"cityId":"nanjing"})");
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  for (const Case& c :
       std::vector<Case>{{{}, "--config"},
                         {{"--config=/nonexistent.json"}, "nonexistent"},
                         {{"--config=" + config, "--port=70000"}, "--port"},
                         {{"--config=" + config, "--redis=nohost"}, "--redis"},
                         {{"--config=" + config, "--drain_ms=-5"}, "--drain_ms"},
                         {{"--config=" + config, "--handler_threads=0"}, "--handler_threads"},
                         {{"--config=" + config, "--log_requests=perhaps"}, "--log_requests"},
                         {{"--config=" + config, "--prot=1"}, "--prot"},
                         {{"--config=" + config, "positional"}, "positional"}}) {
    auto o = Parse(c.args);
    ASSERT_FALSE(o.ok()) << c.mentions;
    EXPECT_NE(o.status().message().find(c.mentions), absl::string_view::npos)
        << o.status().message();
  }
}

TEST(ParseServerOptions, RedisPasswordComesFromTheNamedVariable) {
  const std::string config =
      WriteConfig(R"({"cityId":"nanjing","redis":{"passwordEnv":"GNLC_TEST_REDIS_PW"}})");
  EXPECT_FALSE(Parse({"--config=" + config}).ok());  // named but unset: fail fast
  setenv("GNLC_TEST_REDIS_PW", "s3cret", 1);
  auto o = Parse({"--config=" + config});
  unsetenv("GNLC_TEST_REDIS_PW");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->redis.password, "s3cret");
}

TEST(ParseServerOptions, ResolvesSecretPathsBelowTheConfigFolderWithTheServiceName) {
  const std::string config = WriteConfig(R"({"cityId":"nanjing"})");
  auto o = Parse({"--config=" + config});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(std::filesystem::path(o->city.auth().issuers(0).jwks_file()),
            std::filesystem::path(::testing::TempDir()) / "jwks-catalog.json");
}

TEST(ParseServerOptions, SecretsDirFlagMovesRelativePaths) {
  const std::string dir = ::testing::TempDir() + "/secrets-" + std::to_string(getpid());
  std::ignore = std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/jwks-catalog.json") << R"({"keys": []})";
  const std::string config = WriteConfig(R"({"cityId":"nanjing"})");
  auto o = Parse({"--config=" + config, "--secrets_dir=" + dir});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->city.auth().issuers(0).jwks_file(), dir + "/jwks-catalog.json");
}

TEST(ParseServerOptions, RefusesToStartWithoutTlsOrTokenSettings) {
  struct Case {
    std::string json;
    std::string names;
  };
  const std::vector<Case> cases = {
      {R"({"cityId":"nanjing"})", "tls.cert_file"},
      {R"({"cityId":"nanjing","tls":{"insecurePlaintext":true}})", "auth.audience"},
      {R"({"cityId":"nanjing","tls":{"insecurePlaintext":true},"auth":{"audience":"a"}})",
       "auth.issuers"},
      {R"({"cityId":"nanjing","tls":{"certFile":"/nonexistent.crt","keyFile":"/x.key"}})",
       "tls.cert_file: cannot read /nonexistent.crt"},
  };
  for (const auto& c : cases) {
    auto o = Parse({"--config=" + WriteConfigAsIs(c.json)});
    ASSERT_FALSE(o.ok()) << c.json;
    EXPECT_NE(o.status().message().find(c.names), std::string::npos) << o.status();
  }
}

// No guessable default: without a secret a server refuses to start, unless
// it is told it runs on a developer's machine; then its secret is random.
TEST(ParseServerOptions, RefusesToStartWithoutAPageTokenSecretOutsideDevMode) {
  const std::string config = WriteConfig(R"({"cityId":"nanjing"})");
  setenv("GNLC_PAGE_TOKEN_SECRET", "short", 1);
  auto refused = Parse({"--config=" + config});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("GNLC_PAGE_TOKEN_SECRET"), std::string::npos);
  unsetenv("GNLC_PAGE_TOKEN_SECRET");
  std::vector<std::string> args = {"server", "--config=" + config};
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  EXPECT_FALSE(ParseServerOptions("catalog", 2, argv.data()).ok());
  args.push_back("--dev_mode=true");
  argv.push_back(args.back().c_str());
  auto a = ParseServerOptions("catalog", 3, argv.data());
  auto b = ParseServerOptions("catalog", 3, argv.data());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_GE(a->page_token_secret.size(), 32u);
  EXPECT_NE(a->page_token_secret, b->page_token_secret);
  EXPECT_EQ(a->page_token_secret.find("gnlc-dev-secret"), std::string::npos);
  setenv("GNLC_PAGE_TOKEN_SECRET", "a-test-secret-of-enough-length", 1);
  auto given = Parse({"--config=" + config});
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->page_token_secret, "a-test-secret-of-enough-length");
}

}  // namespace
}  // namespace gnlc
