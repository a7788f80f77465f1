package dev.tally.gossip.write;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.testing.NoTransport;
import dev.tally.gossip.testing.SimulatedStore;
import dev.tally.gossip.testing.SimulatedStore.Fault;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestMembership;
import dev.tally.gossip.testing.VirtualTime;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The group commit over a store that fails, with every step of the store's writer thread and of
 * the replica thread taken by the test, so the interleavings that lost acknowledged increments
 * are replayed exactly.
 */
class GroupCommitWriterFaultTest {
  private static final long SELF = 0x1000;
  private static final long PEER = 0x2000;

  private final VirtualTime time = new VirtualTime();
  /** Faults handed to the store one landing at a time; empty means the write goes through. */
  private final ArrayDeque<Fault> faults = new ArrayDeque<>();
  private final SimulatedStore store = new SimulatedStore("a", new SplittableRandom(1), () -> {});
  private Replica replica;
  private GroupCommitWriter writer;
  private final List<CompletableFuture<WriteOutcome>> submitted = new ArrayList<>();

  @BeforeEach
  void setUp() {
    store.faults(counters -> faults.isEmpty() ? Fault.NONE : faults.poll());
    TestMembership membership = new TestMembership(new Member("a", "dc1", MemberState.ALIVE));
    membership.set(new Member("b", "dc1", MemberState.ALIVE));
    replica = new Replica(TestCluster.quiet("a", "dc1", SELF), time.clock(), time.scheduler("a"), store,
        new NoTransport(), membership, new SplittableRandom(1), ReplicaListener.NONE);
    replica.start();
    writer = new GroupCommitWriter(replica, store, time.scheduler("a"), time.clock(), Duration.ofMinutes(10), 10_000,
        WriteMetrics.NONE);
    time.runFor(Duration.ZERO);
  }

  /** Submits an increment of "k" and lets the replica thread hand it to the store as one group. */
  private CompletableFuture<WriteOutcome> incrementNow() {
    CompletableFuture<WriteOutcome> f = submit();
    runReplicaThread();
    return f;
  }

  /** Submits an increment of "k"; it waits in the queue until the replica thread runs. */
  private CompletableFuture<WriteOutcome> submit() {
    CompletableFuture<WriteOutcome> f = writer.submit(WriteRequest.increment("k", 1, ""));
    submitted.add(f);
    return f;
  }

  private void runReplicaThread() {
    time.runFor(Duration.ZERO);
  }

  private long acknowledged() {
    return submitted.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
  }

  private static DeltaBatch delta(String key, PnCounter state) {
    return DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("b").setDc("dc1"))
        .addStates(StateMessages.toMessage(key, state)).build();
  }

  /**
   * A peer's delta merge staged between two groups fails; the group behind it is skipped. The
   * group's completion ran first (it saw the skip before the merge's failure was handled) and let
   * the store write again while the failed merge was still staged; the merge's late abandon then
   * dropped a newer group that the store did write, and the next group, built on the older durable
   * state, overwrote an acknowledged increment.
   */
  @Test
  void failedMergeBetweenGroups_neverCostsAnAcknowledgedIncrement() {
    incrementNow(); // g1: written fine
    CompletableFuture<DeltaAck> push = replica.onPushDelta(delta("j", PnCounter.EMPTY.increment(PEER, 7, 1)));
    runReplicaThread(); // the merge is staged behind g1
    incrementNow(); // g2: built on g1, behind the merge

    store.landNext(); // g1 lands
    faults.add(Fault.TRANSIENT);
    store.landNext(); // the merge fails
    store.landNext(); // g2 is skipped: it was handed over in the failed write's epoch
    submit(); // g3 waits in the queue while the completions run
    runReplicaThread(); // g1 durable, g2 failed, g3 handed over, then the merge's failure is handled
    incrementNow(); // g4, handed over before g3 lands
    store.landAll();
    runReplicaThread();

    assertThat(push).isCompletedExceptionally();
    assertThat(store.violations()).isEmpty();
    assertThat(store.get("k").value()).as("every acknowledged increment of k is on disk").isEqualTo(acknowledged());
    assertThat(store.get("k").p(SELF)).isEqualTo(acknowledged());
  }

  /**
   * Expiry keeps up with any write rate: with writes arriving during every sweep (as they do on a
   * busy node), the sweep used to delete one batch per interval and stop, so the dedupe table grew
   * with uptime once the rate passed batch / interval. Now it goes on, batch after batch, each
   * behind the queued writes, until nothing expired is left.
   */
  @Test
  void dedupeSweep_keepsUpWhileWritesKeepArriving() {
    Duration window = Duration.ofSeconds(1);
    BusyStore busy = new BusyStore(store);
    GroupCommitWriter w = new GroupCommitWriter(replica, busy, time.scheduler("a"), time.clock(), window, 1_000_000,
        WriteMetrics.NONE);
    busy.writer = w;
    w.start();
    int records = 5 * 10_000 + 123;
    for (int i = 0; i < records; i++) {
      w.submit(WriteRequest.increment("k" + (i % 100), 1, "id-" + i));
    }
    time.runUntil(() -> {
      store.landAll();
      return store.dedupeRecords() == records;
    }, Duration.ofSeconds(1));
    assertThat(store.dedupeRecords()).isEqualTo(records);

    // One window later every record has expired; within one sweep interval more, all are gone.
    time.runUntil(() -> {
      store.landAll();
      return false;
    }, window.plus(Duration.ofMillis(1000 + 100)));

    assertThat(store.dedupeRecords()).as("expired records left after a sweep interval").isLessThan(busy.arrivals + 10);
  }

  /** Lands the sweep at once, and a client write arrives while each sweep runs. */
  static final class BusyStore implements WriteStore {
    final SimulatedStore inner;
    GroupCommitWriter writer;
    int arrivals;

    BusyStore(SimulatedStore inner) {
      this.inner = inner;
    }

    @Override
    public java.util.Optional<DedupeRecord> findDedupe(String requestId) {
      return inner.findDedupe(requestId);
    }

    @Override
    public java.util.List<DedupeRecord> unresolvedDedupe() {
      return inner.unresolvedDedupe();
    }

    @Override
    public CompletableFuture<Integer> sweepExpiredDedupe(long nowMillis, int limit) {
      writer.submit(WriteRequest.increment("busy", 1, "busy-" + (++arrivals)));
      CompletableFuture<Integer> f = inner.sweepExpiredDedupe(nowMillis, limit);
      inner.landAll();
      return f;
    }

    @Override
    public PnCounter get(String key) {
      return inner.get(key);
    }

    @Override
    public void write(java.util.Collection<dev.tally.gossip.store.KeyState> states, dev.tally.gossip.store.StoreAttachment a) {
      inner.write(states, a);
    }

    @Override
    public CompletableFuture<Long> writeAsync(java.util.Collection<dev.tally.gossip.store.KeyState> states,
        dev.tally.gossip.store.StoreAttachment a) {
      return inner.writeAsync(states, a);
    }

    @Override
    public void clearFailedWrites() {
      inner.clearFailedWrites();
    }

    @Override
    public void scan(long fromHash, long toHashExclusive, java.util.function.Consumer<dev.tally.gossip.store.KeyState> visitor) {
      inner.scan(fromHash, toHashExclusive, visitor);
    }
  }
}
