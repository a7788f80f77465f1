package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.testing.TestMembership;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReadStatesRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The node's threading: one real replica thread behind the Scheduler, gRPC-like threads calling
 * the handlers concurrently, local writes submitted as tasks. Every change lands exactly once.
 */
class ReplicaThreadingTest {
  private static final int CALLERS = 4;
  private static final int CALLS = 200;
  private static final int KEYS = 20;

  /** A Scheduler over one platform thread, as the node's group-commit writer provides. */
  private static final class ThreadScheduler implements Scheduler {
    final ScheduledThreadPoolExecutor executor;
    volatile Thread thread;

    ThreadScheduler() {
      executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "replica");
        thread = t;
        return t;
      });
      // The replica's timers are hours away: shutting down must not wait for them.
      executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public void execute(Runnable task) {
      executor.execute(task);
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      var f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    }

    @Override
    public boolean inThread() {
      return Thread.currentThread() == thread;
    }
  }

  @Test
  void handlersCalledFromManyThreads_applyEveryChangeExactlyOnce() throws Exception {
    ThreadScheduler scheduler = new ThreadScheduler();
    ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
    AtomicLong now = new AtomicLong(1_000_000_000L);
    Clock clock = new Clock() {
      @Override
      public long currentTimeMillis() {
        return now.get() / 1_000_000;
      }

      @Override
      public long nanoTime() {
        return now.incrementAndGet();
      }
    };
    PeerTransport unused = new PeerTransport() {
      @Override
      public CompletableFuture<dev.tally.peer.v1.DeltaAck> pushDelta(String peer, DeltaBatch batch) {
        return CompletableFuture.failedFuture(new IllegalStateException("no network in this test"));
      }

      @Override
      public CompletableFuture<dev.tally.peer.v1.DigestResponse> compareDigest(String p, dev.tally.peer.v1.DigestRequest r) {
        return CompletableFuture.failedFuture(new IllegalStateException("no network in this test"));
      }

      @Override
      public CompletableFuture<dev.tally.peer.v1.BucketSyncResponse> syncBuckets(String p, dev.tally.peer.v1.BucketSyncRequest r) {
        return CompletableFuture.failedFuture(new IllegalStateException("no network in this test"));
      }

      @Override
      public CompletableFuture<dev.tally.peer.v1.ReadStatesResponse> readStates(String p, ReadStatesRequest r) {
        return CompletableFuture.failedFuture(new IllegalStateException("no network in this test"));
      }
    };
    InMemoryStateStore store = new InMemoryStateStore();
    TestMembership membership = new TestMembership(new Member("a2", "A", MemberState.ALIVE));
    // a1 lives in another DC: a2 is alone in its own, so it counts as caught up and answers ReadStates.
    membership.set(new Member("a1", "B", MemberState.DEAD));
    Replica replica = new Replica(dev.tally.gossip.testing.TestCluster.quiet("a2", "A", 1), clock, scheduler, store,
        unused, membership, new SplittableRandom(1), changed -> {});
    try {
      replica.start().get(10, TimeUnit.SECONDS);
      NodeRef from = NodeRef.newBuilder().setName("a1").setDc("B").build();
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        long replicaId = 100 + t;
        all.add(CompletableFuture.runAsync(() -> {
          List<CompletableFuture<?>> mine = new ArrayList<>();
          for (int i = 1; i <= CALLS; i++) {
            // Absolute totals: call i says replica r wrote i to key i % KEYS so far... twice for good measure.
            String key = "k" + (i % KEYS);
            long total = (i + KEYS - 1) / KEYS;
            DeltaBatch batch = DeltaBatch.newBuilder().setFrom(from)
                .addStates(StateMessages.toMessage(key, PnCounter.of(List.of(new PnCounter.Entry(replicaId, total, 0, i)))))
                .build();
            mine.add(replica.onPushDelta(batch));
            mine.add(replica.onPushDelta(batch));
            mine.add(replica.onReadStates(ReadStatesRequest.newBuilder().setFrom(from).addKeys(key).build()));
          }
          CompletableFuture.allOf(mine.toArray(new CompletableFuture<?>[0])).join();
        }, callers));
      }
      for (int i = 0; i < CALLS; i++) {
        String key = "k" + (i % KEYS);
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
          replica.commit(replica.prepare(List.of(LocalWrite.of(CounterChange.increment(key, 1)))), StoreAttachment.NONE);
          done.complete(null);
        });
        all.add(done);
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);

      long perKeyFromPeers = (long) CALLERS * CALLS / KEYS;
      long perKeyLocal = CALLS / KEYS;
      for (int k = 0; k < KEYS; k++) {
        assertThat(replica.read("k" + k).value()).as("k" + k).isEqualTo(perKeyFromPeers + perKeyLocal);
      }
      CompletableFuture<long[]> roots = new CompletableFuture<>();
      scheduler.execute(() -> roots.complete(new long[] {
          replica.digestTree().root(), DigestTree.build(replica.digestTree().depth(), store).root()}));
      long[] r = roots.get(10, TimeUnit.SECONDS);
      assertThat(r[0]).as("incremental digest equals a rebuild after concurrent merges").isEqualTo(r[1]);
    } finally {
      replica.close();
      callers.shutdownNow();
      scheduler.executor.shutdown();
      assertThat(scheduler.executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
