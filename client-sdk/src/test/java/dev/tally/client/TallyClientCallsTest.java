package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every call, blocking and asynchronous, against one fake node. */
class TallyClientCallsTest {

  private final FakeCluster cluster = FakeCluster.of(1);
  private final FakeCounterService node = cluster.node(0).service;
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-callbacks"));
  private final TallyClient client = cluster.clientBuilder().callbackExecutor(callbacks).build();

  @AfterEach
  void tearDown() throws InterruptedException {
    client.close();
    cluster.close();
    callbacks.shutdownNow();
    callbacks.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void increment_addsOneAndReturnsTheDurableValue() {
    CounterValue v = client.increment("likes");
    assertThat(v.key()).isEqualTo("likes");
    assertThat(v.value()).isEqualTo(1);
    assertThat(v.updatedAt()).isNotNull();
    assertThat(node.value("likes")).isEqualTo(1);
  }

  @Test
  void increment_withAmount_addsTheAmount() {
    client.increment("views", 40);
    assertThat(client.increment("views", 2).value()).isEqualTo(42);
    assertThat(node.requests(IncrementRequest.class)).extracting(IncrementRequest::getAmount)
        .containsExactly(40L, 2L);
  }

  @Test
  void decrement_subtractsAndMayGoNegative() {
    client.increment("stock", 2);
    assertThat(client.decrement("stock").value()).isEqualTo(1);
    assertThat(client.decrement("stock", 5).value()).isEqualTo(-4);
    assertThat(node.requests(DecrementRequest.class)).hasSize(2);
  }

  @Test
  void get_neverWrittenKey_isZeroWithoutUpdateTime() {
    CounterValue v = client.get("nothing-here");
    assertThat(v).isEqualTo(new CounterValue("nothing-here", 0, null));
    assertThat(v.neverWritten()).isTrue();
  }

  @Test
  void get_writtenKey_carriesTheValueAndUpdateTime() {
    CounterValue written = client.increment("k", 7);
    CounterValue read = client.get("k");
    assertThat(read).isEqualTo(written);
    assertThat(read.updatedAt()).isAfter(Instant.EPOCH);
  }

  @Test
  void getMany_returnsValuesInRequestOrder() {
    client.increment("b", 2);
    client.increment("c", 3);
    List<CounterValue> values = client.getMany(List.of("c", "a", "b"));
    assertThat(values).extracting(CounterValue::key).containsExactly("c", "a", "b");
    assertThat(values).extracting(CounterValue::value).containsExactly(3L, 0L, 2L);
  }

  @Test
  void incrementMany_appliesSignedChangesInOneRequest() {
    List<CounterValue> values = client.incrementMany(List.of(
        CounterChange.increment("x", 5), CounterChange.decrement("y", 2), CounterChange.increment("x")));
    assertThat(values).extracting(CounterValue::key).containsExactly("x", "y", "x");
    assertThat(values).extracting(CounterValue::value).containsExactly(6L, -2L, 6L);
    List<IncrementManyRequest> sent = node.requests(IncrementManyRequest.class);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getItemsList()).extracting(IncrementManyRequest.Item::getAmount)
        .containsExactly(5L, -2L, 1L);
  }

  @Test
  void clusterStatus_mapsEveryMember() {
    ClusterStatus status = client.clusterStatus();
    assertThat(status.clusterId()).isEqualTo("test-cluster");
    assertThat(status.node()).isEqualTo("node-a:7000");
    assertThat(status.members()).containsExactly(new ClusterMember("node-a:7000", "dc1",
        "0000000000000001", "node-a:7000", "node-a:7001", ClusterMember.State.ALIVE, true,
        Duration.ZERO, 0, false));
  }

  @Test
  void writes_carryOneFreshUuidRequestIdEach() {
    client.increment("k");
    client.decrement("k");
    client.incrementMany(List.of(CounterChange.increment("k")));
    List<String> ids = List.of(
        node.requests(IncrementRequest.class).get(0).getRequestId(),
        node.requests(DecrementRequest.class).get(0).getRequestId(),
        node.requests(IncrementManyRequest.class).get(0).getRequestId());
    assertThat(ids).doesNotHaveDuplicates();
    for (String id : ids) {
      assertThat(UUID.fromString(id).version()).isEqualTo(4);
    }
  }

