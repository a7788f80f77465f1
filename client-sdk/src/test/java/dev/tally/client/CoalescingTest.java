package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Write coalescing. Most tests use the longest window and close the client to send the batch: the
 * close flushes whatever waits in the window, so what shares a request does not depend on timing.
 */
class CoalescingTest {

  private static final Duration LONG_WINDOW = TallyClientBuilder.MAX_COALESCING_WINDOW;

  private final FakeCluster cluster = FakeCluster.of(1);
  private final FakeCluster.Node node = cluster.node(0);
  private final FakeCounterService service = node.service;

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private TallyClient coalescing() {
    return cluster.clientBuilder().coalesceWrites(LONG_WINDOW)
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(4)))
        .build();
  }

  private static <T> T join(CompletableFuture<T> f) {
    return f.orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Test
  void offByDefault_eachIncrementIsItsOwnRequest() {
    try (TallyClient client = cluster.clientBuilder().build()) {
      List<CompletableFuture<CounterValue>> futures = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        futures.add(client.incrementAsync("hot"));
      }
      futures.forEach(CoalescingTest::join);
    }
    assertThat(service.requests(IncrementRequest.class)).hasSize(5);
    assertThat(service.requests(IncrementManyRequest.class)).isEmpty();
  }

  @Test
  void concurrentIncrementsInTheWindow_becomeOneRequest_andCompleteWithTheAcknowledgedValue() throws Exception {
    TallyClient client = coalescing();
    List<CompletableFuture<CounterValue>> futures = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread w = new Thread(() -> {
        for (int i = 0; i < 25; i++) {
          CompletableFuture<CounterValue> f = client.incrementAsync("hot");
          synchronized (futures) {
            futures.add(f);
          }
        }
      });
      writers.add(w);
      w.start();
    }
    for (Thread w : writers) {
      w.join();
    }
    assertThat(futures).noneMatch(CompletableFuture::isDone); // nothing acknowledged before it is sent
    client.close();

    for (CompletableFuture<CounterValue> f : futures) {
      assertThat(join(f)).isEqualTo(new CounterValue("hot", 100, join(futures.get(0)).updatedAt()));
    }
    List<IncrementManyRequest> sent = service.requests(IncrementManyRequest.class);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getItemsList()).hasSize(1);
    assertThat(sent.get(0).getItems(0).getAmount()).isEqualTo(100);
    assertThat(sent.get(0).getRequestId()).hasSize(36);
    assertThat(service.requests(IncrementRequest.class)).isEmpty();
    assertThat(service.value("hot")).isEqualTo(100);
  }

  @Test
  void blockingCallers_shareARequestSentWhenTheWindowEnds() throws Exception {
    try (TallyClient client = cluster.clientBuilder().coalesceWrites(Duration.ofMillis(20)).build()) {
      List<CompletableFuture<CounterValue>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(CompletableFuture.supplyAsync(() -> client.increment("k", 2)));
      }
      for (CompletableFuture<CounterValue> f : futures) {
        assertThat(join(f).value()).isBetween(2L, 16L).isEven();
      }
    }
    assertThat(service.value("k")).isEqualTo(16);
    assertThat(service.requests(IncrementManyRequest.class)).hasSizeBetween(1, 8);
  }

  @Test
  void increasesAndDecreasesOfSeveralKeys_shareOneRequest_withOneItemPerKeyAndSign() {
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> a1 = client.incrementAsync("a", 1);
    CompletableFuture<CounterValue> a2 = client.incrementAsync("a", 2);
    CompletableFuture<CounterValue> a3 = client.decrementAsync("a", 1);
    CompletableFuture<CounterValue> b = client.incrementAsync("b", 5);
    CompletableFuture<CounterValue> a4 = client.decrementAsync("a", 4);
    client.close();

    IncrementManyRequest sent = service.requests(IncrementManyRequest.class).get(0);
    assertThat(sent.getItemsList()).extracting(i -> i.getKey() + ":" + i.getAmount())
        .containsExactly("a:3", "a:-5", "b:5");
    assertThat(List.of(a1, a2, a3, a4)).allSatisfy(f -> assertThat(join(f).value()).isEqualTo(-2));
    assertThat(join(b).value()).isEqualTo(5);
  }

  @Test
  void failedRequest_failsEveryCallerInIt_andAppliesNothing() {
    try (TallyClient plain = cluster.clientBuilder().build()) {
      plain.increment("big", Long.MAX_VALUE - 1);
    }
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> small = client.incrementAsync("small", 5);
    CompletableFuture<CounterValue> big1 = client.incrementAsync("big");
    CompletableFuture<CounterValue> big2 = client.incrementAsync("big");
    client.close();

    for (CompletableFuture<CounterValue> f : List.of(small, big1, big2)) {
      assertThatThrownBy(() -> join(f)).isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(CounterOverflowException.class);
    }
    assertThat(service.value("small")).isZero();
    assertThat(service.requests(IncrementManyRequest.class)).hasSize(1);
  }

  @Test
  void lostResponse_isRetriedWithTheBatchsRequestId_andCountedOnce() {
    node.faults.next(1, Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE, "IncrementMany");
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> x = client.incrementAsync("x", 3);
    CompletableFuture<CounterValue> y = client.decrementAsync("y", 1);
    client.close();

    assertThat(join(x).value()).isEqualTo(3);
    assertThat(join(y).value()).isEqualTo(-1);
    List<IncrementManyRequest> sent = service.requests(IncrementManyRequest.class);
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1).getRequestId()).isEqualTo(sent.get(0).getRequestId());
    assertThat(service.value("x")).isEqualTo(3);
  }

  @Test
  void outcomeUnknown_reachesEveryCaller_withoutARequestIdOfItsOwn() {
    node.faults.always(Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE.withDescription("reply lost"), "IncrementMany");
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> x = client.incrementAsync("x");
    CompletableFuture<CounterValue> y = client.incrementAsync("y");
    client.close();

    for (CompletableFuture<CounterValue> f : List.of(x, y)) {
      assertThatThrownBy(() -> join(f)).cause()
          .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
            assertThat(e.requestId()).isEmpty();
            assertThat(e.getMessage()).contains("coalesced IncrementMany of 2 writes")
                .contains("may or may not have been applied");
          });
    }
  }

  @Test
  void invalidWrite_failsOnlyItsCaller() {
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> good = client.incrementAsync("good");
    CompletableFuture<CounterValue> bad = client.incrementAsync("x".repeat(5000));
    CompletableFuture<CounterValue> zero = client.incrementAsync("good", 0);
    assertThat(bad).isCompletedExceptionally();
    assertThat(zero).isCompletedExceptionally();
    client.close();
    assertThat(join(good).value()).isEqualTo(1);
    assertThatThrownBy(() -> join(bad)).cause().isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void aSumThatWouldOverflow_startsANewRequest() {
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> first = client.incrementAsync("k", Long.MAX_VALUE);
    CompletableFuture<CounterValue> second = client.incrementAsync("k", 1);
    client.close();

    assertThat(service.requests(IncrementManyRequest.class)).hasSize(2);
    assertThat(join(first).value()).isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> join(second)).cause().isInstanceOf(CounterOverflowException.class);
  }

  @Test
  void aThousandItems_sendTheRequestAtOnce() {
    TallyClient client = coalescing();
    List<CompletableFuture<CounterValue>> futures = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      futures.add(client.incrementAsync("key-" + i));
    }
    // The first 1000 distinct keys filled a batch, which went out without waiting for the window.
    assertThat(futures.subList(0, 1000)).allSatisfy(f -> assertThat(join(f).value()).isEqualTo(1));
    assertThat(futures.get(1000)).isNotDone();
    client.close();
    assertThat(join(futures.get(1000)).value()).isEqualTo(1);
    assertThat(service.requests(IncrementManyRequest.class))
        .extracting(IncrementManyRequest::getItemsCount).containsExactly(1000, 1);
  }

  @Test
  void differentConsistency_neverSharesARequest() {
    TallyClient client = coalescing();
    CompletableFuture<CounterValue> local = client.incrementAsync("k");
    CompletableFuture<CounterValue> quorum = client.incrementAsync("k", 1, RequestOptions.consistency(Consistency.QUORUM));
    client.close();
    join(local);
    join(quorum);
    assertThat(service.requests(IncrementManyRequest.class))
        .extracting(IncrementManyRequest::getConsistency)
        .containsExactlyInAnyOrder(dev.tally.api.v1.Consistency.CONSISTENCY_LOCAL,
            dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM);
  }

  @Test
  void writeWithItsOwnRequestId_isNotCoalesced() {
    TallyClient client = coalescing();
    CounterValue v = client.increment("k", 1, RequestOptions.defaults().withRequestId("mine"));
    client.close();
    assertThat(v.value()).isEqualTo(1);
    assertThat(service.requests(IncrementRequest.class)).extracting(IncrementRequest::getRequestId)
        .containsExactly("mine");
    assertThat(service.requests(IncrementManyRequest.class)).isEmpty();
  }

  @Test
  void randomWrites_areCountedExactly_inValidBatches() {
    long seed = Long.getLong("tally.test.seed", System.nanoTime());
    System.out.println("CoalescingTest.randomWrites seed=" + seed + " (replay: -Dtally.test.seed=" + seed + ")");
    Random random = new Random(seed);
    TallyClient client = coalescing();
    Map<String, Long> expected = new HashMap<>();
    List<CompletableFuture<CounterValue>> futures = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String key = "k" + random.nextInt(random.nextBoolean() ? 3 : 1200);
      long amount = 1 + random.nextInt(1000);
      boolean up = random.nextInt(3) > 0;
      futures.add(up ? client.incrementAsync(key, amount) : client.decrementAsync(key, amount));
      expected.merge(key, up ? amount : -amount, Long::sum);
    }
    client.close();
    futures.forEach(CoalescingTest::join);
    expected.forEach((key, value) -> assertThat(service.value(key)).as("%s (seed %d)", key, seed).isEqualTo(value));
    for (IncrementManyRequest r : service.requests(IncrementManyRequest.class)) {
      assertThat(r.getItemsCount()).isBetween(1, 1000);
      assertThat(r.getItemsList()).noneMatch(item -> item.getAmount() == 0);
    }
  }
}
