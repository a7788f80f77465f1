package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.client.ClusterMember;
import dev.tally.client.ClusterStatus;
import dev.tally.client.Consistency;
import dev.tally.client.CounterChange;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import dev.tally.client.WatchSubscription;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Every call of the Java client against a real node (gRPC on loopback, RocksDB in a temp dir). */
class SdkCallsTest {

  @TempDir
  static Path dir;

  private static TallyNode node;
  private static TallyClient client;
  private String prefix;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir);
    client = TallyClient.builder().endpoints("127.0.0.1:" + node.clientPort())
        .deadline(Duration.ofSeconds(20)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void keyPrefix(TestInfo test) {
    prefix = test.getTestMethod().orElseThrow().getName() + ":";
  }

  private String key(String name) {
    return prefix + name;
  }

  @Test
  void increment_returnsTheDurableValueAndGetReadsIt() {
    CounterValue first = client.increment(key("likes"));
    CounterValue second = client.increment(key("likes"), 41);

    assertThat(first.value()).isEqualTo(1);
    assertThat(second.key()).isEqualTo(key("likes"));
    assertThat(second.value()).isEqualTo(42);
    assertThat(second.updatedAt()).isNotNull();
    CounterValue read = client.get(key("likes"));
    assertThat(read.value()).isEqualTo(42);
    assertThat(read.updatedAt()).isEqualTo(second.updatedAt());
  }

  @Test
  void decrement_subtractsAndMayGoNegative() {
    client.increment(key("stock"), 2);

    assertThat(client.decrement(key("stock")).value()).isEqualTo(1);
    assertThat(client.decrement(key("stock"), 5).value()).isEqualTo(-4);
    assertThat(client.get(key("stock")).value()).isEqualTo(-4);
  }

  @Test
  void get_keyNeverWritten_isZeroWithoutUpdateTime() {
    CounterValue v = client.get(key("never"));

    assertThat(v.value()).isZero();
    assertThat(v.neverWritten()).isTrue();
  }

  @Test
  void getMany_returnsValuesInRequestOrderWithRepeats() {
    client.increment(key("a"), 3);
    client.increment(key("b"), 5);

    List<CounterValue> values = client.getMany(List.of(key("b"), key("none"), key("a"), key("b")));

    assertThat(values).extracting(CounterValue::key).containsExactly(key("b"), key("none"), key("a"), key("b"));
    assertThat(values).extracting(CounterValue::value).containsExactly(5L, 0L, 3L, 5L);
  }

  @Test
  void incrementMany_appliesSignedChangesTogetherAndReturnsTheValuesAfterTheBatch() {
    client.increment(key("x"), 10);

    List<CounterValue> values = client.incrementMany(List.of(
        CounterChange.increment(key("x"), 5),
        CounterChange.decrement(key("y"), 2),
        CounterChange.increment(key("x"))));

    assertThat(values).extracting(CounterValue::key).containsExactly(key("x"), key("y"), key("x"));
    assertThat(values).extracting(CounterValue::value).containsExactly(16L, -2L, 16L);
    assertThat(client.getMany(List.of(key("x"), key("y")))).extracting(CounterValue::value).containsExactly(16L, -2L);
  }

  @Test
  void asyncCalls_completeWithTheSameResultsAsBlockingOnes() throws Exception {
    assertThat(client.incrementAsync(key("k"), 4).get(20, TimeUnit.SECONDS).value()).isEqualTo(4);
    assertThat(client.decrementAsync(key("k"), 1).get(20, TimeUnit.SECONDS).value()).isEqualTo(3);
    assertThat(client.incrementManyAsync(List.of(CounterChange.increment(key("k"), 2)))
        .get(20, TimeUnit.SECONDS)).extracting(CounterValue::value).containsExactly(5L);
    assertThat(client.getAsync(key("k")).get(20, TimeUnit.SECONDS).value()).isEqualTo(5);
    assertThat(client.getManyAsync(List.of(key("k"))).get(20, TimeUnit.SECONDS))
        .extracting(CounterValue::value).containsExactly(5L);
    assertThat(client.clusterStatusAsync(RequestOptions.defaults()).get(20, TimeUnit.SECONDS).node())
        .isEqualTo(node.config().name());
  }

  @Test
  void concurrentIncrements_countExactly() throws Exception {
    List<CompletableFuture<CounterValue>> calls = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      calls.add(i % 3 == 0 ? client.decrementAsync(key("hot"), 1) : client.incrementAsync(key("hot"), 2));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    // 200 increments of 2 and 100 decrements of 1.
    assertThat(client.get(key("hot")).value()).isEqualTo(300);
  }

  @Test
  void quorumConsistency_isServedByANodeThatIsItsOwnMajority() {
    RequestOptions quorum = RequestOptions.consistency(Consistency.QUORUM);

    assertThat(client.increment(key("q"), 3, quorum).value()).isEqualTo(3);
    assertThat(client.get(key("q"), quorum).value()).isEqualTo(3);
    assertThat(client.getMany(List.of(key("q")), quorum)).extracting(CounterValue::value).containsExactly(3L);
  }

  @Test
  void sameRequestIdTwice_returnsTheFirstResultAndAppliesOnce() {
    RequestOptions id = RequestOptions.defaults().withRequestId(key("req-1"));

    CounterValue first = client.increment(key("views"), 10, id);
    client.increment(key("views"), 1);
    CounterValue repeat = client.increment(key("views"), 10, id);

    assertThat(repeat).isEqualTo(first);
    assertThat(client.get(key("views")).value()).isEqualTo(11);
  }

  @Test
  void clusterStatus_listsTheNodeItselfAsItsOnlyMember() {
    ClusterStatus status = client.clusterStatus();

    assertThat(status.clusterId()).isEqualTo(node.config().clusterId());
    assertThat(status.node()).isEqualTo(node.config().name());
    assertThat(status.members()).singleElement().satisfies(m -> {
      assertThat(m.name()).isEqualTo(node.config().name());
      assertThat(m.dc()).isEqualTo(node.config().dc());
      assertThat(m.replicaId()).isEqualTo(ReplicaIds.format(node.replicaId()));
      assertThat(m.clientAddress()).isEqualTo("127.0.0.1:" + node.clientPort());
      assertThat(m.state()).isEqualTo(ClusterMember.State.ALIVE);
      assertThat(m.self()).isTrue();
      assertThat(m.replicationLag()).isZero();
      assertThat(m.pendingKeys()).isZero();
      assertThat(m.needsRepair()).isFalse();
    });
  }

  @Test
  void watch_deliversCurrentValuesThenEveryChange() throws Exception {
    client.increment(key("w"), 7);
    RecordingListener events = new RecordingListener();

    try (WatchSubscription watch = client.watch(List.of(key("w"), key("other"), key("w")), events)) {
      assertThat(events.next(RecordingListener.Connected.class).endpoint()).isEqualTo("127.0.0.1:" + node.clientPort());
      assertThat(events.nextValue(key("w"))).isEqualTo(7);
      assertThat(events.nextValue(key("other"))).isZero();

      client.increment(key("w"), 3);
      assertThat(events.nextValue(key("w"))).isEqualTo(10);
      client.incrementMany(List.of(CounterChange.decrement(key("other"), 4)));
      assertThat(events.nextValue(key("other"))).isEqualTo(-4);
      assertThat(watch.connectedEndpoint()).contains("127.0.0.1:" + node.clientPort());
    }
    // Closing cancels the stream; the node lets go of it when the cancellation arrives.
    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 0);
  }

  @Test
  void watchPublisher_deliversValuesAsTheSubscriberAsks() throws Exception {
    LinkedBlockingQueue<CounterValue> received = new LinkedBlockingQueue<>();
    CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    client.watchPublisher(List.of(key("p"))).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription.complete(s);
        s.request(1);
      }

      @Override
      public void onNext(CounterValue item) {
        received.add(item);
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {}
    });
    Flow.Subscription s = subscription.get(20, TimeUnit.SECONDS);
    try {
      assertThat(received.poll(20, TimeUnit.SECONDS)).extracting(CounterValue::value).isEqualTo(0L);
      client.increment(key("p"), 2);
      client.increment(key("p"), 3);
      // Without demand the publisher keeps only each key's latest value (the node may conflate
      // too), so 2 may or may not show; 5, the last value, always arrives, and nothing else does.
      List<Long> seen = new ArrayList<>();
      while (seen.isEmpty() || seen.get(seen.size() - 1) != 5) {
        s.request(1);
        CounterValue next = received.poll(20, TimeUnit.SECONDS);
        assertThat(next).as("a value after %s", seen).isNotNull();
        seen.add(next.value());
      }
      assertThat(seen).isSubsetOf(2L, 5L).endsWith(5L);
    } finally {
      s.cancel();
    }
  }
}
