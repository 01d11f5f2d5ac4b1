#include "tests/support/chromium.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/support/test_security.h"

namespace gnlc::testing {
namespace {

// The command that opens `page` through the login page with a fresh
// analyst token, then does `action` (a Chromium flag).
std::string Command(const ChromiumPage& page, const std::string& action) {
  const std::string token = TestToken(page.city, {.role = "analyst", .subject = "analyst-1"});
  std::string next;
  for (char c : page.path) {
    next += (c == '?' || c == '&' || c == '=') ? absl::StrFormat("%%%02X", c) : std::string(1, c);
  }
  return absl::StrCat(
      "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--no-first-run --ignore-certificate-errors --hide-scrollbars --virtual-time-budget=5000 "
      "--window-size=",
      page.width, ",", page.height, " ", action, " 'https://127.0.0.1:", page.port,
      "/login?next=", next, "#token=", token, "' 2>/dev/null");
}

bool WroteFile(const std::string& cmd, const std::string& path) {
  std::filesystem::remove(path);
  const int rc = std::system(absl::StrCat(cmd, " >/dev/null").c_str());
  std::error_code ec;
  return rc == 0 && std::filesystem::file_size(path, ec) > 0 && !ec;
}

}  // namespace

std::string ChromiumDom(const ChromiumPage& page) {
  std::string out;
  FILE* p = popen(Command(page, "--dump-dom").c_str(), "r");
  if (p == nullptr) return out;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool ChromiumScreenshot(const ChromiumPage& page, const std::string& png) {
  return WroteFile(Command(page, absl::StrCat("--screenshot=", png)), png);
}

bool ChromiumPdf(const ChromiumPage& page, const std::string& pdf) {
  return WroteFile(Command(page, absl::StrCat("--no-pdf-header-footer --print-to-pdf=", pdf)), pdf);
}

}  // namespace gnlc::testing
