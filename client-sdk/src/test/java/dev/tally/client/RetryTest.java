package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.IncrementRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Safe retries: same request id, counted once, backoff within deadline and retry budget. */
class RetryTest {

  private static final RetryPolicy FAST = RetryPolicy.defaults()
      .withBackoff(Duration.ofMillis(1), Duration.ofMillis(4));

  private FakeCluster cluster;
  private TallyClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static List<String> requestIds(FakeCounterService service) {
    return service.requests(IncrementRequest.class).stream().map(IncrementRequest::getRequestId).toList();
  }

  @Test
  void lostResponse_retryCarriesTheSameRequestId_andIsCountedOnce() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    node.faults.next(1, Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE.withDescription("reply lost"), "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    CounterValue v = client.increment("likes", 5);

    assertThat(v.value()).isEqualTo(5);
    assertThat(node.service.value("likes")).isEqualTo(5);
    List<String> ids = requestIds(node.service);
    assertThat(ids).hasSize(2);
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
  }

  @Test
  void lostResponse_onOneOfTwoNodes_withFailoverOff_retryStaysOnThatNode_soTheOtherCannotCountItAgain() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.next(1, Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE.withDescription("reply lost"), "Increment");
    }
    client = cluster.clientBuilder().retryPolicy(FAST).failoverWrites(false).build();

    assertThat(client.increment("likes").value()).isEqualTo(1);

    assertThat(cluster.totalOf("likes")).isEqualTo(1);
    FakeCluster.Node served = cluster.node(0).faults.calls("Increment") > 0 ? cluster.node(0) : cluster.node(1);
    FakeCluster.Node other = served == cluster.node(0) ? cluster.node(1) : cluster.node(0);
    assertThat(served.faults.calls("Increment")).isEqualTo(2);
    assertThat(other.faults.calls("Increment")).isZero();
  }

  @Test
  void lostResponse_retryFailsOverByDefault_andIsCountedOnceWhenTheClusterDedupes() {
    cluster = FakeCluster.sharedState(2);
    // node-b applies every write and loses every reply; node-a answers.
    cluster.node(1).faults.always(Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE, "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    for (int i = 0; i < 10; i++) {
      client.increment("k");
    }

    assertThat(cluster.node(0).service.value("k")).isEqualTo(10);
    assertThat(cluster.node(0).faults.calls("Increment")).isEqualTo(10);
    assertThat(cluster.node(1).faults.calls("Increment")).isPositive();
  }

  @Test
  void transientRejections_areRetriedWithTheSameIdUntilSuccess() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    node.faults.next(1, Faults.Kind.REJECT, Status.UNAVAILABLE, "Increment")
        .next(1, Faults.Kind.REJECT, Status.RESOURCE_EXHAUSTED, "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    assertThat(client.increment("k").value()).isEqualTo(1);

    assertThat(node.faults.calls("Increment")).isEqualTo(3);
    // The first two never reached the service: only the third was recorded there.
    assertThat(requestIds(node.service)).hasSize(1);
  }

  @Test
  void hangingAttempt_isCutByTheAttemptTimeout_andRetried() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    node.faults.next(1, Faults.Kind.HANG, null, "Get");
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withAttemptTimeout(Duration.ofMillis(100)))
        .deadline(Duration.ofSeconds(30))
        .build();

    assertThat(client.get("k").value()).isZero();
    assertThat(node.faults.calls("Get")).isEqualTo(2);
  }

  @Test
  void overallDeadline_boundsAllAttempts() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.HANG, null, null);
    }
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withMaxAttempts(100).withAttemptTimeout(Duration.ofMillis(100)))
        .deadline(Duration.ofMillis(350))
        .build();

    assertThatThrownBy(() -> client.get("k"))
        .isInstanceOfSatisfying(UnavailableException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.attempts()).isBetween(1, 4);
        });
    assertThat(cluster.calls("Get")).isBetween(1, 4);
  }

  @Test
  void writeThatHangs_untilTheDeadline_isOutcomeUnknown_withItsRequestId() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.HANG, null, null);
    }
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withAttemptTimeout(Duration.ofMillis(50)))
        .deadline(Duration.ofMillis(400))
        .build();

    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.requestId()).hasValueSatisfying(id -> assertThat(id).hasSize(36));
          assertThat(e.getMessage()).contains("may or may not have been applied")
              .contains("retrying with request id " + e.requestId().get() + " is safe");
        });
    // A hanging node sends no header, so its name stays unknown: "*" stands for it.
    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class,
            e -> assertThat(e.priorNodes()).containsExactly("*"));
  }

  @Test
  void writeThatHangs_withFailoverOff_staysOnTheNodeTheFirstAttemptReached() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.HANG, null, null);
    }
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withAttemptTimeout(Duration.ofMillis(50)))
        .deadline(Duration.ofMillis(400))
        .failoverWrites(false)
        .build();

    assertThatThrownBy(() -> client.increment("k")).isInstanceOf(WriteOutcomeUnknownException.class);
    assertThat(cluster.node(0).faults.calls("Increment") == 0
        || cluster.node(1).faults.calls("Increment") == 0).isTrue();
  }

  @Test
  void writeOutcomeUnknown_retriedLaterWithItsRequestId_isCountedOnce() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    node.faults.always(Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE.withDescription("reply lost"), "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST.withMaxAttempts(2)).build();

    WriteOutcomeUnknownException unknown = org.junit.jupiter.api.Assertions.assertThrows(
        WriteOutcomeUnknownException.class, () -> client.increment("k", 3));
    node.faults.clear();
    CounterValue v = client.increment("k", 3, RequestOptions.defaults().withRequestId(unknown.requestId().orElseThrow()));

    assertThat(v.value()).isEqualTo(3);
    assertThat(node.service.value("k")).isEqualTo(3);
  }

  @Test
  void writeRefusedByLoadShedding_everywhere_isUnavailable_notUnknown() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.REJECT, Status.RESOURCE_EXHAUSTED.withDescription("shedding"), null);
    }
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    assertThatThrownBy(() -> client.increment("k"))
        .isExactlyInstanceOf(UnavailableException.class)
        .hasMessageContaining("RESOURCE_EXHAUSTED: shedding (4 attempts");
    // Not pinned: load-shed attempts spread over both nodes.
    assertThat(cluster.node(0).faults.calls("Increment")).isPositive();
    assertThat(cluster.node(1).faults.calls("Increment")).isPositive();
  }

  @Test
  void quorumWriteFailingAfterTheLocalApply_isUnknown_andNeverAppliedTwice() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    node.faults.always(Faults.Kind.LOSE_RESPONSE, Status.UNAVAILABLE.withDescription("no quorum"), null);
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    assertThatThrownBy(() -> client.increment("k", 1, RequestOptions.consistency(Consistency.QUORUM)))
        .isInstanceOf(WriteOutcomeUnknownException.class)
        .hasMessageContaining("no quorum");
    assertThat(node.faults.calls("Increment")).isEqualTo(4);
    assertThat(node.service.value("k")).isEqualTo(1);
  }

  @Test
  void retryBudget_exhausted_stopsRetrying_andRefillsWithTime() {
    cluster = FakeCluster.of(1);
    cluster.node(0).faults.always(Faults.Kind.REJECT, Status.UNAVAILABLE, null);
    AtomicLong now = new AtomicLong();
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withMaxAttempts(10))
        .retryBudget(new RetryBudget(0.0, 1)) // one token, one more per second
        .ticker(now::get)
        .build();

    assertThatThrownBy(() -> client.get("k"))
        .isInstanceOfSatisfying(UnavailableException.class, e -> {
          assertThat(e.attempts()).isEqualTo(2);
          assertThat(e.retryBudgetExhausted()).isTrue();
        });
    assertThatThrownBy(() -> client.get("k"))
        .isInstanceOfSatisfying(UnavailableException.class, e -> {
          assertThat(e.attempts()).isEqualTo(1);
          assertThat(e.retryBudgetExhausted()).isTrue();
        });
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThatThrownBy(() -> client.get("k"))
        .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.attempts()).isEqualTo(2));
    assertThat(cluster.calls("Get")).isEqualTo(5);
  }

  @Test
  void retryBudget_ratio_allowsRetriesForAShareOfCalls() {
    cluster = FakeCluster.of(1);
    FakeCluster.Node node = cluster.node(0);
    AtomicLong now = new AtomicLong();
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withMaxAttempts(2))
        .retryBudget(new RetryBudget(0.1, 0)) // holds 10 tokens; each call adds 0.1
        .ticker(now::get)
        .build();
    node.faults.always(Faults.Kind.REJECT, Status.UNAVAILABLE, "Get");
    int retried = 0;
    for (int i = 0; i < 30; i++) {
      try {
        client.get("k");
      } catch (UnavailableException e) {
        retried += e.attempts() - 1;
      }
    }
    // The bucket starts full (10 tokens) and each call adds 0.1: calls 1-11 retry, the bucket is
    // then empty, and ten calls' deposits pay for one more retry (call 21): 12 in all.
    assertThat(retried).isEqualTo(12);
  }
}
