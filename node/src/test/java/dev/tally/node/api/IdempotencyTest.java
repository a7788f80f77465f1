package dev.tally.node.api;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.ManualClock;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** request_id semantics over real gRPC: repeats, reuse for another request, restart, expiry. */
class IdempotencyTest {

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(1_700_000_000_000L);
  private TallyNode node;
  private ManagedChannel channel;
  private CounterServiceBlockingStub stub;

  private void start(String... overrides) {
    node = TallyNode.start(TestNodes.config(dir, overrides), TallyNode.Options.defaults().withClock(clock));
    channel = TestNodes.channel(node);
    stub = TestNodes.blocking(channel);
  }

  private void restart() {
    stop();
    start();
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  private static IncrementRequest inc(String key, long amount, String id) {
    return IncrementRequest.newBuilder().setKey(key).setAmount(amount).setRequestId(id).build();
  }

  private long value(String key) {
    return stub.get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  @Test
  void increment_repeatedRequestId_returnsTheFirstResultAndAppliesNothing() {
    start();
    CounterValue first = stub.increment(inc("k", 3, "r1"));
    clock.advance(Duration.ofSeconds(5));
    stub.increment(inc("k", 1, ""));

    CounterValue repeat = stub.increment(inc("k", 3, "r1"));

    assertThat(repeat).isEqualTo(first);
    assertThat(value("k")).isEqualTo(4);
  }

  @Test
  void increment_absentAmountAndAmountOne_areTheSameRequest() {
    start();
    CounterValue first = stub.increment(IncrementRequest.newBuilder().setKey("k").setRequestId("r1").build());

    assertThat(stub.increment(inc("k", 1, "r1"))).isEqualTo(first);
    assertThat(value("k")).isEqualTo(1);
  }

  @Test
  void decrement_repeatedRequestId_returnsTheFirstResult() {
    start();
    DecrementRequest d = DecrementRequest.newBuilder().setKey("k").setAmount(2).setRequestId("d1").build();
    CounterValue first = stub.decrement(d);

    assertThat(stub.decrement(d)).isEqualTo(first);
    assertThat(value("k")).isEqualTo(-2);
  }

  @Test
  void incrementMany_repeatedRequestId_returnsTheFirstValues() {
    start();
    IncrementManyRequest batch = IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("a").setAmount(2))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("b").setAmount(-1))
        .setRequestId("b1").build();
    IncrementManyResponse first = stub.incrementMany(batch);
    stub.increment(inc("a", 10, ""));

    assertThat(stub.incrementMany(batch)).isEqualTo(first);
    assertThat(value("a")).isEqualTo(12);
    assertThat(value("b")).isEqualTo(-1);
  }

  @Test
  void requestId_reusedForAnotherRequest_isInvalidArgumentSayingSoAndChangesNothing() {
    start();
    stub.increment(inc("k", 3, "r1"));

    assertStatus(() -> stub.increment(inc("k", 4, "r1")), Code.INVALID_ARGUMENT,
        "request_id 'r1' was already used for a different request", "Increment of key 'k' by 3",
        "this call is Increment of key 'k' by 4");
    assertStatus(() -> stub.increment(inc("other", 3, "r1")), Code.INVALID_ARGUMENT,
        "request_id 'r1' was already used", "Increment of key 'other' by 3");
    assertStatus(() -> stub.decrement(DecrementRequest.newBuilder().setKey("k").setAmount(3).setRequestId("r1").build()),
        Code.INVALID_ARGUMENT, "request_id 'r1' was already used", "Decrement of key 'k' by 3");
    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
            .addItems(IncrementManyRequest.Item.newBuilder().setKey("k").setAmount(3)).setRequestId("r1").build()),
        Code.INVALID_ARGUMENT, "request_id 'r1' was already used", "IncrementMany of 1 items");

    assertThat(value("k")).isEqualTo(3);
    assertThat(value("other")).isZero();
  }

  @Test
  void incrementMany_sameIdOtherItems_isRejected() {
    start();
    stub.incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("a").setAmount(2)).setRequestId("b1").build());

    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
            .addItems(IncrementManyRequest.Item.newBuilder().setKey("a").setAmount(-2)).setRequestId("b1").build()),
        Code.INVALID_ARGUMENT, "request_id 'b1' was already used");
    assertThat(value("a")).isEqualTo(2);
  }

  @Test
  void repeat_afterRestartOnTheSameDataDir_returnsTheFirstResult() {
    start();
    CounterValue first = stub.increment(inc("k", 7, "r1"));
    IncrementManyRequest batch = IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("k").setAmount(1)).setRequestId("b1").build();
    IncrementManyResponse firstBatch = stub.incrementMany(batch);

    restart();

    assertThat(stub.increment(inc("k", 7, "r1"))).isEqualTo(first);
    assertThat(stub.incrementMany(batch)).isEqualTo(firstBatch);
    assertStatus(() -> stub.increment(inc("k", 8, "r1")), Code.INVALID_ARGUMENT, "request_id 'r1' was already used");
    assertThat(value("k")).isEqualTo(8);
  }

  @Test
  void repeat_afterTheDedupeWindow_isANewRequest() {
    start("dedupe-window", "1m");
    stub.increment(inc("k", 5, "r1"));
    clock.advance(Duration.ofSeconds(59));
    stub.increment(inc("k", 5, "r1"));
    assertThat(value("k")).isEqualTo(5);

    clock.advance(Duration.ofSeconds(1));
    CounterValue again = stub.increment(inc("k", 5, "r1"));

    assertThat(again.getValue()).isEqualTo(10);
    assertThat(value("k")).isEqualTo(10);
    // and the new application is remembered in its turn
    assertThat(stub.increment(inc("k", 5, "r1"))).isEqualTo(again);
  }
}
