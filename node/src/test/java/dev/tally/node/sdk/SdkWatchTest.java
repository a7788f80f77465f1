package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.TallyClient;
import dev.tally.client.WatchSubscription;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A watch survives the loss of its node: it re-subscribes and carries on with the values there. */
class SdkWatchTest {

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

  private static String endpoint(TallyNode node) {
    return "127.0.0.1:" + node.clientPort();
  }

  private static TallyClient clientOf(TallyNode node) {
    return TallyClient.builder().endpoints(endpoint(node)).build();
  }

  /**
   * Two independent nodes: they cannot replicate yet, so after the switch the watch shows the
   * second node's own value, and then what is written there. NOTE for when replication lands:
   * the nodes will form one cluster, the value after the switch will be the converged total (the
   * writes made on the lost node included), and this test should then assert that total.
   */
  @Test
  void watch_nodeStops_resubscribesOnTheOtherEndpointAndReceivesItsValues() throws Exception {
    a = TestNodes.start(dir.resolve("a"));
    b = TestNodes.start(dir.resolve("b"));
    Map<String, TallyNode> byEndpoint = Map.of(endpoint(a), a, endpoint(b), b);
    try (TallyClient onA = clientOf(a); TallyClient onB = clientOf(b)) {
      onA.increment("likes", 1);
      onB.increment("likes", 100);
    }
    RecordingListener events = new RecordingListener();

    try (TallyClient client = TallyClient.builder().endpoints(endpoint(a), endpoint(b))
            .watchReconnectTimeout(Duration.ofSeconds(30)).build();
        WatchSubscription watch = client.watch(List.of("likes"), events)) {
      String first = events.next(RecordingListener.Connected.class).endpoint();
      TallyNode lost = byEndpoint.get(first);
      TallyNode survivor = lost == a ? b : a;
      long before = events.nextValue("likes");
      try (TallyClient onLost = clientOf(lost)) {
        assertThat(onLost.increment("likes", 2).value()).isEqualTo(before + 2);
      }
      assertThat(events.nextValue("likes")).isEqualTo(before + 2);

      lost.close();

      RecordingListener.Disconnected gone = events.next(RecordingListener.Disconnected.class);
      assertThat(gone.endpoint()).isEqualTo(first);
      assertThat(gone.cause().description()).contains("the node is shutting down");
      assertThat(events.next(RecordingListener.Connected.class).endpoint()).isEqualTo(endpoint(survivor));
      long current;
      try (TallyClient onSurvivor = clientOf(survivor)) {
        current = onSurvivor.get("likes").value();
        assertThat(events.nextValue("likes")).as("a new stream starts with the current value").isEqualTo(current);
        onSurvivor.increment("likes", 5);
      }
      assertThat(events.nextValue("likes")).isEqualTo(current + 5);
      assertThat(watch.connectedEndpoint()).contains(endpoint(survivor));
      assertThat(watch.isActive()).isTrue();
    }
  }

  @Test
  void watch_onlyNodeRestarts_resubscribesWhenItIsBackWithTheDurableValue() throws Exception {
    int port = TestNodes.freePort();
    a = TestNodes.start(dir.resolve("a"), "port", Integer.toString(port));
    RecordingListener events = new RecordingListener();

    try (TallyClient client = TallyClient.builder().endpoints("127.0.0.1:" + port)
            .watchReconnectTimeout(Duration.ofSeconds(30)).build();
        WatchSubscription watch = client.watch(List.of("views"), events)) {
      events.next(RecordingListener.Connected.class);
      assertThat(events.nextValue("views")).isZero();
      client.increment("views", 9);
      assertThat(events.nextValue("views")).isEqualTo(9);

      a.close();
      events.next(RecordingListener.Disconnected.class);
      a = TestNodes.start(dir.resolve("a"), "port", Integer.toString(port));

      assertThat(events.next(RecordingListener.Connected.class).endpoint()).isEqualTo("127.0.0.1:" + port);
      assertThat(events.nextValue("views")).isEqualTo(9);
      client.increment("views", 1);
      assertThat(events.nextValue("views")).isEqualTo(10);
      assertThat(watch.isActive()).isTrue();
    }
  }
}
