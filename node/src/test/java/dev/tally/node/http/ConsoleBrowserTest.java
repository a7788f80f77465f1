package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.auth.Role;
import dev.tally.node.auth.Tokens;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The web console in a real browser (headless chromium) against a real node: the page shows a
 * key's exact value, follows a gRPC increment live over the SSE stream, and lists the node alive;
 * with auth-tokens it says a token is needed, then reads with the token entered in the page.
 */
class ConsoleBrowserTest {
  /** 2^53 + 1: a double cannot hold it, so the page must keep it exact (BigInt). */
  private static final long BEYOND_DOUBLE = (1L << 53) + 1;

  @TempDir
  Path dir;

  TallyNode node;
  ManagedChannel channel;
  ChromeDriver browser;

  @BeforeEach
  void start() {
    HeadlessChromium.assumeInstalled();
    browser = HeadlessChromium.start(420, 1200); // phone width
  }

  private void startNode(String... settings) {
    String[] all = new String[settings.length + 2];
    all[0] = "http-port";
    all[1] = Integer.toString(TestNodes.freePort());
    System.arraycopy(settings, 0, all, 2, settings.length);
    node = TestNodes.start(dir.resolve("data"), all);
    channel = TestNodes.channel(node);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  private String shown(String key) {
    return browser.findElement(By.cssSelector("tr[data-key='" + key + "'] td.value")).getText();
  }

  @Test
  void console_showsTheExactValue_followsAGrpcIncrement_andListsTheNodeAlive() {
    startNode();
    CounterServiceBlockingStub counters = TestNodes.blocking(channel);
    counters.increment(IncrementRequest.newBuilder().setKey("likes:post-1").setAmount(BEYOND_DOUBLE).build());

    browser.get("http://127.0.0.1:" + node.httpPort() + "/console?keys=likes:post-1");

    Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .untilAsserted(() -> assertThat(shown("likes:post-1")).isEqualTo("9007199254740993"));

    counters.increment(IncrementRequest.newBuilder().setKey("likes:post-1").setAmount(1).build());

    Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .untilAsserted(() -> assertThat(shown("likes:post-1")).isEqualTo("9007199254740994"));
    Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
      String row = "tr[data-member='" + node.config().name() + "'] ";
      assertThat(browser.findElement(By.cssSelector(row + "td.state")).getText()).isEqualTo("alive");
      assertThat(browser.findElement(By.cssSelector(row + "td:first-child")).getText()).contains("(answering)");
    });
    assertThat(browser.findElement(By.id("stream-status")).getText()).startsWith("Live");
    assertThat(browser.getCurrentUrl()).endsWith("/console?keys=likes:post-1");
  }

  @Test
  void console_withAuth_saysATokenIsNeeded_thenReadsWithAReadToken_andSaysStatusIsNotAllowed() throws Exception {
    String reader = Tokens.create();
    Path tokens = dir.resolve("tokens.yaml");
    Files.writeString(tokens, Tokens.entry("reader", reader, EnumSet.of(Role.READ), List.of()));
    startNode("auth-tokens", tokens.toString());

    browser.get("http://127.0.0.1:" + node.httpPort() + "/console?keys=likes:post-1");

    Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
      assertThat(browser.findElement(By.id("stream-status")).getText()).startsWith("The node needs an access token");
      assertThat(browser.findElement(By.id("cluster-status")).getText()).startsWith("The node needs an access token");
    });

    browser.findElement(By.id("token")).sendKeys(reader);
    browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();

    Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
      assertThat(shown("likes:post-1")).isEqualTo("0");
      assertThat(browser.findElement(By.id("stream-status")).getText()).startsWith("Live");
      assertThat(browser.findElement(By.id("cluster-status")).getText())
          .startsWith("The access token is not allowed to show cluster status");
    });
    assertThat(browser.getPageSource()).doesNotContain(reader); // kept in sessionStorage, not in the page
  }
}
