package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReplicaEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What peer input may not do even when it is well-formed: carry this node's own entry ahead of the
 * local one, or grow a key past maxEntriesPerKey; and entries of unannounced ids are counted.
 */
class ReplicaPeerTrustTest {
  private final TestCluster cluster = new TestCluster();
  private final NodeRef a1 = NodeRef.newBuilder().setName("a1").setDc("A").build();

  private TestNode started(java.util.function.UnaryOperator<ReplicaConfig> tweak) {
    TestNode a2 = cluster.add("a2", "A", tweak);
    cluster.add("a1", "A");
    cluster.start();
    return a2;
  }

  private DeltaAck push(TestNode node, CounterState... states) {
    CompletableFuture<DeltaAck> ack = node.replica.onPushDelta(
        DeltaBatch.newBuilder().setFrom(a1).addAllStates(List.of(states)).build());
    cluster.run(Duration.ZERO);
    return ack.join();
  }

  private static CounterState state(String key, long... replicaAndP) {
    CounterState.Builder b = CounterState.newBuilder().setKey(key);
    for (int i = 0; i < replicaAndP.length; i += 2) {
      b.addEntries(ReplicaEntry.newBuilder().setReplica(replicaAndP[i]).setP(replicaAndP[i + 1]).setUpdatedAtMs(1));
    }
    return b.build();
  }

  @Test
  void onPushDelta_ownEntryAheadOfLocal_isNotMerged_restMerges_andNextWritesGoUnderANewId() {
    TestNode a2 = started(c -> c);
    long own = a2.replica.replicaId();
    a2.increment("k", 3);

    DeltaAck ack = push(a2, state("k", own, 1_000_003, 99, 7), state("other", 99, 2));

    assertThat(a2.state("k").p(own)).as("own entry not raised by the peer").isEqualTo(3);
    assertThat(a2.state("k").p(99)).as("other replicas' entries of the key still merge").isEqualTo(7);
    assertThat(a2.state("other").p(99)).isEqualTo(2);
    assertThat(ack.getChanged()).isEqualTo(2);
    assertThat(a2.observer.ownEntryAhead).containsExactly("a1:k");
    assertThat(a2.rotatedTo).hasSize(1);
    long fresh = a2.rotatedTo.get(0);
    assertThat(a2.replica.replicaId()).isEqualTo(fresh).isNotEqualTo(own);

    a2.increment("k", 5);
    assertThat(a2.state("k").p(fresh)).as("the next write goes under the new id").isEqualTo(5);
    assertThat(a2.state("k").p(own)).as("the old id's entry is frozen").isEqualTo(3);
    assertThat(a2.value("k")).isEqualTo(3 + 7 + 5);
  }

  @Test
  void onPushDelta_ownEntryEqualOrBehind_isMergedAsUsual_andKeepsTheId() {
    TestNode a2 = started(c -> c);
    long own = a2.replica.replicaId();
    a2.increment("k", 3);

    push(a2, state("k", own, 3, 99, 1), state("k2", own, 0, 99, 1));

    assertThat(a2.observer.ownEntryAhead).isEmpty();
    assertThat(a2.rotatedTo).isEmpty();
    assertThat(a2.replica.replicaId()).isEqualTo(own);
    assertThat(a2.value("k")).isEqualTo(4);
  }

  @Test
  void onPushDelta_retiredIdAhead_mergesAfterTheRotation() {
    // A rolled-back node gets back, under its retired id, what its peers hold of it.
    TestNode a2 = started(c -> c);
    long old = a2.replica.replicaId();
    a2.increment("k", 3);
    push(a2, state("k", old, 10));
    assertThat(a2.state("k").p(old)).isEqualTo(3);

    push(a2, state("k", old, 10));

    assertThat(a2.state("k").p(old)).as("no longer this node's own id: merged like any other").isEqualTo(10);
    assertThat(a2.rotatedTo).hasSize(1);
  }

  @Test
  void onPushDelta_keyGrowingPastMaxEntries_isRefusedForThatKeyOnly() {
    TestNode a2 = started(c -> c.withMaxEntriesPerKey(4));
    push(a2, state("k", 1, 1, 2, 1, 3, 1));

    CompletableFuture<DeltaAck> refused = a2.replica.onPushDelta(DeltaBatch.newBuilder().setFrom(a1)
        .addStates(state("k", 4, 1, 5, 1)).addStates(state("small", 6, 1)).build());
    cluster.run(Duration.ZERO);

    assertThat(a2.state("k").size()).as("stays at 3 entries").isEqualTo(3);
    assertThat(a2.state("small").p(6)).as("the other keys merge").isEqualTo(1);
    assertThat(refused).as("no ack for a key not held: a QUORUM write must not count it")
        .failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(dev.tally.gossip.merge.PeerLimitException.class)
        .withMessageContaining("key 'k' would have 5 replica entries").withMessageContaining("max-entries-per-key of 4");
    assertThat(a2.observer.entriesRefused).containsExactly("a1:k:5");

    push(a2, state("k", 1, 9, 4, 1));
    assertThat(a2.state("k").size()).as("at the limit exactly is fine").isEqualTo(4);
    push(a2, state("k", 1, 20));
    assertThat(a2.state("k").p(1)).as("entries already held still advance").isEqualTo(20);
  }

  @Test
  void onPushDelta_entriesOfUnannouncedIds_areCountedWhenNew() {
    TestNode a2 = started(c -> c);
    a2.announced = id -> id == 1;

    push(a2, state("k", 1, 1, 77, 1, 78, 1));
    push(a2, state("k", 77, 1)); // nothing new: not counted again

    assertThat(a2.observer.unknownEntries).containsExactly(java.util.Map.entry("a1", 2));
    assertThat(a2.state("k").p(77)).as("merged: a CRDT cannot tell it from a member not heard of yet").isEqualTo(1);
  }

  @Test
  void maxEntriesPerKey_legitimateClusterFits() {
    // One entry per replica id ever used: 100 nodes that each retired their id 9 times.
    TestNode a2 = started(c -> c);
    List<CounterState> states = new ArrayList<>();
    CounterState.Builder b = CounterState.newBuilder().setKey("k");
    for (int id = 1; id <= 1000; id++) {
      b.addEntries(ReplicaEntry.newBuilder().setReplica(id).setP(1));
    }
    states.add(b.build());
    push(a2, states.toArray(new CounterState[0]));
    assertThat(a2.state("k").size()).isEqualTo(1000);
    assertThat(ReplicaConfig.DEFAULT_MAX_ENTRIES_PER_KEY).isEqualTo(1024);
    assertThat(PnCounter.EMPTY.size()).isZero();
    assertThat(StateMessages.toMessage("k", a2.state("k")).getEntriesCount()).isEqualTo(1000);
  }

  @Test
  void onPushDelta_fromANameNoMemberHas_neverJoinsTheQuorumView() {
    TestNode a2 = started(c -> c);
    int dcSize = a2.replica.clusterView().dcSize();
    NodeRef ghost = NodeRef.newBuilder().setName("ghost").setDc("A").build();
    a2.replica.onPushDelta(DeltaBatch.newBuilder().setFrom(ghost).addStates(state("k", 99, 1)).build());
    cluster.run(Duration.ZERO);

    assertThat(a2.replica.clusterView().peer("ghost")).as("only membership adds members").isNull();
    assertThat(a2.replica.clusterView().dcSize()).isEqualTo(dcSize);
  }
}