  @Test
  void increment_callerRequestId_isSentAndARepeatIsCountedOnce() {
    RequestOptions options = RequestOptions.defaults().withRequestId("order-17-like");
    CounterValue first = client.increment("likes", 1, options);
    CounterValue repeat = client.increment("likes", 1, options);
    assertThat(repeat).isEqualTo(first);
    assertThat(node.value("likes")).isEqualTo(1);
    assertThat(node.requests(IncrementRequest.class))
        .extracting(IncrementRequest::getRequestId).containsExactly("order-17-like", "order-17-like");
  }

  @Test
  void consistency_defaultsToLocal_clientDefaultAndPerCallOverride() {
    client.get("k");
    client.get("k", RequestOptions.consistency(Consistency.QUORUM));
    try (TallyClient quorum = cluster.clientBuilder().consistency(Consistency.QUORUM).build()) {
      quorum.increment("k");
      quorum.getMany(List.of("k"), RequestOptions.consistency(Consistency.LOCAL));
    }
    assertThat(node.requests(GetRequest.class)).extracting(GetRequest::getConsistency).containsExactly(
        dev.tally.api.v1.Consistency.CONSISTENCY_LOCAL, dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM);
    assertThat(node.requests(IncrementRequest.class).get(0).getConsistency())
        .isEqualTo(dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM);
    assertThat(node.requests(GetManyRequest.class).get(0).getConsistency())
        .isEqualTo(dev.tally.api.v1.Consistency.CONSISTENCY_LOCAL);
  }

  @Test
  void asyncCalls_completeOnTheCallbackExecutor() throws Exception {
    // The callback executor holds completions until the test runs them, so each stage below is
    // attached before its future completes and must run where the completion runs.
    java.util.concurrent.BlockingQueue<Runnable> held = new java.util.concurrent.LinkedBlockingQueue<>();
    try (TallyClient heldClient = cluster.clientBuilder().callbackExecutor(held::add).build()) {
      List<CompletableFuture<?>> futures = List.of(
          heldClient.incrementAsync("a"),
          heldClient.incrementAsync("a", 4),
          heldClient.decrementAsync("a"),
          heldClient.decrementAsync("a", 2),
          heldClient.getAsync("a"),
          heldClient.getManyAsync(List.of("a", "b")),
          heldClient.incrementManyAsync(List.of(CounterChange.increment("b", 3))),
          heldClient.clusterStatusAsync(RequestOptions.defaults()));
      List<CompletableFuture<String>> threads = futures.stream()
          .map(f -> f.thenApply(v -> Thread.currentThread().getName())).toList();
      assertThat(futures).noneMatch(CompletableFuture::isDone);
      Thread runner = new Thread(() -> {
        for (int i = 0; i < futures.size(); i++) {
          try {
            held.take().run();
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "test-callbacks");
      runner.start();
      for (CompletableFuture<String> t : threads) {
        assertThat(t.get(5, TimeUnit.SECONDS)).isEqualTo("test-callbacks");
      }
      runner.join();
    }
    assertThat(client.getAsync("a").get(5, TimeUnit.SECONDS).value()).isEqualTo(2);
    assertThat(client.getManyAsync(List.of("a", "b")).get(5, TimeUnit.SECONDS))
        .extracting(CounterValue::value).containsExactly(2L, 3L);
  }

  @Test
  void asyncCall_invalidInput_failsTheFutureWithoutSending() {
    CompletableFuture<CounterValue> f = client.incrementAsync("", 1);
    assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("key is empty; a key is 1..4096 bytes of UTF-8");
    assertThat(node.requests()).isEmpty();
  }

  @Test
  void asyncCall_cancelled_cancelsTheAttemptOnTheNode() {
    cluster.node(0).faults.always(Faults.Kind.HANG, null, "Get");
    CompletableFuture<CounterValue> f = client.getAsync("k", RequestOptions.deadline(Duration.ofSeconds(30)));
    Await.await().until(() -> cluster.calls("Get") == 1);
    assertThat(f.cancel(true)).isTrue();
    assertThat(f).isCancelled();
    Await.await().until(() -> cluster.node(0).faults.cancelledHangs() == 1);
  }

  @Test
  void closedClient_refusesCalls() {
    client.close();
    assertThatThrownBy(() -> client.get("k")).isInstanceOf(IllegalStateException.class)
        .hasMessage("TallyClient is closed");
    assertThat(client.incrementAsync("k")).isCompletedExceptionally();
    assertThatThrownBy(() -> client.watch(List.of("k"), v -> {})).isInstanceOf(IllegalStateException.class);
    client.close(); // idempotent
  }
}
