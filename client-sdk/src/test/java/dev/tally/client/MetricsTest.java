package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.tally.client.Await.await;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client metrics on a Micrometer registry. */
class MetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeCluster cluster = FakeCluster.of(2);
  private final AtomicLong now = new AtomicLong();
  private final TallyClient client = cluster.clientBuilder()
      .meterRegistry(registry)
      .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(2)))
      .retryBudget(new RetryBudget(0.0, 2))
      .ticker(now::get)
      .build();

  @AfterEach
  void tearDown() {
    client.close();
    cluster.close();
  }

  private long calls(String method, String outcome) {
    Timer t = registry.find("tally.client.calls").tag("method", method).tag("outcome", outcome).timer();
    return t == null ? 0 : t.count();
  }

  private double counter(String name, String method) {
    Counter c = registry.find(name).tag("method", method).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void calls_areTimedByMethodAndOutcome() {
    client.increment("k");
    client.increment("k");
    client.get("k");
    cluster.nodes().forEach(n -> n.faults.next(1, Faults.Kind.REJECT, Status.OUT_OF_RANGE, "Increment"));
    assertThatThrownBy(() -> client.increment("k")).isInstanceOf(CounterOverflowException.class);

    assertThat(calls("Increment", "success")).isEqualTo(2);
    assertThat(calls("Get", "success")).isEqualTo(1);
    assertThat(calls("Increment", "out_of_range")).isEqualTo(1);
    Timer t = registry.find("tally.client.calls").tag("method", "Get").timer();
    assertThat(t.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
  }

  @Test
  void retriesFailoversAndBudgetExhaustion_areCounted() {
    cluster.node(0).stop();
    cluster.node(1).faults.always(Faults.Kind.REJECT, Status.UNAVAILABLE, "Get");

    assertThatThrownBy(() -> client.get("k")).isInstanceOf(UnavailableException.class);

    // Two tokens: three attempts, then the budget refused the fourth.
    assertThat(counter("tally.client.retries", "Get")).isEqualTo(2);
    assertThat(counter("tally.client.failovers", "Get")).isEqualTo(2);
    assertThat(counter("tally.client.retry.budget.exhausted", "Get")).isEqualTo(1);
    assertThat(calls("Get", "unavailable")).isEqualTo(1);
  }

  @Test
  void outcomeUnknownWrites_haveTheirOwnOutcome() {
    cluster.nodes().forEach(n -> n.faults.always(Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE, null));
    assertThatThrownBy(() -> client.increment("k")).isInstanceOf(WriteOutcomeUnknownException.class);
    assertThat(calls("Increment", "outcome_unknown")).isEqualTo(1);
  }

  @Test
  void coalescedBatches_recordTheirSize_andWatchReconnectsAreCounted() {
    try (TallyClient coalescing = TallyClient.builder().endpoints(cluster.addresses().subList(0, 1))
        .channelFactory(cluster.channelFactory()).coalesceWrites(TallyClientBuilder.MAX_COALESCING_WINDOW)
        .meterRegistry(registry).build()) {
      coalescing.incrementAsync("a");
      coalescing.incrementAsync("b");
      coalescing.decrementAsync("a");
    }
    DistributionSummary s = registry.find("tally.client.coalesced.writes").summary();
    assertThat(s.count()).isEqualTo(1);
    assertThat(s.totalAmount()).isEqualTo(3);
    assertThat(calls("CoalescedIncrement", "success")).isEqualTo(1);

    WatchSubscription w = client.watch(List.of("a"), v -> {});
    await().until(() -> w.connectedEndpoint().isPresent());
    cluster.node(w.connectedEndpoint().get()).stop();
    await().until(() -> registry.find("tally.client.watch.reconnects").counter() != null
        && registry.find("tally.client.watch.reconnects").counter().count() == 1);
    // Close once the new stream is up: grpc's in-process transport throws (NPE in InProcessTransport)
    // when a stream is cancelled before its server side has started.
    await().until(() -> w.connectedEndpoint().isPresent());
    w.close();
  }
}
