// Headless Chromium in front of a dashboard port, signed in through /login
// as an analyst of the city (the way a person's browser is): the page's DOM
// after its scripts ran, a screenshot, or the page printed to PDF.
//
//   ChromiumPage page{.port = web_port, .path = "/dashboard?lang=en"};
//   std::string dom = ChromiumDom(page);
//   ChromiumPdf(page, "/tmp/report.pdf");
#ifndef GNLC_TESTS_SUPPORT_CHROMIUM_H_
#define GNLC_TESTS_SUPPORT_CHROMIUM_H_

#include <string>

namespace gnlc::testing {

struct ChromiumPage {
  int port = 0;
  std::string path;  // "/dashboard?lang=en&period=2025"
  std::string city = "nanjing";
  // The window (CSS pixels): desktop by default; 390 is a phone.
  int width = 1280;
  int height = 1800;
};

// The DOM once the page has loaded and run its scripts ("" on failure).
std::string ChromiumDom(const ChromiumPage& page);
// A PNG of the window; false on failure.
bool ChromiumScreenshot(const ChromiumPage& page, const std::string& png);
// The page printed with its print styles, without the browser's header and
// footer; false on failure.
bool ChromiumPdf(const ChromiumPage& page, const std::string& pdf);

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_CHROMIUM_H_
