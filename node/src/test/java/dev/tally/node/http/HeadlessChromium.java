package dev.tally.node.http;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium in headless mode, driven through its chromedriver, for tests of the web
 * console. Both binaries are named explicitly, so Selenium Manager never looks for (or downloads)
 * a driver. Where they are not installed the test is skipped, unless {@code TALLY_REQUIRE_BROWSER=1}
 * (set by {@code .ci/run}) makes that a failure.
 */
final class HeadlessChromium {
  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private HeadlessChromium() {}

  /** Skips (or, under TALLY_REQUIRE_BROWSER=1, fails) the calling test when chromium is missing. */
  static void assumeInstalled() {
    boolean installed = Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    if (!installed && "1".equals(System.getenv("TALLY_REQUIRE_BROWSER"))) {
      throw new AssertionError("TALLY_REQUIRE_BROWSER=1 but " + BROWSER + " or " + DRIVER
          + " is missing: apt-get install -y chromium chromium-driver");
    }
    assumeTrue(installed, "no headless browser: " + BROWSER + " and " + DRIVER
        + " are needed (apt-get install -y chromium chromium-driver); skipping the browser test");
  }

  /** A new browser at phone-ish width; the caller quits it. */
  static ChromeDriver start(int width, int height) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--no-first-run", "--disable-extensions", "--window-size=" + width + "," + height);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().withTimeout(Duration.ofSeconds(60)).build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return driver;
  }
}
