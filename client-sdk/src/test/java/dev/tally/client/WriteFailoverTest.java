package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.FailoverResolution;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly once across failover (issue 12), as the client does its part: the node names it learns
 * from {@code tally-node}, one request id for every attempt, prior_nodes on a retry elsewhere,
 * ABORTED sending the retry to another node, failover that can be turned off, and a write's
 * retries ending before the dedupe window does. The fake nodes record each request as it arrived.
 */
class WriteFailoverTest {

  private static final RetryPolicy FAST = RetryPolicy.defaults()
      .withBackoff(Duration.ofMillis(1), Duration.ofMillis(4));
  private static final Status LOST = Status.UNAVAILABLE.withDescription("reply lost");

  private FakeCluster cluster;
  private TallyClient client;
  private final List<RetryEvent> retries = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static List<IncrementRequest> increments(FakeCluster.Node node) {
    return node.service.requests(IncrementRequest.class);
  }

  /** The node that got the call's first attempt: the one with two requests, after {@link #lostOncePerNode}. */
  private FakeCluster.Node first() {
    return increments(cluster.node(0)).size() == 2 ? cluster.node(0) : cluster.node(1);
  }

  private FakeCluster.Node other(FakeCluster.Node n) {
    return n == cluster.node(0) ? cluster.node(1) : cluster.node(0);
  }

