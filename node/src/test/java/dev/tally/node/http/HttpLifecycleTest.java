package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.NodeStartException;
import dev.tally.node.TallyNode;
import dev.tally.node.config.ConfigException;
import dev.tally.node.testing.TestNodes;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up and shutdown of the HTTP port: a busy port names the setting, 0 disables, close ends streams. */
class HttpLifecycleTest {
  @TempDir
  Path dir;

  @Test
  void busyPort_failsTheStart_namingTheSetting() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> TestNodes.start(dir, "http-port", Integer.toString(taken.getLocalPort())))
          .isInstanceOf(NodeStartException.class)
          .hasMessageContaining("cannot serve HTTP on 127.0.0.1:" + taken.getLocalPort())
          .hasMessageContaining("set http-port, or http-port 0 to disable it");
    }
  }

  @Test
  void httpPortEqualToAnother_isRefusedByTheConfig() {
    assertThatThrownBy(() -> TestNodes.config(dir, "port", "7500", "http-port", "7500"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http-port 7500 is already used by port");
    assertThatThrownBy(() -> TestNodes.config(dir, "http-cors-origins", "app.example.com"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invalid http-cors-origins");
  }

  @Test
  void idleConnection_isClosedAfterMaxConnectionIdle_butAnSseStreamIsKeptByItsHeartbeats() throws Exception {
    try (TallyNode node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()),
        "max-connection-idle", "500ms", "http-sse-heartbeat", "100ms")) {
      try (java.net.Socket idle = new java.net.Socket("127.0.0.1", node.httpPort())) {
        idle.setSoTimeout(10_000);
        assertThat(idle.getInputStream().read()).as("closed by the node").isEqualTo(-1);
      }
      try (SseStream s = SseStream.open(HttpClient.newHttpClient(), "http://127.0.0.1:" + node.httpPort()
          + "/v1/counters:watch?keys=kept")) {
        s.nextData("value", Duration.ofSeconds(10));
        long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < until) {
          assertThat(s.nextLine(Duration.ofSeconds(5))).doesNotStartWith("<");
        }
      }
    }
  }

  @Test
  void zero_disablesThePort() {
    try (TallyNode node = TestNodes.start(dir, "http-port", "0")) {
      assertThat(node.httpPort()).isEqualTo(-1);
    }
  }

  @Test
  void close_endsOpenStreamsWithAnErrorEvent_andFreesTheConnections() throws Exception {
    TallyNode node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()));
    SseStream s = SseStream.open(HttpClient.newHttpClient(), "http://127.0.0.1:" + node.httpPort()
        + "/v1/counters:watch?keys=bye");
    try {
      s.nextData("value", Duration.ofSeconds(10));
      node.close();
      assertThat(s.nextData("error", Duration.ofSeconds(10))).contains("UNAVAILABLE");
      assertThat(node.openHttpConnections()).isZero();
    } finally {
      s.close();
      node.close();
    }
  }
}
