package dev.tally.node.cluster;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** QUORUM reads and writes across three real nodes of one DC. */
class QuorumConsistencyTest {
  private static final Consistency QUORUM = Consistency.CONSISTENCY_QUORUM;

  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  /** Delta pushes and anti-entropy slowed to a crawl: only the QUORUM paths move data in time. */
  private InProcessCluster quietCluster() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1")
        .set("gossip-interval", "1h").set("anti-entropy-interval", "1h"));
    c.awaitMembership();
    return c;
  }

  @Test
  void quorumRead_afterAQuorumWriteOnAnotherNodeOfTheDc_readsIt() {
    InProcessCluster c = quietCluster();
    // n3 can reach n2 but not n1: what n1 wrote, n3 can only learn by reading a majority.
    c.faults().cut(List.of("n1"), List.of("n3"));

    for (int i = 1; i <= 5; i++) {
      c.stub("n1").increment(IncrementRequest.newBuilder().setKey("ryw").setConsistency(QUORUM).build());

      CounterValue read = c.stub("n3").get(GetRequest.newBuilder().setKey("ryw").setConsistency(QUORUM).build());
      assertThat(read.getValue()).isEqualTo(i);
    }
    assertThat(c.value("n3", "ryw")).as("read repair kept the merge on n3").isEqualTo(5);
  }

  @Test
  void quorumGetMany_mergesAMajorityPerKey_inRequestOrder() {
    InProcessCluster c = quietCluster();
    c.faults().cut(List.of("n1"), List.of("n3"));
    c.stub("n1").incrementMany(IncrementManyRequest.newBuilder().setConsistency(QUORUM)
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("a").setAmount(3))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("b").setAmount(-2)).build());

    List<CounterValue> values = c.stub("n3").getMany(GetManyRequest.newBuilder().setConsistency(QUORUM)
        .addKeys("b").addKeys("never").addKeys("a").build()).getValuesList();

    assertThat(values).extracting(CounterValue::getKey).containsExactly("b", "never", "a");
    assertThat(values).extracting(CounterValue::getValue).containsExactly(-2L, 0L, 3L);
  }

  @Test
  void quorumWrite_majorityPartitionedAway_failsSayingItWasAppliedLocally_andItsRetryAfterTheHealCountsOnce() {
    InProcessCluster c = quietCluster();
    c.faults().isolate("n1", c.names());
    IncrementRequest write = IncrementRequest.newBuilder().setKey("q").setAmount(5).setRequestId("req-1")
        .setConsistency(QUORUM).build();

    StatusRuntimeException failed = assertStatus(() -> c.stub("n1").increment(write), Status.Code.UNAVAILABLE,
        "applied locally on node n1", "confirmed by 1 of 2 replicas needed in dc dc1", "retrying with the same request_id is safe");
    assertThat(failed.getStatus().getDescription()).contains("a majority of its 3 members");
    assertThat(c.value("n1", "q")).as("applied locally").isEqualTo(5);
    assertThat(c.value("n2", "q")).isZero();
    assertStatus(() -> c.stub("n1").increment(write), Status.Code.UNAVAILABLE, "applied locally on node n1");

    c.faults().heal();

    CounterValue retried = c.stub("n1").increment(write);
    assertThat(retried.getValue()).as("the first call's result").isEqualTo(5);
    assertThat(List.of(c.value("n2", "q"), c.value("n3", "q"))).as("a majority holds it once the retry succeeded")
        .contains(5L);
    c.awaitValues(Map.of("q", 5L));
  }

  @Test
  void quorumWrite_withoutRequestId_saysARetryWouldCountAgain() {
    InProcessCluster c = quietCluster();
    c.faults().isolate("n1", c.names());

    assertStatus(() -> c.stub("n1").increment(IncrementRequest.newBuilder().setKey("q").setConsistency(QUORUM).build()),
        Status.Code.UNAVAILABLE, "applied locally on node n1", "had no request_id, so a retry would count it again");
  }

  @Test
  void quorumWrite_peersThatNeverAnswer_isDeadlineExceededAfterTheQuorumTimeout() {
    // The peer timeout outlasts the quorum timeout: hung peers neither ack nor fail in time.
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1")
        .set("gossip-interval", "1h").set("anti-entropy-interval", "1h")
        .set("quorum-timeout", "300ms").set("peer-timeout", "5s"));
    c.awaitMembership();
    c.faults().blackhole(List.of("n1"), List.of("n2", "n3"));

    assertStatus(() -> c.stub("n1").increment(IncrementRequest.newBuilder().setKey("t").setRequestId("r")
            .setConsistency(QUORUM).build()),
        Status.Code.DEADLINE_EXCEEDED, "applied locally on node n1", "confirmed by 1 of 2 replicas needed in dc dc1",
        "within 300ms", "retrying with the same request_id is safe");
    assertThat(c.value("n1", "t")).isEqualTo(1);
  }

  @Test
  void quorumRead_hungPeers_isDeadlineExceeded_andTooFewAlive_isUnavailable() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1")
        .set("quorum-timeout", "300ms").set("peer-timeout", "5s"));
    c.awaitMembership();
    c.faults().blackhole(List.of("n1"), List.of("n2", "n3"));
    assertStatus(() -> c.stub("n1").get(GetRequest.newBuilder().setKey("k").setConsistency(QUORUM).build()),
        Status.Code.DEADLINE_EXCEEDED, "QUORUM read on node n1", "answered by 1 of 2 replicas needed in dc dc1",
        "within 300ms", "read with LOCAL consistency");
    c.faults().heal();

    c.stop("n2");
    c.stop("n3");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> c.stateSeenBy("n1", "n3") != dev.tally.api.v1.MemberStatus.State.STATE_ALIVE
            && c.stateSeenBy("n1", "n2") != dev.tally.api.v1.MemberStatus.State.STATE_ALIVE);
    assertStatus(() -> c.stub("n1").get(GetRequest.newBuilder().setKey("k").setConsistency(QUORUM).build()),
        Status.Code.UNAVAILABLE, "QUORUM read on node n1", "fewer members of dc dc1 than that are alive");
    assertThat(c.stub("n1").get(GetRequest.newBuilder().setKey("k").build()).getValue()).as("LOCAL still answers").isZero();
  }
}
