package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.tally.client.Await.await;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Watch: values, reconnection to another node, terminal errors, and the Flow.Publisher face. */
class WatchTest {

  private static final RetryPolicy FAST = RetryPolicy.defaults()
      .withBackoff(Duration.ofMillis(1), Duration.ofMillis(20));

  /** Records every event, in order. */
  static final class Recorder implements WatchListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Map<String, Long> latest = new ConcurrentHashMap<>();
    final List<TallyException> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onValue(CounterValue value) {
      events.add(value.key() + "=" + value.value());
      latest.put(value.key(), value.value());
    }

    @Override
    public void onConnected(String endpoint) {
      events.add("connected " + endpoint);
    }

    @Override
    public void onDisconnected(String endpoint, TallyException cause) {
      events.add("disconnected " + endpoint + " " + cause.code());
    }

    @Override
    public void onError(TallyException error) {
      events.add("error " + error.code());
      errors.add(error);
    }

    long connections() {
      return events.stream().filter(e -> e.startsWith("connected")).count();
    }
  }

  private final FakeCluster cluster = FakeCluster.sharedState(2);
  private final TallyClient client = cluster.clientBuilder()
      .retryPolicy(FAST)
      .watchReconnectTimeout(Duration.ofMillis(500))
      .build();

  @AfterEach
  void tearDown() {
    client.close();
    cluster.close();
  }

  @Test
  void watch_deliversCurrentValuesThenEveryChange() {
    client.increment("a", 5);
    Recorder r = new Recorder();
    try (WatchSubscription s = client.watch(List.of("a", "b", "a"), r)) {
      await().until(() -> r.events.size() == 3);
      assertThat(r.events.subList(1, 3)).containsExactly("a=5", "b=0");
      assertThat(r.events.get(0)).startsWith("connected node-");
      assertThat(s.connectedEndpoint()).isPresent();

      client.increment("a");
      client.decrement("b", 2);
      await().until(() -> r.events.size() == 5);
      assertThat(r.events.subList(3, 5)).containsExactly("a=6", "b=-2");
      assertThat(s.isActive()).isTrue();
    }
  }

  @Test
  void watch_survivesTheLossOfItsNode_andResumesWithCurrentValuesFromAnother() {
    Recorder r = new Recorder();
    WatchSubscription s = client.watch(List.of("likes"), r);
    await().until(() -> r.latest.containsKey("likes"));
    String first = s.connectedEndpoint().orElseThrow();

    cluster.node(first).stop();
    client.increment("likes", 3); // lands on the surviving node while the watch reconnects

    await().until(() -> r.connections() == 2 && Long.valueOf(3).equals(r.latest.get("likes")));
    String second = s.connectedEndpoint().orElseThrow();
    assertThat(second).isNotEqualTo(first);
    assertThat(r.events).contains("disconnected " + first + " UNAVAILABLE");

    client.increment("likes");
    await().until(() -> Long.valueOf(4).equals(r.latest.get("likes")));
    assertThat(r.errors).isEmpty();
    s.close();
  }

  @Test
  void watch_everyNodeGone_endsWithATerminalErrorAfterTheReconnectTimeout() {
    Recorder r = new Recorder();
    WatchSubscription s = client.watch(List.of("k"), r);
    await().until(() -> r.latest.containsKey("k"));

    cluster.nodes().forEach(FakeCluster.Node::stop);

    await().until(() -> !r.errors.isEmpty());
    assertThat(r.errors).hasSize(1);
    assertThat(r.errors.get(0)).isInstanceOf(UnavailableException.class)
        .hasMessageContaining("watch found no endpoint for PT0.5S");
    assertThat(s.isActive()).isFalse();
    assertThat(r.events.get(r.events.size() - 1)).isEqualTo("error UNAVAILABLE");
  }

  @Test
  void watch_nodeComesBackWithinTheTimeout_resumes() {
    Recorder r = new Recorder();
    try (TallyClient patient = cluster.clientBuilder().retryPolicy(FAST)
        .watchReconnectTimeout(Duration.ofMinutes(1)).build()) {
      WatchSubscription s = patient.watch(List.of("k"), r);
      await().until(() -> r.connections() == 1);
      cluster.nodes().forEach(FakeCluster.Node::stop);
      await().until(() -> r.events.stream().anyMatch(e -> e.startsWith("disconnected")));
      cluster.node(1).start();
      client.increment("k", 9);
      await().until(() -> r.connections() == 2 && Long.valueOf(9).equals(r.latest.get("k")));
      assertThat(s.connectedEndpoint()).contains("node-b:7000");
      assertThat(r.errors).isEmpty();
    }
  }

  @Test
  void watch_refusedByTheNode_endsAtOnceWithoutReconnecting() {
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.REJECT, Status.PERMISSION_DENIED.withDescription("not yours"), "Watch");
    }
    Recorder r = new Recorder();
    WatchSubscription s = client.watch(List.of("k"), r);
    await().until(() -> !r.errors.isEmpty());
    assertThat(r.errors.get(0).code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(r.errors.get(0).description()).isEqualTo("not yours");
    assertThat(cluster.calls("Watch")).isEqualTo(1);
    assertThat(s.isActive()).isFalse();
  }

  @Test
  void watch_close_stopsTheStreamAndTheListener() {
    Recorder r = new Recorder();
    WatchSubscription s = client.watch(List.of("k"), r);
    await().until(() -> r.latest.containsKey("k"));
    s.close();
    s.close();
    assertThat(s.isActive()).isFalse();
    await().until(() -> cluster.node(0).service.watcherCount() == 0);
    int seen = r.events.size();
    client.increment("k");
    assertThat(r.events).hasSize(seen);
    assertThat(r.errors).isEmpty();
  }

  @Test
  void watch_listenerThrows_subscriptionEndsWithAnError() {
    List<TallyException> errors = new CopyOnWriteArrayList<>();
    WatchSubscription s = client.watch(List.of("k"), new WatchListener() {
      @Override
      public void onValue(CounterValue value) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void onError(TallyException error) {
        errors.add(error);
      }
    });
    await().until(() -> !errors.isEmpty());
    assertThat(errors.get(0)).hasMessageContaining("listener bug");
    assertThat(s.isActive()).isFalse();
  }

  @Test
  void clientClose_endsWatchesWithoutCallingTheirListeners() {
    Recorder r = new Recorder();
    WatchSubscription s = client.watch(List.of("k"), r);
    await().until(() -> r.latest.containsKey("k"));
    client.close();
    assertThat(s.isActive()).isFalse();
    assertThat(r.errors).isEmpty();
  }

  // ------------------------------------------------------------------ Flow.Publisher

  /** A subscriber that requests only when told to. */
  static final class ManualSubscriber implements Flow.Subscriber<CounterValue> {
    final List<CounterValue> values = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    volatile Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public void onNext(CounterValue item) {
      values.add(item);
    }

    @Override
    public void onError(Throwable t) {
      errors.add(t);
    }

    @Override
    public void onComplete() {
      errors.add(new AssertionError("a watch never completes"));
    }
  }

  @Test
  void publisher_deliversOnDemand_andConflatesPerKeyWhileThereIsNone() {
    // Values reach the subscription on the callback executor; with the default pool a push could
    // still be on its way when the test asks for more, and then it is (rightly) delivered on its
    // own instead of collapsing with the others. Running callbacks on the in-process transport's
    // thread makes every push arrive before the call that caused it returns.
    try (TallyClient direct = cluster.clientBuilder().retryPolicy(FAST).callbackExecutor(Runnable::run).build()) {
      conflatesWhileThereIsNoDemand(direct);
    }
  }

  private void conflatesWhileThereIsNoDemand(TallyClient client) {
    ManualSubscriber sub = new ManualSubscriber();
    client.watchPublisher(List.of("a", "b")).subscribe(sub);
    sub.subscription.request(1);
    await().until(() -> sub.values.size() == 1);
    assertThat(sub.values.get(0)).isEqualTo(new CounterValue("a", 0, null));

    for (int i = 0; i < 5; i++) {
      client.increment("a");
    }
    client.increment("b", 7);
    await().until(() -> cluster.node(0).service.value("b") == 7);
    sub.subscription.request(10);
    // While there was no demand, a's five changes and b's two values collapsed into the latest
    // value of each key, in the order of their latest change.
    await().until(() -> sub.values.size() == 3);
    List<String> seen = new ArrayList<>();
    sub.values.forEach(v -> seen.add(v.key() + "=" + v.value()));
    assertThat(seen).containsExactly("a=0", "a=5", "b=7");
    sub.subscription.cancel();
    await().until(() -> cluster.node(0).service.watcherCount() == 0);
    assertThat(sub.errors).isEmpty();
  }

  @Test
  void publisher_nonPositiveRequest_signalsOnError() {
    ManualSubscriber sub = new ManualSubscriber();
    client.watchPublisher(List.of("a")).subscribe(sub);
    sub.subscription.request(0);
    await().until(() -> !sub.errors.isEmpty());
    assertThat(sub.errors.get(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("§3.9");
    await().until(() -> cluster.node(0).service.watcherCount() == 0);
  }

  @Test
  void publisher_terminalError_arrivesAsOnError() {
    ManualSubscriber sub = new ManualSubscriber();
    client.watchPublisher(List.of("a")).subscribe(sub);
    sub.subscription.request(Long.MAX_VALUE);
    await().until(() -> sub.values.size() == 1);
    cluster.nodes().forEach(FakeCluster.Node::stop);
    await().until(() -> !sub.errors.isEmpty());
    assertThat(sub.errors.get(0)).isInstanceOf(UnavailableException.class);
  }

  @Test
  void publisher_subscribedAfterTheClientClosed_signalsOnError() {
    Flow.Publisher<CounterValue> publisher = client.watchPublisher(List.of("a"));
    client.close();
    ManualSubscriber sub = new ManualSubscriber();
    publisher.subscribe(sub);
    assertThat(sub.errors).singleElement().isInstanceOf(IllegalStateException.class);
  }
}
