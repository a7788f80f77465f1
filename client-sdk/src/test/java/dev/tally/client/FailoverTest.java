package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failover to healthy endpoints, cool-down of failed ones, and their return. */
class FailoverTest {

  private static final RetryPolicy FAST = RetryPolicy.defaults()
      .withBackoff(Duration.ofMillis(1), Duration.ofMillis(4));

  private final FakeCluster cluster = FakeCluster.of(3);
  private final AtomicLong now = new AtomicLong();
  private final TallyClient client = cluster.clientBuilder()
      .retryPolicy(FAST)
      .endpointCoolDown(Duration.ofSeconds(10))
      .ticker(now::get)
      .build();

  @AfterEach
  void tearDown() {
    client.close();
    cluster.close();
  }

  @Test
  void endpointDown_callsSucceedOnTheOthers_andWritesAreNotDoubled() {
    FakeCluster.Node down = cluster.node(0);
    down.stop();

    for (int i = 0; i < 30; i++) {
      client.increment("k");
      assertThat(client.get("k").key()).isEqualTo("k"); // each node has its own state
    }

    assertThat(cluster.totalOf("k")).isEqualTo(30);
    assertThat(down.service.value("k")).isZero();
  }

  @Test
  void failedEndpoint_isSkippedDuringItsCoolDown_andTriedAgainAfterIt() {
    FakeCluster.Node flaky = cluster.node(1);
    flaky.stop();
    for (int i = 0; i < 6; i++) {
      client.get("k"); // some first attempts hit the stopped node and fail over
    }
    flaky.start();
    int before = flaky.faults.totalCalls();
    for (int i = 0; i < 12; i++) {
      client.get("k");
    }
    assertThat(flaky.faults.totalCalls()).isEqualTo(before); // still cooling down

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    for (int i = 0; i < 12; i++) {
      client.get("k");
    }
    assertThat(flaky.faults.totalCalls()).isGreaterThanOrEqualTo(before + 4); // its round-robin share
  }

  @Test
  void everyEndpointDown_writeFailsAsUnavailable_becauseNothingWasSent() {
    cluster.nodes().forEach(FakeCluster.Node::stop);
    assertThatThrownBy(() -> client.increment("k"))
        .isExactlyInstanceOf(UnavailableException.class)
        .isInstanceOfSatisfying(UnavailableException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.attempts()).isEqualTo(4);
        });
  }

  @Test
  void everyEndpointCoolingDown_theCallStillTriesOne() {
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.next(1, Faults.Kind.REJECT, Status.UNAVAILABLE, "Get");
    }
    try (TallyClient twoAttempts = cluster.clientBuilder()
        .retryPolicy(FAST.withMaxAttempts(3)).ticker(now::get).build()) {
      assertThatThrownBy(() -> twoAttempts.get("k")).isInstanceOf(UnavailableException.class);
      // All three endpoints are now cooling down; the next call is still attempted.
      assertThat(twoAttempts.get("k").value()).isZero();
    }
  }

  @Test
  void restartedNode_servesAgain_afterItsCoolDown() {
    cluster.nodes().forEach(FakeCluster.Node::stop);
    assertThatThrownBy(() -> client.get("k")).isInstanceOf(UnavailableException.class);
    cluster.node(2).start();
    // Every endpoint is cooling down: the call tries the one whose cool-down ends first, and
    // keeps trying within its attempts, reaching the restarted node.
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(client.increment("k").value()).isEqualTo(1);
    assertThat(cluster.node(2).service.value("k")).isEqualTo(1);
  }
}
