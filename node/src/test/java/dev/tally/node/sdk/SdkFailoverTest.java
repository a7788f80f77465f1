package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.CounterValue;
import dev.tally.client.TallyClient;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calls fail over to a live node when an endpoint is down, and still count exactly. */
class SdkFailoverTest {

  @TempDir
  Path dir;

  private TallyNode a;
  private TallyNode b;

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  @Test
  void oneEndpointNotListening_everyCallSucceedsOnTheOtherAndCountsExactly() {
    a = TestNodes.start(dir.resolve("a"));
    String dead = "127.0.0.1:" + TestNodes.freePort();
    String live = "127.0.0.1:" + a.clientPort();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    try (TallyClient client = TallyClient.builder().endpoints(dead, live).meterRegistry(metrics)
        .deadline(Duration.ofSeconds(20)).build()) {
      for (int i = 1; i <= 20; i++) {
        assertThat(client.increment("views").value()).isEqualTo(i);
        assertThat(client.get("views").value()).isEqualTo(i);
      }
      assertThat(client.decrement("views", 5).value()).isEqualTo(15);
      assertThat(client.getMany(List.of("views", "other"))).extracting(CounterValue::value).containsExactly(15L, 0L);
    }
    // Round robin sends some first attempts to the dead endpoint; they were refused before
    // anything was sent, so the write failed over to the live node instead of staying put.
    assertThat(metrics.counter("tally.client.failovers", "method", "Increment").count()
        + metrics.counter("tally.client.failovers", "method", "Get").count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void nodeStopped_callsMoveToTheRemainingNode() {
    a = TestNodes.start(dir.resolve("a"));
    b = TestNodes.start(dir.resolve("b"));

    try (TallyClient client = TallyClient.builder()
            .endpoints("127.0.0.1:" + a.clientPort(), "127.0.0.1:" + b.clientPort())
            .deadline(Duration.ofSeconds(20)).build();
        TallyClient onlyB = TallyClient.builder().endpoints("127.0.0.1:" + b.clientPort()).build()) {
      client.get("warm-up"); // connects
      a.close();

      for (int i = 0; i < 10; i++) {
        client.increment("after-stop", 3);
      }

      // The nodes do not replicate yet, so everything written after the stop is on b.
      assertThat(onlyB.get("after-stop").value()).isEqualTo(30);
      assertThat(client.get("after-stop").value()).isEqualTo(30);
    }
  }
}
