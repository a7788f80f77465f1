package dev.tally.node.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.cluster.NoPeerTransport;
import dev.tally.node.cluster.SingleNodeMembership;
import dev.tally.node.config.Durability;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.testing.ManualClock;
import dev.tally.node.write.WriteException.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitWriterTest {

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(1_700_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private RocksStateStore store;
  private CountingStore counting;
  private ReplicaThread thread;
  private GroupCommitWriter writer;

  /** Counts store writes and fails the next one on request: the fault injection point. */
  static final class CountingStore implements StateStore {
    final StateStore delegate;
    final AtomicInteger writes = new AtomicInteger();
    volatile boolean failNext;

    CountingStore(StateStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public PnCounter get(String key) {
      return delegate.get(key);
    }

    @Override
    public void write(Collection<KeyState> states, StoreAttachment attachment) {
      if (failNext) {
        failNext = false;
        throw new StoreException("injected: disk full");
      }
      writes.incrementAndGet();
      delegate.write(states, attachment);
    }

    @Override
    public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
      delegate.scan(fromHash, toHashExclusive, visitor);
    }
  }

  @BeforeEach
  void setUp() {
    store = RocksStateStore.open(dir, "c", Durability.SYNC, clock);
    counting = new CountingStore(store);
    thread = new ReplicaThread("test-replica");
    writer = newWriter(10_000);
  }

  private GroupCommitWriter newWriter(int maxPending) {
    return newWriter(maxPending, ReplicaListener.NONE);
  }

  private GroupCommitWriter newWriter(int maxPending, ReplicaListener listener) {
    Replica replica = new Replica(ReplicaConfig.defaults("n", "dc1", store.replicaId()), clock, thread, counting,
        new NoPeerTransport(), new SingleNodeMembership("n", "dc1"), new SplittableRandom(1), listener);
    return new GroupCommitWriter(replica, store, thread, clock, Duration.ofMinutes(10), maxPending, registry);
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
    assertThat(counting.writes.get()).isEqualTo(1);
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
    counting.failNext = true;

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
    assertThat(counting.writes.get()).isLessThanOrEqualTo(threads * perThread);
  }
}
