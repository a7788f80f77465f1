package dev.tally.node.cluster;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.NodeProcess;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Who is in the cluster, who is alive, and what a node remembers of its DC across a restart. */
class MembershipTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  @Test
  void clusterStatus_listsEveryMemberWithItsDcAddressesAndReplicaId() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().node("n1", "dc1").node("n2", "dc1")
        .node("n3", "dc2"));
    c.awaitMembership();

    ClusterStatusResponse s = c.status("n1");

    assertThat(s.getNode()).isEqualTo("n1");
    assertThat(s.getClusterId()).isEqualTo("test-cluster");
    assertThat(s.getMembersList()).extracting(MemberStatus::getName).containsExactly("n1", "n2", "n3");
    assertThat(s.getMembersList()).extracting(MemberStatus::getSelf).containsExactly(true, false, false);
    assertThat(s.getMembersList()).extracting(MemberStatus::getDc).containsExactly("dc1", "dc1", "dc2");
    assertThat(s.getMembersList()).allSatisfy(m -> assertThat(m.getState()).isEqualTo(MemberStatus.State.STATE_ALIVE));
    for (MemberStatus m : s.getMembersList()) {
      TallyNode node = c.node(m.getName());
      assertThat(m.getClientAddress()).isEqualTo("127.0.0.1:" + node.clientPort());
      assertThat(m.getPeerAddress()).isEqualTo("127.0.0.1:" + node.peerPort());
      assertThat(m.getReplicaId()).isEqualTo(dev.tally.gossip.crdt.ReplicaIds.format(node.replicaId()));
    }
  }

  @Test
  void stoppedMember_isSuspectedAndThenSeenDeadWithinTheFailureTimeout() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();

    c.stop("n3");

    // failure-timeout is 1.5 s; the bound leaves room for a slow, shared machine.
    await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(20))
        .until(() -> c.stateSeenBy("n1", "n3") == MemberStatus.State.STATE_DEAD
            && c.stateSeenBy("n2", "n3") == MemberStatus.State.STATE_DEAD);
    assertThat(c.stateSeenBy("n1", "n2")).isEqualTo(MemberStatus.State.STATE_ALIVE);

    c.start("n3");
    c.awaitMembership();
  }

  /**
   * Regression (found by the chaos suite's paused-node scenario): Atomix removed a hung member,
   * the next heartbeat reply of a peer that had not noticed yet listed it as reachable, Atomix
   * added it back ALIVE, and the peers kept handing the stale view to each other, so a frozen
   * node flapped between DEAD and ALIVE for as long as it was frozen. A crashed node was not
   * affected: every peer's heartbeat to it fails at once.
   */
  @Test
  void hungMember_isDeclaredDeadAndStaysDead_untilItAnswersAgain() throws Exception {
    // Two observers that notice the freeze at different moments (their heartbeat intervals differ),
    // which is what let each hand the other a stale "reachable" view.
    InProcessCluster fast = clusters.start(tmp.resolve("fast"), new InProcessCluster.Spec().node("n1", "dc1")
        .set("heartbeat-interval", "20ms").set("failure-timeout", "600ms").withMetrics());
    String seed = "127.0.0.1:" + fast.node("n1").peerPort();
    InProcessCluster slow = clusters.start(tmp.resolve("slow"), new InProcessCluster.Spec().node("n2", "dc1")
        .set("seeds", seed).set("heartbeat-interval", "300ms").set("failure-timeout", "1s").withMetrics());
    try (NodeProcess frozen = NodeProcess.start(tmp.resolve("frozen-data"), tmp.resolve("frozen.log"),
        "--dc", "dc1", "--cluster-id", "test-cluster", "--seeds", seed,
        "--heartbeat-interval", "20ms", "--failure-timeout", "600ms", "--durability", "async")) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
          fast.stateSeenBy("n1", "proc-node") == MemberStatus.State.STATE_ALIVE
              && slow.stateSeenBy("n2", "proc-node") == MemberStatus.State.STATE_ALIVE
              && fast.stateSeenBy("n1", "n2") == MemberStatus.State.STATE_ALIVE);

      // While it is frozen nothing else changes state, so any new ALIVE transition is the frozen node coming "back".
      double aliveBefore1 = aliveTransitions(fast.node("n1").metricsPort());
      double aliveBefore2 = aliveTransitions(slow.node("n2").metricsPort());
      signal("STOP", frozen.pid());
      try {
        // The first heartbeat times out (Atomix's reply timeout, up to 5 s), then the failure
        // timeout runs. On a loaded CI machine the slow observer once took 31 s to notice (n1 in
        // 5 s): detection latency is not what this test is about (no flapping is), so the bound is wide.
        StateTimeline timeline = new StateTimeline();
        try {
          await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofMillis(20)).until(() ->
              timeline.record(fast.stateSeenBy("n1", "proc-node"), slow.stateSeenBy("n2", "proc-node"))
                  == MemberStatus.State.STATE_DEAD);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          throw new AssertionError("the frozen node was not seen dead by both observers within 75 s; "
              + "their views after SIGSTOP (n1, n2):\n" + timeline, e);
        }
        long watchUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < watchUntil) {
          assertThat(fast.stateSeenBy("n1", "proc-node")).as("n1's view of the frozen node")
              .isEqualTo(MemberStatus.State.STATE_DEAD);
          assertThat(slow.stateSeenBy("n2", "proc-node")).as("n2's view of the frozen node")
              .isEqualTo(MemberStatus.State.STATE_DEAD);
        }
        assertThat(aliveTransitions(fast.node("n1").metricsPort())).as("members n1 saw come alive while one was frozen")
            .isEqualTo(aliveBefore1);
        assertThat(aliveTransitions(slow.node("n2").metricsPort())).as("members n2 saw come alive while one was frozen")
            .isEqualTo(aliveBefore2);
      } finally {
        signal("CONT", frozen.pid());
      }
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
          fast.stateSeenBy("n1", "proc-node") == MemberStatus.State.STATE_ALIVE
              && slow.stateSeenBy("n2", "proc-node") == MemberStatus.State.STATE_ALIVE);
    }
  }

  /** Two observers' views of one member over time, each change once, for a failure message. */
  private static final class StateTimeline {
    private final long start = System.nanoTime();
    private final StringBuilder changes = new StringBuilder();
    private String last = "";

    /** Records the pair if it changed; returns the state both agree on, or null. */
    MemberStatus.State record(MemberStatus.State first, MemberStatus.State second) {
      String now = first + ", " + second;
      if (!now.equals(last)) {
        changes.append(String.format("  +%5d ms  %s%n", (System.nanoTime() - start) / 1_000_000, now));
        last = now;
      }
      return first == second ? first : null;
    }

    @Override
    public String toString() {
      return changes.toString();
    }
  }

  /** tally_membership_changes_total{state="alive"} on a node's /metrics. */
  private static double aliveTransitions(int metricsPort) throws Exception {
    String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("tally_membership_changes_total\\{[^}]*state=\"alive\"[^}]*} ([0-9.eE+-]+)").matcher(body);
    assertThat(m.find()).as("tally_membership_changes_total{state=alive} in%n%s", body).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
  }

  @Test
  void nodeOfAnotherClusterId_isNeverAdmitted_evenWhenItsIdHashesAlike() {
    // "Aa" and "BB" have the same String hash, which is all that Atomix's handshake compares:
    // only the cluster-id property keeps these two apart.
    assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
    InProcessCluster ours = clusters.start(tmp.resolve("ours"), new InProcessCluster.Spec().nodes(2, "dc1")
        .set("cluster-id", "Aa"));
    ours.awaitMembership();
    int seedPort = ours.node("n1").peerPort();
    try (TallyNode foreign = TallyNode.start(TestNodes.config(tmp.resolve("foreign"), "name", "intruder",
        "cluster-id", "BB", "seeds", "127.0.0.1:" + seedPort, "heartbeat-interval", "100ms", "failure-timeout", "1s"))) {
      // A node of our own cluster that joins after the intruder proves that heartbeats went round.
      InProcessCluster late = clusters.start(tmp.resolve("late"), new InProcessCluster.Spec().node("n9", "dc1")
          .set("cluster-id", "Aa").set("seeds", "127.0.0.1:" + seedPort));
      await().atMost(Duration.ofSeconds(20)).until(() -> ours.stateSeenBy("n1", "n9") == MemberStatus.State.STATE_ALIVE);
      await().atMost(Duration.ofSeconds(20)).until(() -> late.stateSeenBy("n9", "n2") == MemberStatus.State.STATE_ALIVE);

      assertThat(ours.status("n1").getMembersList()).extracting(MemberStatus::getName).doesNotContain("intruder");
      assertThat(ours.status("n2").getMembersList()).extracting(MemberStatus::getName).doesNotContain("intruder");
      ManagedChannel ch = TestNodes.channel(foreign);
      try {
        ClusterStatusResponse theirs = dev.tally.api.v1.ClusterServiceGrpc.newBlockingStub(ch)
            .clusterStatus(dev.tally.api.v1.ClusterStatusRequest.getDefaultInstance());
        assertThat(theirs.getMembersList()).extracting(MemberStatus::getName).containsExactly("intruder");
      } finally {
        TestNodes.shutdown(ch);
      }
    }
  }

  @Test
  void restartedNode_knowsItsDcSizeFromRememberedMembers_beforeHearingFromAnyone() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    c.close();

    c.start("n1");

    ClusterStatusResponse s = c.status("n1");
    assertThat(s.getMembersList()).extracting(MemberStatus::getName).containsExactly("n1", "n2", "n3");
    assertThat(s.getMembersList()).filteredOn(m -> !m.getSelf())
        .allSatisfy(m -> assertThat(m.getState()).isEqualTo(MemberStatus.State.STATE_DEAD));
    // A DC of three needs two: n1 alone is not a majority, and says so instead of answering. Just
    // restarted, it does not even count itself toward a read until it has caught up with a peer.
    assertStatus(() -> c.stub("n1").increment(IncrementRequest.newBuilder().setKey("k").setRequestId("r1")
            .setConsistency(Consistency.CONSISTENCY_QUORUM).build()),
        Status.Code.UNAVAILABLE, "confirmed by 1 of 2 replicas needed in dc dc1", "a majority of its 3 members");
    assertStatus(() -> c.stub("n1").get(GetRequest.newBuilder().setKey("k").setConsistency(Consistency.CONSISTENCY_QUORUM)
        .build()), Status.Code.UNAVAILABLE, "answered by 0 of 2 replicas needed in dc dc1",
        "without this node: it has not caught up with a peer of its dc since it started");

    c.start("n2");
    c.awaitMembership();
    assertThat(c.stub("n1").increment(IncrementRequest.newBuilder().setKey("k").setRequestId("r1")
        .setConsistency(Consistency.CONSISTENCY_QUORUM).build()).getValue()).as("the retry, counted once").isEqualTo(1);
  }

  @Test
  void freshNodeThatHeardFromNoMember_refusesQuorum_butServesLocal() {
    int nobody = TestNodes.freePeerPort();
    try (TallyNode lonely = TestNodes.start(tmp, "name", "lonely", "seeds", "127.0.0.1:" + nobody)) {
      ManagedChannel ch = TestNodes.channel(lonely);
      try {
        assertStatus(() -> TestNodes.blocking(ch).increment(IncrementRequest.newBuilder().setKey("k")
                .setConsistency(Consistency.CONSISTENCY_QUORUM).build()),
            Status.Code.UNAVAILABLE, "QUORUM write on node lonely: membership not established yet", "nothing was applied");
        assertStatus(() -> TestNodes.blocking(ch).get(GetRequest.newBuilder().setKey("k")
                .setConsistency(Consistency.CONSISTENCY_QUORUM).build()),
            Status.Code.UNAVAILABLE, "membership not established yet");
        assertThat(TestNodes.blocking(ch).get(GetRequest.newBuilder().setKey("k").build()).getValue()).isZero();
        assertThat(TestNodes.blocking(ch).increment(IncrementRequest.newBuilder().setKey("k").build()).getValue())
            .as("LOCAL writes are served").isEqualTo(1);
      } finally {
        TestNodes.shutdown(ch);
      }
    }
  }

  @Test
  void nodeWithoutSeeds_isAClusterOfOne_andOthersJoinItByNamingItAsSeed() {
    try (TallyNode first = TestNodes.start(tmp.resolve("first"), "name", "first", "cluster-id", "test-cluster",
        "heartbeat-interval", "100ms", "failure-timeout", "1s")) {
      ManagedChannel ch = TestNodes.channel(first);
      try {
        assertThat(TestNodes.blocking(ch).increment(IncrementRequest.newBuilder().setKey("k")
            .setConsistency(Consistency.CONSISTENCY_QUORUM).build()).getValue()).isEqualTo(1);
        InProcessCluster joiner = clusters.start(tmp.resolve("joiner"), new InProcessCluster.Spec().node("second", "dc1")
            .set("seeds", "127.0.0.1:" + first.peerPort()));
        await().atMost(Duration.ofSeconds(20)).until(() -> joiner.stateSeenBy("second", "first") == MemberStatus.State.STATE_ALIVE);
        joiner.awaitValues(java.util.Map.of("k", 1L));
        assertThat(List.of(joiner.status("second").getMembersCount())).containsExactly(2);
      } finally {
        TestNodes.shutdown(ch);
      }
    }
  }

  @Test
  void start_peerPortOrMembershipPortTaken_failsNamingIt() throws Exception {
    int peer = TestNodes.freePeerPort();
    try (java.net.ServerSocket taken = new java.net.ServerSocket(peer + 1, 1, java.net.InetAddress.getLoopbackAddress())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNodes.start(tmp.resolve("a"), "peer-port", Integer.toString(peer)))
          .isInstanceOf(dev.tally.node.NodeStartException.class)
          .hasMessageContaining("cannot start membership on 127.0.0.1:" + (peer + 1) + " (peer-port + 1, TCP and UDP)");
    }
    try (java.net.ServerSocket taken = new java.net.ServerSocket(peer, 1, java.net.InetAddress.getLoopbackAddress())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNodes.start(tmp.resolve("b"), "peer-port", Integer.toString(peer)))
          .isInstanceOf(dev.tally.node.NodeStartException.class)
          .hasMessageContaining("cannot serve the peer port on 127.0.0.1:" + peer);
    }
    try (TallyNode node = TestNodes.start(tmp.resolve("a"), "peer-port", Integer.toString(peer))) {
      assertThat(node.isServing()).as("the failed starts released the data dir and ports").isTrue();
    }
  }
}
