package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.testing.NoTransport;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestMembership;
import dev.tally.gossip.testing.VirtualTime;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pipelined local writes ({@link Replica#stage}, settled in store order as writes land or fail)
 * and merges that arrive while groups are staged, over a store with the node's write order
 * (asynchronous writes queue; a synchronous write lands every queued one first).
 */
class ReplicaStagedWritesTest {
  private static final long SELF = 0x1000;
  private static final long PEER = 0x2000;

  /**
   * The node's store, reduced to its order: asynchronous writes queue until the test lands them
   * (their futures complete then); a synchronous write lands every queued one first. Failing the
   * head fails everything queued behind it, as the node's writer skips writes built on a failure.
   */
  static final class OrderedStore implements StateStore {
    record Queued(List<KeyState> states, CompletableFuture<Long> done) {}

    final InMemoryStateStore durable = new InMemoryStateStore();
    final ArrayDeque<Queued> queued = new ArrayDeque<>();
    int writes;
    int clears;
    /** The next synchronous write throws and writes nothing (as the node's writer skipping it would). */
    boolean failNextSyncWrite;

    @Override
    public PnCounter get(String key) {
      return durable.get(key);
    }

    @Override
    public void write(Collection<KeyState> states, StoreAttachment attachment) {
      if (failNextSyncWrite) {
        failNextSyncWrite = false;
        throw new StoreException("injected: write failed");
      }
      landAll();
      durable.write(states, attachment);
      writes++;
    }

    @Override
    public CompletableFuture<Long> writeAsync(Collection<KeyState> states, StoreAttachment attachment) {
      Queued q = new Queued(List.copyOf(states), new CompletableFuture<>());
      queued.addLast(q);
      return q.done();
    }

    @Override
    public void clearFailedWrites() {
      clears++;
    }

    @Override
    public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
      durable.scan(fromHash, toHashExclusive, visitor);
    }

    void landOne() {
      Queued q = queued.pollFirst();
      durable.write(q.states(), StoreAttachment.NONE);
      writes++;
      q.done().complete(0L);
    }

    void landAll() {
      while (!queued.isEmpty()) {
        landOne();
      }
    }

    /** The head write fails, and so does everything queued behind it (it builds on the head). */
    void failAll() {
      while (!queued.isEmpty()) {
        queued.pollFirst().done().completeExceptionally(new StoreException("injected: disk full"));
      }
    }
  }

  private final VirtualTime time = new VirtualTime();
  private final OrderedStore store = new OrderedStore();
  private final List<KeyState> published = new ArrayList<>();
  private Replica replica;

  @BeforeEach
  void setUp() {
    TestMembership membership = new TestMembership(new Member("a", "dc1", MemberState.ALIVE));
    membership.set(new Member("b", "dc1", MemberState.ALIVE));
    replica = new Replica(TestCluster.quiet("a", "dc1", SELF), time.clock(), time.scheduler("a"), store,
        new NoTransport(), membership, new SplittableRandom(1), published::addAll);
    replica.start();
    time.runFor(Duration.ZERO);
  }

  /** Prepares one increment per key and stages it, as the node's group commit does. */
  private PreparedWrites stageIncrements(long amount, String... keys) {
    PreparedWrites[] out = new PreparedWrites[1];
    time.runAs("a", () -> {
      List<LocalWrite> writes = new ArrayList<>();
      for (String k : keys) {
        writes.add(LocalWrite.of(CounterChange.increment(k, amount)));
      }
      PreparedWrites p = replica.prepare(writes);
      replica.stage(p, store.writeAsync(p.after(), StoreAttachment.NONE));
      out[0] = p;
    });
    return out[0];
  }

  private long appliedValue(PreparedWrites p, int write) {
    return ((WriteResult.Applied) p.results().get(write)).states().get(0).state().value();
  }

  private void assertTreeMatchesStore() {
    DigestTree tree = replica.digestTree();
    assertThat(tree.root()).isEqualTo(DigestTree.build(tree.depth(), store).root());
  }

  private List<String> pendingDeltaKeys() {
    var buffer = replica.deltaReplicator().bufferOf("b");
    return buffer == null ? List.of() : List.copyOf(buffer.pendingKeys());
  }

  @Test
  void prepare_buildsOnStagedStates_whileReadersDeltasAndListenerSeeOnlyDurableOnes() {
    PreparedWrites g1 = stageIncrements(1, "k");
    PreparedWrites g2 = stageIncrements(2, "k");

    assertThat(appliedValue(g1, 0)).isEqualTo(1);
    assertThat(appliedValue(g2, 0)).isEqualTo(3);
    assertThat(replica.read("k").value()).isZero();
    assertThat(published).isEmpty();
    assertThat(pendingDeltaKeys()).isEmpty();
    assertTreeMatchesStore();

    store.landOne();
    time.runFor(Duration.ZERO);

    assertThat(replica.read("k").value()).isEqualTo(1);
    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(1L);
    assertThat(pendingDeltaKeys()).containsExactly("k");
    assertTreeMatchesStore();

    store.landOne();
    time.runFor(Duration.ZERO);

    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(1L, 3L);
    assertThat(replica.stagedGroups()).isZero();
    assertTreeMatchesStore();
  }

  @Test
  void durable_ofALaterGroup_publishesTheEarlierOnesFirst() {
    stageIncrements(1, "x");
    PreparedWrites g2 = stageIncrements(1, "y");
    store.landAll();

    time.runFor(Duration.ZERO);

    assertThat(published).extracting(KeyState::key).containsExactly("x", "y");
    assertThat(replica.stagedGroups()).isZero();
    assertTreeMatchesStore();
  }

  private static DeltaBatch delta(String key, PnCounter state) {
    return DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("b").setDc("dc1"))
        .addStates(StateMessages.toMessage(key, state)).build();
  }

  @Test
  void pushDelta_whileGroupsAreStaged_buildsOnThemAndIsAckedOnlyOnceItLandedBehindThem() {
    PreparedWrites g1 = stageIncrements(10, "k");
    PnCounter peerState = PnCounter.EMPTY.increment(PEER, 1000, VirtualTime.EPOCH_MILLIS);

    CompletableFuture<DeltaAck> ack = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);

    assertThat(ack).as("the replica thread did not wait for the disk, and nothing is durable yet").isNotDone();
    assertThat(replica.stagedGroups()).isEqualTo(2);
    PreparedWrites g2 = stageIncrements(1, "k");
    assertThat(appliedValue(g2, 0)).as("a later local write builds on the staged merge").isEqualTo(1011);

    store.landOne();
    time.runFor(Duration.ZERO);
    store.landOne();
    time.runFor(Duration.ZERO);

    assertThat(ack).isCompleted();
    assertThat(ack.join().getChanged()).isEqualTo(1);
    PnCounter stored = store.get("k");
    assertThat(stored.p(SELF)).as("the staged local increment survives the merge").isEqualTo(10);
    assertThat(stored.p(PEER)).isEqualTo(1000);
    store.landOne();
    time.runFor(Duration.ZERO);
    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(10L, 1010L, 1011L);
    assertTreeMatchesStore();
  }

  @Test
  void pushDelta_whoseWriteFails_isNotAckedAndWhatWasBuiltOnItIsDropped() {
    CompletableFuture<DeltaAck> ack = replica.onPushDelta(
        delta("k", PnCounter.EMPTY.increment(PEER, 1000, VirtualTime.EPOCH_MILLIS)));
    time.runFor(Duration.ZERO);
    PreparedWrites builtOnIt = stageIncrements(1, "k");
    assertThat(appliedValue(builtOnIt, 0)).isEqualTo(1001);

    store.failAll();
    time.runFor(Duration.ZERO);

    assertThat(ack).isCompletedExceptionally();
    assertThat(replica.stagedGroups()).as("the local group built on the merge is dropped too").isZero();
    assertThat(store.clears).isEqualTo(1);
    time.runFor(Duration.ZERO);
    assertThat(store.clears).as("the skipped group behind it settles without a second clear").isEqualTo(1);
    PreparedWrites next = stageIncrements(1, "k");
    assertThat(appliedValue(next, 0)).as("built on the store again").isEqualTo(1);
    assertThat(published).isEmpty();
  }

  @Test
  void mergeThatChangesNothing_leavesStagedGroupsStaged() {
    stageIncrements(10, "k");
    DeltaBatch delta = DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("b").setDc("dc1"))
        .addStates(StateMessages.toMessage("k", PnCounter.EMPTY.increment(SELF, 3, VirtualTime.EPOCH_MILLIS)))
        .build();

    replica.onPushDelta(delta);
    time.runFor(Duration.ZERO);

    assertThat(replica.stagedGroups()).isEqualTo(1);
    assertThat(published).isEmpty();
  }

  @Test
  void pushDelta_coveredOnlyByAStagedMerge_isAckedOnlyOnceThatMergeIsDurable() {
    PnCounter peerState = PnCounter.EMPTY.increment(PEER, 1000, VirtualTime.EPOCH_MILLIS);
    CompletableFuture<DeltaAck> first = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);

    // The same state again (a duplicated push, or a QUORUM push beside the delta stream): it
    // changes nothing, but acknowledging it now would promise a state the store does not hold yet.
    CompletableFuture<DeltaAck> again = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);
    assertThat(first).isNotDone();
    assertThat(again).as("covered only by a staged write: not durable here yet").isNotDone();

    store.landOne();
    time.runFor(Duration.ZERO);

    assertThat(first.join().getChanged()).isEqualTo(1);
    assertThat(again.join().getChanged()).isZero();
    assertThat(store.get("k").p(PEER)).isEqualTo(1000);
  }

  @Test
  void pushDelta_coveredOnlyByAStagedWriteThatFails_isNotAcked() {
    PnCounter peerState = PnCounter.EMPTY.increment(PEER, 1000, VirtualTime.EPOCH_MILLIS);
    CompletableFuture<DeltaAck> first = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);
    CompletableFuture<DeltaAck> again = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);

    store.failAll();
    time.runFor(Duration.ZERO);

    assertThat(first).isCompletedExceptionally();
    assertThat(again).as("the state that covered it was never written").isCompletedExceptionally();
    assertThat(store.get("k").isEmpty()).isTrue();
  }

  @Test
  void pushDelta_coveredByTheStore_isAckedAtOnceEvenWithOtherKeysStaged() {
    PnCounter peerState = PnCounter.EMPTY.increment(PEER, 5, VirtualTime.EPOCH_MILLIS);
    CompletableFuture<DeltaAck> first = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);
    store.landOne();
    time.runFor(Duration.ZERO);
    assertThat(first.join().getChanged()).isEqualTo(1);
    stageIncrements(1, "k");

    CompletableFuture<DeltaAck> again = replica.onPushDelta(delta("k", peerState));
    time.runFor(Duration.ZERO);

    assertThat(again).as("durable here already; the staged local group does not matter").isCompleted();
    assertThat(again.join().getChanged()).isZero();
  }

  @Test
  void failedGroup_isDroppedWithEveryGroupBuiltOnIt() {
    PreparedWrites g0 = stageIncrements(1, "k");
    store.landOne();
    time.runFor(Duration.ZERO);
    PreparedWrites g1 = stageIncrements(10, "k");
    stageIncrements(100, "k");
    store.failAll();

    time.runFor(Duration.ZERO);

    assertThat(replica.stagedGroups()).isZero();
    PreparedWrites next = stageIncrements(5, "k");
    assertThat(appliedValue(next, 0)).as("built on the store again").isEqualTo(6);
    store.landOne();
    time.runFor(Duration.ZERO);
    assertThat(store.get("k").value()).isEqualTo(6);
    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(1L, 6L);
    assertTreeMatchesStore();
  }

  @Test
  void commit_withGroupsStaged_landsAndPublishesThemFirst() {
    stageIncrements(1, "k");
    time.runAs("a", () -> {
      PreparedWrites p = replica.prepare(List.of(LocalWrite.of(CounterChange.increment("k", 2))));
      replica.commit(p, StoreAttachment.NONE);
    });

    assertThat(store.get("k").value()).isEqualTo(3);
    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(1L, 3L);
    assertTreeMatchesStore();
  }

  @Test
  void commitWhoseWriteFails_publishesNothingAndKeepsTheGroupsStaged() {
    PreparedWrites g1 = stageIncrements(10, "k");
    store.failNextSyncWrite = true;

    time.runAs("a", () -> {
      PreparedWrites p = replica.prepare(List.of(LocalWrite.of(CounterChange.increment("other", 1))));
      try {
        replica.commit(p, StoreAttachment.NONE);
        throw new AssertionError("the commit should have failed");
      } catch (StoreException expected) {
        // nothing written, nothing published
      }
    });

    assertThat(replica.stagedGroups()).isEqualTo(1);
    assertThat(published).isEmpty();
    store.landOne();
    time.runFor(Duration.ZERO);
    assertThat(published).extracting(ks -> ks.state().value()).containsExactly(10L);
    assertThat(store.get("other").value()).isZero();
    assertTreeMatchesStore();
  }

  @Test
  void prepare_writeThatOverflowsPartWay_isUndoneWholeAndTheNextWriteBuildsOnWhatWasThere() {
    PreparedWrites seed = stageIncrements(Long.MAX_VALUE, "big");
    store.landAll();
    time.runFor(Duration.ZERO);
    PreparedWrites[] out = new PreparedWrites[1];

    time.runAs("a", () -> out[0] = replica.prepare(List.of(
        new LocalWrite(List.of(CounterChange.increment("a", 1), CounterChange.increment("a", 1),
            CounterChange.increment("big", 1))),
        LocalWrite.of(CounterChange.increment("a", 5)))));

    PreparedWrites p = out[0];
    assertThat(p.results().get(0)).isInstanceOf(WriteResult.Overflow.class);
    assertThat(((WriteResult.Overflow) p.results().get(0)).changeIndex()).isEqualTo(2);
    assertThat(appliedValue(p, 1)).as("built on the state before the undone write").isEqualTo(5);
    assertThat(p.after()).extracting(KeyState::key).containsExactly("a");
    assertThat(p.before()).extracting(ks -> ks.state().value()).containsExactly(0L);
  }
}
