package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.status.PeerStatus;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.gossip.testing.TestTransport.Link;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The delta path end to end: local commit, buffers, pushes, relay, membership reactions, status. */
class ReplicaReplicationTest {
  private static final Duration TICK = Duration.ofMillis(50);

  private final TestCluster cluster = new TestCluster();

  private static ReplicaConfig gossiping(ReplicaConfig c) {
    return c.withGossipInterval(TICK);
  }

  private static NodeRef ref(String name, String dc) {
    return NodeRef.newBuilder().setName(name).setDc(dc).build();
  }

  private static DeltaBatch batch(NodeRef from, KeyState... states) {
    DeltaBatch.Builder b = DeltaBatch.newBuilder().setFrom(from);
    for (KeyState ks : states) {
      b.addStates(StateMessages.toMessage(ks.key(), ks.state()));
    }
    return b.build();
  }

  private static PeerStatus status(TestNode node, String peer) {
    return node.replica.peerStatus().stream().filter(p -> p.name().equals(peer)).findFirst().orElseThrow();
  }

  @Test
  void commit_updatesDigestTreeDeltaBuffersAndListener() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withLimits(1000, 100_000));
    cluster.add("a2", "A");
    cluster.add("b1", "B");
    cluster.start();

    a1.increment("x", 3);

    DigestTree tree = a1.replica.digestTree();
    assertThat(tree.root()).isNotZero().isEqualTo(DigestTree.build(tree.depth(), a1.store).root());
    assertThat(a1.replica.deltaReplicator().bufferOf("a2").pendingKeys()).containsExactly("x");
    assertThat(a1.replica.deltaReplicator().bufferOf("b1").pendingKeys()).containsExactly("x");
    assertThat(a1.changes).hasSize(1);
    assertThat(a1.changes.get(0).get(0).state().value()).isEqualTo(3);
  }

  @Test
  void gossipTick_pushesEachKeyOnceWithItsLatestAbsoluteState() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();

    a1.increment("x", 3);
    a1.increment("x", 4);
    a1.increment("y", 1);
    cluster.run(TICK.plusMillis(10));

    assertThat(a1.transport.calls("PushDelta")).hasSize(1);
    assertThat(((DeltaBatch) a1.transport.calls("PushDelta").get(0).request).getStatesCount()).isEqualTo(2);
    assertThat(a2.value("x")).isEqualTo(7);
    assertThat(a2.value("y")).isEqualTo(1);
    assertThat(a1.observer.acks).isEqualTo(1);
    assertThat(a1.replica.deltaReplicator().bufferOf("a2").pendingCount()).isZero();
    assertThat(a2.changes).as("the receiver's listener sees replicated changes (Watch)").hasSize(1);
  }

  @Test
  void fullBuffer_isPushedAtOnceWithoutWaitingForTheTick() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withLimits(2, 100));
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();

    a1.increment("x", 1);
    assertThat(a1.transport.calls("PushDelta")).isEmpty();
    a1.increment("y", 1);
    assertThat(a1.transport.calls("PushDelta")).hasSize(1);
    cluster.run(Duration.ofMillis(5));
    assertThat(a2.value("x") + a2.value("y")).isEqualTo(2);
  }

  @Test
  void push_atMostOneInFlightPerPeer_andAFailedPushPutsItsKeysBack() {
    TestNode a1 = cluster.add("a1", "A", c -> gossiping(c).withLimits(1, 100));
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.transport.link("a2", Link.BLACKHOLE);

    a1.increment("k1", 1);
    a1.increment("k2", 1);
    a1.increment("k3", 1);
    cluster.run(Duration.ofMillis(400));
    assertThat(a1.transport.calls("PushDelta")).as("one push waits for its deadline, nothing else goes").hasSize(1);

    cluster.run(Duration.ofMillis(120)); // the deadline passes at 500 ms, the next tick is at 550 ms
    assertThat(a1.observer.failures).isEqualTo(1);
    assertThat(a1.replica.deltaReplicator().bufferOf("a2").pendingKeys()).containsExactly("k1", "k2", "k3");

    a1.transport.link("a2", Link.UP);
    cluster.run(Duration.ofMillis(200));
    assertThat(a2.value("k1") + a2.value("k2") + a2.value("k3")).isEqualTo(3);
    assertThat(a1.replica.deltaReplicator().bufferOf("a2").pendingCount()).isZero();
  }

  @Test
  void slowPeer_neverHoldsBackAnotherPeer() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    cluster.add("a2", "A");
    TestNode a3 = cluster.add("a3", "A");
    cluster.start();
    a1.transport.link("a2", Link.BLACKHOLE);

    for (int i = 0; i < 5; i++) {
      a1.increment("k", 1);
      cluster.run(TICK);
    }
    cluster.run(Duration.ofMillis(5));
    assertThat(a3.value("k")).isEqualTo(5);
  }

  @Test
  void peerStatus_lagIsTheAgeOfTheOldestUnacknowledgedChange() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    cluster.add("a2", "A");
    cluster.start();
    a1.transport.link("a2", Link.REFUSE);

    a1.increment("x", 1);
    cluster.run(Duration.ofMillis(1000));
    PeerStatus behind = status(a1, "a2");
    assertThat(behind.lagMillis()).isEqualTo(1000);
    assertThat(behind.pendingKeys()).isEqualTo(1);
    assertThat(behind.lastAckMillis()).isZero();
    assertThat(behind.deltaTarget()).isTrue();

    a1.transport.link("a2", Link.UP);
    cluster.run(TICK.multipliedBy(2));
    PeerStatus level = status(a1, "a2");
    assertThat(level.lagMillis()).isZero();
    assertThat(level.pendingKeys()).isZero();
    assertThat(level.lastAckMillis()).isPositive();
  }

  @Test
  void ackedPush_reportsEachKeysDelayFromItsCommitToThePeersAck() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    cluster.add("a2", "A");
    cluster.start();
    a1.transport.link("a2", Link.REFUSE);

    a1.increment("old", 1);
    cluster.run(Duration.ofMillis(300));
    a1.increment("new", 1);
    a1.increment("old", 1);
    cluster.run(Duration.ofMillis(100));
    assertThat(a1.observer.delays).isEmpty();

    a1.transport.link("a2", Link.UP);
    cluster.run(TICK.multipliedBy(2));
    // "old" waited since its first change (both of its changes travel in one push); calls take 1 ms each way.
    assertThat(a1.observer.delays).hasSize(2);
    long oldDelay = a1.observer.delays.stream().mapToLong(Long::longValue).max().orElseThrow();
    long newDelay = a1.observer.delays.stream().mapToLong(Long::longValue).min().orElseThrow();
    assertThat(oldDelay - newDelay).isEqualTo(Duration.ofMillis(300).toNanos());
    assertThat(newDelay).isBetween(Duration.ofMillis(100).toNanos(), Duration.ofMillis(100).plus(TICK.multipliedBy(2)).toNanos());
  }

  @Test
  void deadPeer_isNotSentTo_andPastTheBufferLimitIsRepairedByAntiEntropyWhenItReturns() {
    TestNode a1 = cluster.add("a1", "A", c -> gossiping(c).withLimits(1, 2));
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.sees("a2", MemberState.DEAD);

    a1.increment("k1", 1);
    a1.increment("k2", 2);
    a1.increment("k3", 3);
    cluster.run(TICK.multipliedBy(3));
    assertThat(a1.transport.calls()).as("nothing is sent to a dead peer").isEmpty();
    assertThat(status(a1, "a2").needsRepair()).isTrue();
    assertThat(status(a1, "a2").state()).isEqualTo(MemberState.DEAD);
    assertThat(a1.observer.needsRepair).containsExactly("a2");

    a1.sees("a2", MemberState.ALIVE);
    cluster.run(Duration.ofMillis(100));
    assertThat(a1.transport.calls("CompareDigest")).as("a returning peer gets an exchange at once").isNotEmpty();
    assertThat(a2.store.dump()).isEqualTo(a1.store.dump());
    assertThat(a1.observer.rounds).hasSize(1);
    cluster.run(TICK);
    assertThat(status(a1, "a2").needsRepair()).isFalse();
    assertThat(status(a1, "a2").lagMillis()).isZero();
  }

  @Test
  void appearingPeer_getsAnExchangeSoon() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    a1.start();
    a2.start();
    a1.increment("x", 5);

    a1.sees("a2", MemberState.ALIVE);
    a2.sees("a1", MemberState.ALIVE);
    cluster.run(Duration.ofMillis(20));

    assertThat(a2.value("x")).isEqualTo(5);
    assertThat(a1.observer.membership).contains("a2:null->ALIVE");
  }

  @Test
  void start_exchangesWithEveryKnownPeer_becauseARestartLosesTheDeltaBuffers() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withAntiEntropyInterval(Duration.ofMillis(100)));
    TestNode a2 = cluster.add("a2", "A");
    TestNode a3 = cluster.add("a3", "A");
    // Durable before the (re)start, never pushed: only anti-entropy can deliver it.
    a1.store.write(List.of(new KeyState("x", PnCounter.EMPTY.increment(77, 9, 1))), dev.tally.gossip.store.StoreAttachment.NONE);
    cluster.start();

    cluster.run(Duration.ofMillis(400));
    assertThat(a2.value("x")).isEqualTo(9);
    assertThat(a3.value("x")).isEqualTo(9);
  }

  @Test
  void onPushDelta_mergesWithOneStoreWriteAndAcksAfterIt() {
    TestNode a2 = cluster.add("a2", "A");
    cluster.add("a1", "A");
    cluster.start();
    int writesBefore = a2.store.writes();
    KeyState x = new KeyState("x", PnCounter.EMPTY.increment(7, 5, 1));
    KeyState y = new KeyState("y", PnCounter.EMPTY.decrement(7, 2, 1));
    KeyState z = new KeyState("z", PnCounter.EMPTY.increment(8, 1, 1));

    CompletableFuture<DeltaAck> ack = a2.replica.onPushDelta(batch(ref("a1", "A"), x, y, z));
    assertThat(ack).as("answered on the replica thread, not inline").isNotDone();
    cluster.run(Duration.ZERO);

    assertThat(ack).isCompletedWithValue(DeltaAck.newBuilder().setChanged(3).build());
    assertThat(a2.store.writes()).isEqualTo(writesBefore + 1);
    assertThat(a2.value("x")).isEqualTo(5);
    assertThat(a2.value("y")).isEqualTo(-2);

    CompletableFuture<DeltaAck> again = a2.replica.onPushDelta(batch(ref("a1", "A"), x, y, z));
    cluster.run(Duration.ZERO);
    assertThat(again).as("a duplicate changes nothing").isCompletedWithValue(DeltaAck.newBuilder().setChanged(0).build());
    assertThat(a2.store.writes()).isEqualTo(writesBefore + 1);
  }

  @Test
  void onPushDelta_fromAnotherDc_isRelayedToEveryDcPeerButNeverBack() {
    TestNode a1 = cluster.add("a1", "A");
    cluster.add("a2", "A");
    cluster.add("a3", "A");
    cluster.add("b1", "B");
    cluster.start();
    KeyState x = new KeyState("x", PnCounter.EMPTY.increment(9, 4, 1));

    a1.replica.onPushDelta(batch(ref("b1", "B"), x));
    cluster.run(Duration.ZERO);

    var deltas = a1.replica.deltaReplicator();
    assertThat(deltas.bufferOf("a2").pendingKeys()).containsExactly("x");
    assertThat(deltas.bufferOf("a3").pendingKeys()).containsExactly("x");
    assertThat(deltas.bufferOf("b1")).as("not relayed back to the sender's DC").isNull();
  }

  @Test
  void onPushDelta_fromTheSameDc_orWithNothingNew_isNotForwarded() {
    TestNode a1 = cluster.add("a1", "A");
    cluster.add("a2", "A");
    cluster.add("a3", "A");
    cluster.add("b1", "B");
    cluster.start();
    KeyState x = new KeyState("x", PnCounter.EMPTY.increment(9, 4, 1));

    a1.replica.onPushDelta(batch(ref("a2", "A"), x));
    cluster.run(Duration.ZERO);
    assertThat(a1.replica.deltaReplicator().bufferOf("a3")).isNull();
    assertThat(a1.replica.deltaReplicator().bufferOf("b1")).isNull();

    a1.replica.onPushDelta(batch(ref("b1", "B"), x));
    cluster.run(Duration.ZERO);
    assertThat(a1.replica.deltaReplicator().bufferOf("a3")).as("only states that changed the receiver are forwarded").isNull();
  }

  @Test
  void remoteTargetDies_itsPendingKeysMoveToAnotherNodeOfThatDc() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withRemoteDcFanout(1));
    cluster.add("b1", "B");
    cluster.add("b2", "B");
    cluster.start();
    String chosen = a1.replica.peerStatus().stream().filter(PeerStatus::deltaTarget)
        .map(PeerStatus::name).findFirst().orElseThrow();
    String other = chosen.equals("b1") ? "b2" : "b1";

    a1.increment("x", 1);
    assertThat(a1.replica.deltaReplicator().bufferOf(chosen).pendingKeys()).containsExactly("x");
    assertThat(a1.replica.deltaReplicator().bufferOf(other)).isNull();

    a1.sees(chosen, MemberState.DEAD);
    assertThat(a1.replica.deltaReplicator().bufferOf(other).pendingKeys()).containsExactly("x");
    assertThat(a1.replica.deltaReplicator().bufferOf(chosen).pendingKeys()).isEmpty();
    assertThat(status(a1, other).deltaTarget()).isTrue();
  }

  @Test
  void remoteTargetDiesWithAPushInFlight_theFailedKeysGoToAnotherNodeOfThatDc() {
    TestNode a1 = cluster.add("a1", "A", c -> gossiping(c).withRemoteDcFanout(1));
    cluster.add("b1", "B");
    cluster.add("b2", "B");
    cluster.start();
    String chosen = a1.replica.peerStatus().stream().filter(PeerStatus::deltaTarget)
        .map(PeerStatus::name).findFirst().orElseThrow();
    String other = chosen.equals("b1") ? "b2" : "b1";
    a1.transport.link(chosen, Link.BLACKHOLE);

    a1.increment("x", 6);
    cluster.run(TICK.plusMillis(5));
    assertThat(a1.transport.calls("PushDelta")).extracting(c -> c.peer).containsExactly(chosen);
    a1.sees(chosen, MemberState.DEAD);
    cluster.run(Duration.ofMillis(600));

    assertThat(cluster.node(other).value("x")).isEqualTo(6);
    assertThat(a1.replica.deltaReplicator().bufferOf(chosen).pendingCount()).isZero();
  }

  @Test
  void remoteFanout_sendsEachLocalChangeToOnlyThatManyNodesOfARemoteDc_whichRelayIt() {
    TestNode a1 = cluster.add("a1", "A", c -> gossiping(c).withRemoteDcFanout(1));
    cluster.add("b1", "B", ReplicaReplicationTest::gossiping);
    cluster.add("b2", "B", ReplicaReplicationTest::gossiping);
    cluster.add("b3", "B", ReplicaReplicationTest::gossiping);
    cluster.start();

    a1.increment("x", 1);
    cluster.run(TICK.plusMillis(5));
    assertThat(a1.transport.calls("PushDelta")).hasSize(1);
    String relay = a1.transport.calls("PushDelta").get(0).peer;
    cluster.run(TICK.plusMillis(5));
    for (String b : List.of("b1", "b2", "b3")) {
      assertThat(cluster.node(b).value("x")).as("%s (relay is %s)", b, relay).isEqualTo(1);
      assertThat(cluster.node(b).transport.calls("PushDelta").stream().map(c -> c.peer))
          .as("%s never sends a relayed state back to dc A", b).doesNotContain("a1");
    }
  }

  @Test
  void stalledPush_withNoReplyAtAll_countsAsFailedAfterTheStallLimit() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.transport.link("a2", Link.HANG);

    a1.increment("x", 1);
    cluster.run(Duration.ofSeconds(59));
    a1.transport.link("a2", Link.UP);
    cluster.run(Duration.ofMillis(900));
    assertThat(a1.observer.failures).isZero();
    assertThat(a1.transport.calls("PushDelta")).as("the hung push still blocks its own peer").hasSize(1);
    assertThat(a2.value("x")).isZero();

    cluster.run(Duration.ofMillis(200));
    assertThat(a1.observer.failures).isEqualTo(1);
    assertThat(a2.value("x")).isEqualTo(1);
  }

  @Test
  void listenerFailure_doesNotFailACommitThatIsDurable() {
    TestNode a1 = cluster.add("a1", "A", ReplicaReplicationTest::gossiping);
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.listenerFails = true;

    a1.increment("x", 2);
    cluster.run(TICK.plusMillis(5));

    assertThat(a1.value("x")).isEqualTo(2);
    assertThat(a1.replica.digestTree().root()).isEqualTo(DigestTree.build(2, a1.store).root());
    assertThat(a2.value("x")).isEqualTo(2);
  }

  @Test
  void storeFailure_failsThePushAndChangesNothing() {
    TestNode a2 = cluster.add("a2", "A");
    cluster.add("a1", "A");
    cluster.start();
    long root = a2.replica.digestTree().root();
    a2.store.failNextWrite();

    CompletableFuture<DeltaAck> ack = a2.replica.onPushDelta(batch(ref("a1", "A"),
        new KeyState("x", PnCounter.EMPTY.increment(7, 5, 1))));
    cluster.run(Duration.ZERO);

    assertThat(ack).isCompletedExceptionally();
    assertThat(a2.state("x")).isEqualTo(PnCounter.EMPTY);
    assertThat(a2.replica.digestTree().root()).isEqualTo(root);
    assertThat(a2.changes).isEmpty();

    CompletableFuture<DeltaAck> retry = a2.replica.onPushDelta(batch(ref("a1", "A"),
        new KeyState("x", PnCounter.EMPTY.increment(7, 5, 1))));
    cluster.run(Duration.ZERO);
    assertThat(retry).isCompletedWithValue(DeltaAck.newBuilder().setChanged(1).build());
  }
}