  /** Two nodes that each apply the next Increment and lose its reply. */
  private void lostOncePerNode() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.next(1, Faults.Kind.LOSE_RESPONSE, LOST, "Increment");
    }
  }

  @Test
  void retryOnAnotherNode_carriesTheSameRequestId_andPriorNodesNamingEveryNodeReachedButItself() {
    lostOncePerNode();
    client = cluster.clientBuilder().retryPolicy(FAST).retryListener(retries::add).build();

    assertThat(client.increment("k", 2).value()).isEqualTo(2);

    // Attempt 1 on F (lost), attempt 2 on S (lost), attempt 3 on F again (answered from dedupe).
    FakeCluster.Node f = first();
    FakeCluster.Node s = other(f);
    List<IncrementRequest> onF = increments(f);
    List<IncrementRequest> onS = increments(s);
    assertThat(onS).hasSize(1);
    String id = onF.get(0).getRequestId();
    assertThat(id).hasSize(36);
    assertThat(List.of(onF.get(1).getRequestId(), onS.get(0).getRequestId())).containsOnly(id);
    assertThat(onF.get(0).getPriorNodesList()).isEmpty();
    assertThat(onS.get(0).getPriorNodesList()).containsExactly(f.name);
    assertThat(onF.get(1).getPriorNodesList()).containsExactly(s.name);
  }

  @Test
  void retryListener_seesTheFailedNodeByName_andWhereTheRetryGoesWithWhichPriorNodes() {
    lostOncePerNode();
    client = cluster.clientBuilder().retryPolicy(FAST).retryListener(retries::add).build();

    client.increment("k");

    FakeCluster.Node f = first();
    FakeCluster.Node s = other(f);
    assertThat(retries).hasSize(2);
    RetryEvent second = retries.get(0);
    assertThat(second.method()).isEqualTo("Increment");
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.failedEndpoint()).isEqualTo(f.address);
    assertThat(second.failedNode()).isEqualTo(f.name);
    assertThat(second.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(second.description()).isEqualTo("reply lost");
    assertThat(second.endpoint()).isEqualTo(s.address);
    assertThat(second.failover()).isTrue();
    assertThat(second.requestId()).isEqualTo(increments(f).get(0).getRequestId());
    assertThat(second.priorNodes()).containsExactly(f.name);
    assertThat(retries.get(1).priorNodes()).containsExactly(s.name);
  }

  @Test
  void nodeWithoutNameHeader_isListedAsAnyNode() {
    lostOncePerNode();
    cluster.nodes().forEach(FakeCluster.Node::hideName);
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    client.increment("k");

    FakeCluster.Node f = first();
    assertThat(increments(other(f)).get(0).getPriorNodesList()).containsExactly("*");
    assertThat(increments(f).get(1).getPriorNodesList()).containsExactly("*");
  }

  @Test
  void attemptsThatReachedNoNode_areNotListed() {
    cluster = FakeCluster.of(2);
    // Load shedding refuses before looking at the request: nothing applied, nothing to resolve.
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.next(1, Faults.Kind.REJECT, Status.RESOURCE_EXHAUSTED, "Increment");
    }
    client = cluster.clientBuilder().retryPolicy(FAST).build();

    client.increment("k");

    List<IncrementRequest> all = new java.util.ArrayList<>(increments(cluster.node(0)));
    all.addAll(increments(cluster.node(1)));
    assertThat(all).hasSize(1);
    assertThat(all.get(0).getPriorNodesList()).isEmpty();
  }

  @Test
  void aborted_becauseAnotherNodeHandlesTheId_retriesOnTheNodeItNames() {
    cluster = FakeCluster.of(3);
    FakeCluster.Node fenced = cluster.node(0);
    fenced.faults.always(Faults.Kind.REJECT,
        Status.ABORTED.withDescription("request id r is being handled by node-c"), "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST).retryListener(retries::add).build();
    for (int i = 0; i < 3; i++) {
      client.get("k"); // one call per node, round robin: the client learns every node's name
    }

    for (int i = 0; i < 6; i++) {
      assertThat(client.increment("k").value()).isPositive();
    }

    // First attempts go round robin (a, b, c, a, b, c); both that hit node-a moved to node-c.
    assertThat(fenced.faults.calls("Increment")).isEqualTo(2);
    assertThat(increments(fenced)).isEmpty();
    assertThat(increments(cluster.node(1))).hasSize(2);
    assertThat(increments(cluster.node(2))).hasSize(4);
    assertThat(retries).hasSize(2).allSatisfy(e -> {
      assertThat(e.code()).isEqualTo(Status.Code.ABORTED);
      assertThat(e.failedNode()).isEqualTo("node-a");
      assertThat(e.endpoint()).isEqualTo("node-c:7000");
      // The handler is the node tried, so it is not listed; node-a applied nothing.
      assertThat(e.priorNodes()).isEmpty();
    });
    // ABORTED is not a failure of the node: it is not cooling down, and keeps its share of calls.
    for (int i = 0; i < 3; i++) {
      client.get("k");
    }
    assertThat(fenced.faults.calls("Get")).isEqualTo(2);
  }

  @Test
  void aborted_withoutAKnownHandler_movesToAnotherEndpoint_listingTheNamedHandler() {
    cluster = FakeCluster.of(2);
    cluster.node(0).faults.always(Faults.Kind.REJECT,
        Status.ABORTED.withDescription("request id r is being handled by n7"), "Increment");
    cluster.node(1).faults.always(Faults.Kind.REJECT,
        Status.ABORTED.withDescription("request id r is being handled by n7"), "Increment");
    client = cluster.clientBuilder().retryPolicy(FAST.withMaxAttempts(2)).retryListener(retries::add).build();

    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.ABORTED);
          assertThat(e.attempts()).isEqualTo(2);
          assertThat(e.priorNodes()).containsExactly("n7");
        });
    assertThat(retries).singleElement().satisfies(e -> {
      assertThat(e.failover()).isTrue();
      assertThat(e.priorNodes()).containsExactly("n7");
    });
  }

  @Test
  void failoverOff_abortedEndsTheCall_asOutcomeUnknown() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.REJECT,
          Status.ABORTED.withDescription("request id r is being handled by node-x"), "Increment");
    }
    client = cluster.clientBuilder().retryPolicy(FAST).failoverWrites(false).build();

    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.ABORTED);
          assertThat(e.attempts()).isEqualTo(1);
          assertThat(e.getMessage()).contains("being handled by node-x");
        });
    assertThat(cluster.calls("Increment")).isEqualTo(1);
  }

  @Test
  void failoverOff_lostReply_isRetriedOnTheSameNode_withoutPriorNodes() {
    lostOncePerNode();
    client = cluster.clientBuilder().retryPolicy(FAST).failoverWrites(false).build();

    client.increment("k");

    FakeCluster.Node served = increments(cluster.node(0)).isEmpty() ? cluster.node(1) : cluster.node(0);
    assertThat(increments(other(served))).isEmpty();
    assertThat(increments(served)).hasSize(2)
        .allSatisfy(r -> assertThat(r.getPriorNodesList()).isEmpty());
  }

  @Test
  void outcomeUnknown_namesEveryNodeReached_andARetryByHandCarriesThem() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.next(1, Faults.Kind.LOSE_RESPONSE, LOST, "Decrement");
    }
    client = cluster.clientBuilder().retryPolicy(FAST.withMaxAttempts(2)).build();

    WriteOutcomeUnknownException unknown = org.junit.jupiter.api.Assertions.assertThrows(
        WriteOutcomeUnknownException.class, () -> client.decrement("k", 3));
    FakeCluster.Node f = cluster.node(0).service.requests(DecrementRequest.class).get(0).getPriorNodesList().isEmpty()
        ? cluster.node(0) : cluster.node(1);
    assertThat(unknown.priorNodes()).containsExactly(f.name, other(f).name);

    client.decrement("k", 3, RequestOptions.defaults()
        .withRequestId(unknown.requestId().orElseThrow()).withPriorNodes(unknown.priorNodes()));

    // Whichever node got the retry, its own name is left out of prior_nodes.
    FakeCluster.Node retried = cluster.node(0).service.requests(DecrementRequest.class).size() == 2
        ? cluster.node(0) : cluster.node(1);
    DecrementRequest last = retried.service.requests(DecrementRequest.class).get(1);
    assertThat(last.getRequestId()).isEqualTo(unknown.requestId().orElseThrow());
    assertThat(last.getPriorNodesList()).containsExactly(other(retried).name);
  }

  @Test
  void callersPriorNodes_andFailoverResolution_areSentOnTheFirstAttempt() {
    cluster = FakeCluster.of(1);
    client = cluster.clientBuilder().build();

    client.increment("k", 1, RequestOptions.defaults().withRequestId("r-1")
        .withPriorNodes(List.of("n1", "*", "n1")).withFailoverResolution(dev.tally.client.FailoverResolution.WAIT));
    client.incrementMany(List.of(new CounterChange("k", 2)), RequestOptions.defaults().withRequestId("r-2")
        .withPriorNodes(List.of("n2")));

    IncrementRequest inc = increments(cluster.node(0)).get(0);
    assertThat(inc.getRequestId()).isEqualTo("r-1");
    assertThat(inc.getPriorNodesList()).containsExactly("n1", "*");
    assertThat(inc.getFailoverResolution()).isEqualTo(FailoverResolution.FAILOVER_RESOLUTION_WAIT);
    IncrementManyRequest many = cluster.node(0).service.requests(IncrementManyRequest.class).get(0);
    assertThat(many.getPriorNodesList()).containsExactly("n2");
    assertThat(many.getFailoverResolution()).isEqualTo(FailoverResolution.FAILOVER_RESOLUTION_UNSPECIFIED);
  }

  @Test
  void priorNodes_withoutARequestId_areRefused() {
    cluster = FakeCluster.of(1);
    client = cluster.clientBuilder().build();

    assertThatThrownBy(() -> client.increment("k", 1, RequestOptions.defaults().withPriorNodes(List.of("n1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorNodes [n1] need the request id of the earlier call: add withRequestId(id)");
    assertThatThrownBy(() -> RequestOptions.defaults().withPriorNodes(List.of(" ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorNodes must not hold a blank name, got [ ]");
    assertThat(cluster.calls("Increment")).isZero();
  }

  @Test
  void writeRetries_endWithinHalfTheDedupeWindow_evenWithALongerDeadline() {
    cluster = FakeCluster.of(2);
    for (FakeCluster.Node n : cluster.nodes()) {
      n.faults.always(Faults.Kind.HANG, null, null);
    }
    client = cluster.clientBuilder()
        .retryPolicy(FAST.withMaxAttempts(100).withAttemptTimeout(Duration.ofMillis(100)))
        .deadline(Duration.ofMinutes(5))
        .dedupeWindow(Duration.ofMillis(800)) // writes may retry for 400 ms
        .build();

    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.attempts()).isBetween(1, 4);
        });
    assertThat(cluster.calls("Increment")).isBetween(1, 4);
  }
}
