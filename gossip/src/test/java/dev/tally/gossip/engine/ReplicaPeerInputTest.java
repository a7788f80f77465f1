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
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import dev.tally.peer.v1.ReplicaEntry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Bad peer input fails its own call with a message naming the field and changes nothing. */
class ReplicaPeerInputTest {
  private final TestCluster cluster = new TestCluster();
  private final NodeRef a1 = NodeRef.newBuilder().setName("a1").setDc("A").build();
  private final CounterState good = StateMessages.toMessage("good", PnCounter.EMPTY.increment(5, 1, 1));

  private TestNode started() {
    TestNode a2 = cluster.add("a2", "A");
    cluster.add("a1", "A");
    cluster.startCaughtUp(); // so a2 answers ReadStates
    return a2;
  }

  private Throwable rejected(TestNode node, DeltaBatch batch) {
    var before = node.store.dump();
    int writes = node.store.writes();
    long root = node.replica.digestTree().root();
    CompletableFuture<DeltaAck> ack = node.replica.onPushDelta(batch);
    cluster.run(Duration.ZERO);
    assertThat(node.store.dump()).isEqualTo(before);
    assertThat(node.store.writes()).isEqualTo(writes);
    assertThat(node.replica.digestTree().root()).isEqualTo(root);
    assertThat(node.changes).isEmpty();
    return cause(ack);
  }

  private static Throwable cause(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.join();
      throw new AssertionError();
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void onPushDelta_repeatedReplicaInOneState_isRejectedWithNothingMerged() {
    TestNode a2 = started();
    CounterState bad = CounterState.newBuilder().setKey("bad")
        .addEntries(ReplicaEntry.newBuilder().setReplica(7).setP(1))
        .addEntries(ReplicaEntry.newBuilder().setReplica(7).setP(2)).build();
    Throwable e = rejected(a2, DeltaBatch.newBuilder().setFrom(a1).addStates(good).addStates(bad).build());
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("states[1].entries")
        .hasMessageContaining("appears twice");
  }

  @Test
  void onPushDelta_zeroReplicaId_isRejected() {
    TestNode a2 = started();
    CounterState bad = CounterState.newBuilder().setKey("bad")
        .addEntries(ReplicaEntry.newBuilder().setReplica(0).setP(1)).build();
    assertThat(rejected(a2, DeltaBatch.newBuilder().setFrom(a1).addStates(bad).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("states[0].entries: replica id must not be 0");
  }

  @Test
  void onPushDelta_emptyOrOversizedKey_isRejected() {
    TestNode a2 = started();
    assertThat(rejected(a2, DeltaBatch.newBuilder().setFrom(a1).addStates(good)
        .addStates(CounterState.newBuilder().setKey("")).build()))
        .hasMessage("states[1].key is empty");
    assertThat(rejected(a2, DeltaBatch.newBuilder().setFrom(a1)
        .addStates(CounterState.newBuilder().setKey("é".repeat(2049))).build()))
        .hasMessage("states[0].key is 4098 UTF-8 bytes, more than the limit of 4096");
  }

  @Test
  void onPushDelta_missingOrOwnSender_isRejected() {
    TestNode a2 = started();
    assertThat(rejected(a2, DeltaBatch.newBuilder().addStates(good).build())).hasMessage("from is missing");
    assertThat(rejected(a2, DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("a2").setDc("A"))
        .addStates(good).build())).hasMessageContaining("this node's own name");
    assertThat(rejected(a2, DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("x"))
        .addStates(good).build())).hasMessage("from.dc is empty");
  }

  @Test
  void onPushDelta_afterBadInput_theReplicaKeepsWorking() {
    TestNode a2 = started();
    rejected(a2, DeltaBatch.newBuilder().addStates(good).build());
    CompletableFuture<DeltaAck> ack = a2.replica.onPushDelta(DeltaBatch.newBuilder().setFrom(a1).addStates(good).build());
    cluster.run(Duration.ZERO);
    assertThat(ack.join().getChanged()).isEqualTo(1);
    assertThat(a2.value("good")).isEqualTo(1);
  }

  @Test
  void onReadStates_returnsOneStatePerKeyInOrder_andRejectsBadKeys() {
    TestNode a2 = started();
    a2.increment("x", 3);
    CompletableFuture<ReadStatesResponse> ok = a2.replica.onReadStates(ReadStatesRequest.newBuilder().setFrom(a1)
        .addKeys("x").addKeys("never").build());
    CompletableFuture<ReadStatesResponse> bad = a2.replica.onReadStates(ReadStatesRequest.newBuilder().setFrom(a1)
        .addKeys("x").addKeys("").build());
    cluster.run(Duration.ZERO);
    assertThat(ok.join().getStatesList()).extracting(CounterState::getKey).containsExactly("x", "never");
    assertThat(StateMessages.fromMessage(ok.join().getStates(0)).value()).isEqualTo(3);
    assertThat(ok.join().getStates(1).getEntriesCount()).isZero();
    assertThat(cause(bad)).isInstanceOf(IllegalArgumentException.class).hasMessage("keys[1] is empty");
  }

  @Test
  void handlers_beforeStart_failAsNotStarted() {
    TestNode a2 = cluster.add("a2", "A");
    CompletableFuture<DeltaAck> ack = a2.replica.onPushDelta(DeltaBatch.newBuilder().setFrom(a1).addStates(good).build());
    cluster.run(Duration.ZERO);
    assertThat(cause(ack)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
  }

  @Test
  void handlers_afterClose_failAsClosed_andTimersStop() {
    TestNode a2 = started();
    a2.replica.close();
    cluster.run(Duration.ZERO);
    CompletableFuture<DeltaAck> ack = a2.replica.onPushDelta(DeltaBatch.newBuilder().setFrom(a1).addStates(good).build());
    assertThat(cause(ack)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThat(a2.value("good")).isZero();
  }

  @Test
  void start_twice_isRefused() {
    TestNode a2 = started();
    CompletableFuture<Void> again = a2.replica.start();
    assertThat(cause(again)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already");
  }
}
