package dev.tally.node.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.cluster.NoPeerTransport;
import dev.tally.node.cluster.SingleNodeMembership;
import dev.tally.node.config.Durability;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.testing.ManualClock;
import dev.tally.node.metrics.WriteMeters;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteOutcome;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.gossip.write.WriteException.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitWriterTest {

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(1_700_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Faults faults = new Faults();
  private RocksStateStore store;
  private Replica replica;
  private ReplicaThread thread;
  private GroupCommitWriter writer;

  /**
   * The fault injection point, on the store's writer thread: counts counter batches written, fails
   * the next one on request (nothing of it is written, as with a full disk), or holds the writer
   * before the next one until released (so a test can see what happens while a group is in flight).
   */
  static final class Faults implements RocksStateStore.WriteHook {
    final AtomicInteger writes = new AtomicInteger();
    volatile boolean failNext;
    private volatile CountDownLatch release;
    private volatile CountDownLatch holding;

    @Override
    public void beforeWrite(int counters) {
      CountDownLatch r = release;
      if (r != null) {
        release = null;
        holding.countDown();
        try {
          if (!r.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("test never released the held write");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failNext) {
        failNext = false;
        throw new StoreException("injected: disk full");
      }
      writes.incrementAndGet();
    }

    /** The next write waits (once it has started) until the returned latch is counted down. */
    CountDownLatch holdNextWrite() {
      CountDownLatch r = new CountDownLatch(1);
      holding = new CountDownLatch(1);
      release = r;
      return r;
    }

    /** Waits until the writer is held in a write. */
    void awaitHeld() throws InterruptedException {
      assertThat(holding.await(10, TimeUnit.SECONDS)).as("a write reached the store").isTrue();
    }
  }

  @BeforeEach
  void setUp() {
    store = RocksStateStore.open(dir, "c", Durability.SYNC, clock, faults);
    thread = new ReplicaThread("test-replica");
    writer = newWriter(10_000);
  }

  private GroupCommitWriter newWriter(int maxPending) {
    return newWriter(maxPending, ReplicaListener.NONE);
  }

  private GroupCommitWriter newWriter(int maxPending, ReplicaListener listener) {
    replica = new Replica(ReplicaConfig.defaults("n", "dc1", store.replicaId()), clock, thread, store,
        new NoPeerTransport(), new SingleNodeMembership("n", "dc1"), new SplittableRandom(1), listener);
    return new GroupCommitWriter(replica, store, thread, clock, Duration.ofMinutes(10), maxPending, new WriteMeters(registry));
  }

  @AfterEach
  void tearDown() {
    writer.close();
    thread.close();
    store.close();
  }

  /** Holds the replica thread until the returned latch is released, so writes pile up into one group. */
  private CountDownLatch blockReplicaThread() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    thread.execute(() -> {
      blocked.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  private static WriteOutcome join(CompletableFuture<WriteOutcome> f) {
    return f.orTimeout(10, TimeUnit.SECONDS).join();
  }

  private static Reason failure(CompletableFuture<WriteOutcome> f) {
    try {
      f.orTimeout(10, TimeUnit.SECONDS).join();
    } catch (CompletionException e) {
      return ((WriteException) e.getCause()).reason();
    }
    throw new AssertionError("expected the write to fail");
  }

  @Test
  void submit_writesQueuedTogether_commitAsOneBatchAndCoalescePerKey() throws Exception {
    CountDownLatch release = blockReplicaThread();
    List<CompletableFuture<WriteOutcome>> hot = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      hot.add(writer.submit(WriteRequest.increment("hot", 1, "")));
    }
    List<CompletableFuture<WriteOutcome>> cold = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      cold.add(writer.submit(WriteRequest.decrement("cold-" + i, 2, "")));
    }
    assertThat(writer.pendingWrites()).isEqualTo(150);

    release.countDown();

    for (int i = 0; i < 100; i++) {
      // each write sees the ones queued before it, exactly as if applied one by one
      assertThat(join(hot.get(i)).values().get(0).value()).isEqualTo(i + 1);
    }
    cold.forEach(f -> assertThat(join(f).values().get(0).value()).isEqualTo(-2));
    assertThat(faults.writes.get()).isEqualTo(1);
    assertThat(store.get("hot").value()).isEqualTo(100);
    assertThat(registry.get("tally.write.group.size").summary().count()).isEqualTo(1);
    assertThat(registry.get("tally.write.group.size").summary().totalAmount()).isEqualTo(150);
    assertThat(writer.pendingWrites()).isZero();
  }

  @Test
  void submit_sameRequestTwiceInOneGroup_appliesOnceAndAnswersBoth() throws Exception {
    CountDownLatch release = blockReplicaThread();
    CompletableFuture<WriteOutcome> first = writer.submit(WriteRequest.increment("k", 5, "r1"));
    CompletableFuture<WriteOutcome> copy = writer.submit(WriteRequest.increment("k", 5, "r1"));
    release.countDown();

    WriteOutcome a = join(first);
    WriteOutcome b = join(copy);

    assertThat(a.deduplicated()).isFalse();
    assertThat(b.deduplicated()).isTrue();
    assertThat(b.values()).isEqualTo(a.values());
    assertThat(store.get("k").value()).isEqualTo(5);
    assertThat(registry.get("tally.dedupe.hits").counter().count()).isEqualTo(1);
  }

  @Test
  void submit_sameIdOtherRequestInOneGroup_rejectsTheSecond() throws Exception {
    CountDownLatch release = blockReplicaThread();
    CompletableFuture<WriteOutcome> first = writer.submit(WriteRequest.increment("k", 5, "r1"));
    CompletableFuture<WriteOutcome> other = writer.submit(WriteRequest.increment("k", 6, "r1"));
    release.countDown();

    assertThat(join(first).values().get(0).value()).isEqualTo(5);
    assertThat(failure(other)).isEqualTo(Reason.REQUEST_ID_REUSED);
    assertThat(store.get("k").value()).isEqualTo(5);
  }

  @Test
  void submit_repeatInLaterGroup_answersFromTheStoredRecord() {
    WriteOutcome first = join(writer.submit(WriteRequest.increment("k", 3, "r1")));
    join(writer.submit(WriteRequest.increment("k", 1, "")));

    WriteOutcome repeat = join(writer.submit(WriteRequest.increment("k", 3, "r1")));

    assertThat(repeat.deduplicated()).isTrue();
    assertThat(repeat.values()).isEqualTo(first.values());
    assertThat(store.get("k").value()).isEqualTo(4);
  }

  @Test
  void submit_batchRepeatWithOtherItems_isRejected() {
    List<CounterChange> items = List.of(CounterChange.increment("a", 1), CounterChange.decrement("b", 2));
    join(writer.submit(WriteRequest.batch(items, "b1")));

    List<CounterChange> other = List.of(CounterChange.increment("a", 1), CounterChange.decrement("b", 3));
    assertThat(failure(writer.submit(WriteRequest.batch(other, "b1")))).isEqualTo(Reason.REQUEST_ID_REUSED);
    assertThat(join(writer.submit(WriteRequest.batch(items, "b1"))).deduplicated()).isTrue();
    assertThat(store.get("b").value()).isEqualTo(-2);
  }

  @Test
  void submit_overflowInGroup_rejectsOnlyThatWrite() throws Exception {
    join(writer.submit(WriteRequest.increment("max", Long.MAX_VALUE, "")));
    CountDownLatch release = blockReplicaThread();
    CompletableFuture<WriteOutcome> before = writer.submit(WriteRequest.increment("other", 1, ""));
    CompletableFuture<WriteOutcome> over = writer.submit(WriteRequest.increment("max", 1, "o1"));
    CompletableFuture<WriteOutcome> after = writer.submit(WriteRequest.decrement("max", 1, ""));
    release.countDown();

    assertThat(failure(over)).isEqualTo(Reason.OVERFLOW);
    assertThat(join(before).values().get(0).value()).isEqualTo(1);
    assertThat(join(after).values().get(0).value()).isEqualTo(Long.MAX_VALUE - 1);
    assertThat(store.findDedupe("o1")).isEmpty();
  }

  @Test
  void submit_pastMaxPending_isShedWithoutBlocking() throws Exception {
    writer.close();
    writer = newWriter(3);
    CountDownLatch release = blockReplicaThread();
    List<CompletableFuture<WriteOutcome>> accepted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      accepted.add(writer.submit(WriteRequest.increment("k", 1, "")));
    }

    CompletableFuture<WriteOutcome> shed = writer.submit(WriteRequest.increment("k", 1, ""));

    assertThat(shed).isCompletedExceptionally();
    assertThat(failure(shed)).isEqualTo(Reason.OVERLOADED);
    release.countDown();
    accepted.forEach(GroupCommitWriterTest::join);
    assertThat(store.get("k").value()).isEqualTo(3);
    assertThat(registry.get("tally.writes.shed").counter().count()).isEqualTo(1);
  }

  @Test
  void commit_storeFails_failsTheGroupWritesNothingAndTheNextGroupWorks() {
    join(writer.submit(WriteRequest.increment("k", 1, "")));
    faults.failNext = true;

    CompletableFuture<WriteOutcome> failed = writer.submit(WriteRequest.increment("k", 10, "r-fail"));

    assertThat(failure(failed)).isEqualTo(Reason.STORAGE_FAILED);
    assertThat(store.get("k").value()).isEqualTo(1);
    assertThat(store.findDedupe("r-fail")).isEmpty();
    // The same request id can be retried and is applied exactly once.
    assertThat(join(writer.submit(WriteRequest.increment("k", 10, "r-fail"))).values().get(0).value()).isEqualTo(11);
    assertThat(join(writer.submit(WriteRequest.increment("k", 10, "r-fail"))).deduplicated()).isTrue();
    assertThat(store.get("k").value()).isEqualTo(11);
  }

  @Test
  void commit_listenerFailsAfterTheBatchIsStored_writesStandAndAreAcknowledged() {
    writer.close();
    writer = newWriter(100, changed -> {
      throw new IllegalStateException("injected: broken listener");
    });

    WriteOutcome outcome = join(writer.submit(WriteRequest.increment("k", 4, "r1")));

    assertThat(outcome.values().get(0).value()).isEqualTo(4);
    assertThat(store.get("k").value()).isEqualTo(4);
    assertThat(join(writer.submit(WriteRequest.increment("k", 4, "r1"))).deduplicated()).isTrue();
  }

  @Test
  void close_commitsQueuedWritesThenRefusesNewOnes() throws Exception {
    CountDownLatch release = blockReplicaThread();
    List<CompletableFuture<WriteOutcome>> queued = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      queued.add(writer.submit(WriteRequest.increment("k", 1, "")));
    }
    release.countDown();

    writer.close();

    queued.forEach(f -> assertThat(f).isCompleted());
    queued.forEach(GroupCommitWriterTest::join);
    assertThat(store.get("k").value()).isEqualTo(10);
    assertThat(failure(writer.submit(WriteRequest.increment("k", 1, "")))).isEqualTo(Reason.SHUTTING_DOWN);
  }

  @Test
  void dedupe_afterWindow_requestIdAppliesAgainAndSweepRemovesTheOldRecord() {
    join(writer.submit(WriteRequest.increment("k", 2, "r1")));
    clock.advance(Duration.ofMinutes(9));
    assertThat(join(writer.submit(WriteRequest.increment("k", 2, "r1"))).deduplicated()).isTrue();

    clock.advance(Duration.ofMinutes(1));
    assertThat(writer.sweepExpiredDedupe().orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(1);
    assertThat(store.findDedupe("r1")).isEmpty();
    WriteOutcome again = join(writer.submit(WriteRequest.increment("k", 2, "r1")));

    assertThat(again.deduplicated()).isFalse();
    assertThat(store.get("k").value()).isEqualTo(4);
  }

  @Test
  void dedupe_expiredButNotYetSwept_isNotUsed() {
    join(writer.submit(WriteRequest.increment("k", 2, "r1")));
    clock.advance(Duration.ofMinutes(10));

    WriteOutcome again = join(writer.submit(WriteRequest.increment("k", 7, "r1")));

    assertThat(again.deduplicated()).isFalse();
    assertThat(store.get("k").value()).isEqualTo(9);
  }

  @Test
  void submit_fromManyThreads_countsEveryWriteExactlyOnce() throws Exception {
    int threads = 4;
    int perThread = 500;
    List<CompletableFuture<WriteOutcome>> all = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          all.add(writer.submit(WriteRequest.increment("shared", 1, "t" + id + "-" + i)));
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(10_000);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> all.stream().allMatch(CompletableFuture::isDone));

    all.forEach(GroupCommitWriterTest::join);
    assertThat(store.get("shared").value()).isEqualTo((long) threads * perThread);
    assertThat(faults.writes.get()).isLessThanOrEqualTo(threads * perThread);
  }

  // ---- the pipeline: group N+1 prepared while group N is written ---------------------------

  private <T> T onReplicaThread(java.util.function.Supplier<T> body) {
    CompletableFuture<T> result = new CompletableFuture<>();
    thread.execute(() -> result.complete(body.get()));
    return result.orTimeout(10, TimeUnit.SECONDS).join();
  }

  private void awaitStagedGroups(int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> onReplicaThread(replica::stagedGroups) == n);
  }

  @Test
  void pipeline_nextGroupBuildsOnTheGroupBeingWritten_andNothingIsAcknowledgedOrVisibleBeforeItIsDurable()
      throws Exception {
    CountDownLatch release = faults.holdNextWrite();
    CompletableFuture<WriteOutcome> first = writer.submit(WriteRequest.increment("hot", 1, ""));
    faults.awaitHeld();
    CountDownLatch replicaThreadFree = blockReplicaThread(); // so the next five form one group
    List<CompletableFuture<WriteOutcome>> second = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      second.add(writer.submit(WriteRequest.increment("hot", 1, "")));
    }
    replicaThreadFree.countDown();
    awaitStagedGroups(2);

    assertThat(first).isNotDone();
    second.forEach(f -> assertThat(f).isNotDone());
    assertThat(store.get("hot").value()).as("readers see only durable states").isZero();

    release.countDown();

    assertThat(join(first).values().get(0).value()).isEqualTo(1);
    for (int i = 0; i < 5; i++) {
      assertThat(join(second.get(i)).values().get(0).value()).isEqualTo(2 + i);
    }
    assertThat(store.get("hot").value()).isEqualTo(6);
    assertThat(faults.writes.get()).isEqualTo(2);
    assertThat(onReplicaThread(replica::stagedGroups)).isZero();
  }

  @Test
  void pipeline_groupFails_theGroupBuiltOnItFailsTooAndNothingOfEitherIsWritten() throws Exception {
    join(writer.submit(WriteRequest.increment("k", 1, "")));
    CountDownLatch release = faults.holdNextWrite();
    faults.failNext = true;
    CompletableFuture<WriteOutcome> failing = writer.submit(WriteRequest.increment("k", 10, "r1"));
    faults.awaitHeld();
    CompletableFuture<WriteOutcome> builtOnIt = writer.submit(WriteRequest.increment("k", 100, "r2"));
    awaitStagedGroups(2);

    release.countDown();

    assertThat(failure(failing)).isEqualTo(Reason.STORAGE_FAILED);
    assertThat(failure(builtOnIt)).isEqualTo(Reason.STORAGE_FAILED);
    assertThat(store.get("k").value()).isEqualTo(1);
    assertThat(store.findDedupe("r1")).isEmpty();
    assertThat(store.findDedupe("r2")).isEmpty();
    // The node carries on, and the retries count exactly once.
    assertThat(join(writer.submit(WriteRequest.increment("k", 10, "r1"))).values().get(0).value()).isEqualTo(11);
    assertThat(join(writer.submit(WriteRequest.increment("k", 100, "r2"))).values().get(0).value()).isEqualTo(111);
    assertThat(join(writer.submit(WriteRequest.increment("k", 100, "r2"))).deduplicated()).isTrue();
    assertThat(store.get("k").value()).isEqualTo(111);
  }

  @Test
  void pipeline_repeatOfARequestIdStillInFlight_isAnsweredByItsGroupAndAppliedOnce() throws Exception {
    CountDownLatch release = faults.holdNextWrite();
    CompletableFuture<WriteOutcome> first = writer.submit(WriteRequest.increment("k", 5, "r1"));
    faults.awaitHeld();
    CompletableFuture<WriteOutcome> repeat = writer.submit(WriteRequest.increment("k", 5, "r1"));
    CompletableFuture<WriteOutcome> other = writer.submit(WriteRequest.increment("k", 6, "r1"));

    assertThat(failure(other)).isEqualTo(Reason.REQUEST_ID_REUSED);
    assertThat(repeat).isNotDone();
    release.countDown();

    WriteOutcome a = join(first);
    WriteOutcome b = join(repeat);
    assertThat(a.deduplicated()).isFalse();
    assertThat(b.deduplicated()).isTrue();
    assertThat(b.values()).isEqualTo(a.values());
    assertThat(store.get("k").value()).isEqualTo(5);
    assertThat(faults.writes.get()).isEqualTo(1);
  }

  @Test
  void pipeline_groupsQueuedBehindABusyWriter_shareItsNextWrite_andAtMostMaxAreInFlight() throws Exception {
    CountDownLatch release = faults.holdNextWrite();
    List<CompletableFuture<WriteOutcome>> inFlight = new ArrayList<>();
    inFlight.add(writer.submit(WriteRequest.increment("k", 1, "")));
    faults.awaitHeld();
    for (int g = 2; g <= GroupCommitWriter.MAX_GROUPS_IN_FLIGHT; g++) {
      inFlight.add(writer.submit(WriteRequest.increment("k", 1, "")));
      awaitStagedGroups(g);
    }
    List<CompletableFuture<WriteOutcome>> later = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      later.add(writer.submit(WriteRequest.increment("k", 1, "")));
    }
    // Writes queued behind a full pipeline are not handed over; they wait for a free slot.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> writer.pendingWrites() == GroupCommitWriter.MAX_GROUPS_IN_FLIGHT + 20);
    assertThat(onReplicaThread(replica::stagedGroups)).isEqualTo(GroupCommitWriter.MAX_GROUPS_IN_FLIGHT);

    release.countDown();

    for (int i = 0; i < inFlight.size(); i++) {
      assertThat(join(inFlight.get(i)).values().get(0).value()).isEqualTo(i + 1);
    }
    later.forEach(GroupCommitWriterTest::join);
    assertThat(store.get("k").value()).isEqualTo(GroupCommitWriter.MAX_GROUPS_IN_FLIGHT + 20);
    assertThat(registry.get("tally.write.group.size").summary().count())
        .isEqualTo(GroupCommitWriter.MAX_GROUPS_IN_FLIGHT + 1);
    // The held first group went alone; the groups queued behind it went together, in far fewer writes.
    assertThat(faults.writes.get()).isBetween(2, 4);
  }

  @Test
  void pipeline_mergeWhileAGroupIsInFlight_landsAfterItAndKeepsItsIncrements() throws Exception {
    List<Long> published = java.util.Collections.synchronizedList(new ArrayList<>());
    writer.close();
    writer = newWriter(100, changed -> changed.forEach(ks -> {
      if (ks.key().equals("k")) {
        published.add(ks.state().value());
      }
    }));
    replica.start().get(10, TimeUnit.SECONDS);
    join(writer.submit(WriteRequest.increment("k", 1, "")));
    CountDownLatch release = faults.holdNextWrite();
    CompletableFuture<WriteOutcome> local = writer.submit(WriteRequest.increment("k", 10, ""));
    faults.awaitHeld();
    long peer = 0x5EE5_0000_0000_0001L;
    dev.tally.peer.v1.DeltaBatch delta = dev.tally.peer.v1.DeltaBatch.newBuilder()
        .setFrom(dev.tally.peer.v1.NodeRef.newBuilder().setName("peer").setDc("dc1"))
        .addStates(dev.tally.gossip.crdt.StateMessages.toMessage("k",
            dev.tally.gossip.crdt.PnCounter.EMPTY.increment(peer, 1000, clock.currentTimeMillis())))
        .build();

    CompletableFuture<dev.tally.peer.v1.DeltaAck> ack = replica.onPushDelta(delta);

    // The merge's write waits behind the held group: no ack before it is durable.
    await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !ack.isDone());
    release.countDown();
    assertThat(ack.get(10, TimeUnit.SECONDS).getChanged()).isEqualTo(1);
    assertThat(join(local).values().get(0).value()).isEqualTo(11);
    assertThat(store.get("k").value()).isEqualTo(1011);
    assertThat(store.get("k").p(store.replicaId())).isEqualTo(11);
    assertThat(store.get("k").p(peer)).isEqualTo(1000);
    // Published in the order the states were made: Watch never goes backwards.
    assertThat(published).containsExactly(1L, 11L, 1011L);
  }
}
