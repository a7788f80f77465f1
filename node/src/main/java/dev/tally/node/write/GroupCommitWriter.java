package dev.tally.node.write;

import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.engine.PreparedWrites;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.WriteResult;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.node.storage.DedupeRecord;
import dev.tally.node.storage.DedupeRecord.AppliedValue;
import dev.tally.node.storage.DedupeRecords;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.write.WriteException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: every client write of the node passes here, and each group of queued writes
 * becomes ONE RocksDB batch with ONE fsync (under {@code durability: sync}), its dedupe records in
 * the same batch. Writes to one key inside a group coalesce into one state write (the engine's
 * {@link Replica#prepare} does that), so a hot key does not serialise on the disk.
 *
 * <p>A group is simply everything that queued while the previous group was being written and
 * synced: no timer, no added latency at low load, bigger groups (fewer fsyncs per write) as load
 * rises.
 *
 * <h2>Concurrency</h2>
 *
 * <ul>
 *   <li>{@link #submit} runs on any thread (gRPC event loops) and never blocks: it touches only
 *       {@code queue}, {@code pending}, {@code flushScheduled} and {@code closed}.
 *   <li>{@link #flush}, the dedupe sweep and the final drain of {@link #close} run on the replica
 *       thread ({@link Scheduler}); they alone read the queue's head, call the replica and the
 *       store's write side, and complete the futures (outside any lock: there are none).
 * </ul>
 *
 * <p>Futures complete on the replica thread, so their callbacks (the gRPC responses) must not
 * block.
 *
 * <h2>Overlapping write and fsync (a later step)</h2>
 *
 * A group goes through {@link #resolveDedupe}, {@link #prepare}, {@link #persist} and
 * {@link #complete}. To overlap group N's fsync with group N+1's write, {@code persist} would write
 * without sync and hand "sync, then complete group N" to a syncer thread; group N+1 may then be
 * prepared and written immediately, and is completed only after a later sync covers it. The dedupe
 * resolution stays correct because it reads the memtable, which already holds group N.
 */
public final class GroupCommitWriter implements AutoCloseable {

  /** Most writes in one group; the next group starts right after. */
  public static final int MAX_GROUP = 4096;

  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final int SWEEP_BATCH = 10_000;

  private final Replica replica;
  private final RocksStateStore store;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Duration dedupeWindow;
  private final int maxPending;

  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private volatile boolean closed;

  // replica thread only
  private Scheduler.Cancellable sweepTask;

  private final DistributionSummary groupSize;
  private final Timer commitTime;
  private final Counter dedupeHits;
  private final Counter shed;
  private final Counter dedupeSwept;

  /** A queued write and what waits for it. */
  private static final class Pending {
    final WriteRequest request;
    final CompletableFuture<WriteOutcome> future = new CompletableFuture<>();
    // replica thread only: copies of this request (same id, same request) in the same group
    List<Pending> followers;

    Pending(WriteRequest request) {
      this.request = request;
    }
  }

  /**
   * @param dedupeWindow how long an applied request id is remembered
   * @param maxPending writes queued or being written before {@link #submit} sheds load
   */
  public GroupCommitWriter(Replica replica, RocksStateStore store, Scheduler scheduler, Clock clock,
      Duration dedupeWindow, int maxPending, MeterRegistry registry) {
    this.replica = replica;
    this.store = store;
    this.scheduler = scheduler;
    this.clock = clock;
    this.dedupeWindow = dedupeWindow;
    this.maxPending = maxPending;
    this.groupSize = DistributionSummary.builder("tally.write.group.size")
        .description("Client writes taken together into one group, per group that wrote a RocksDB batch (one WAL sync)")
        .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue((double) MAX_GROUP)
        .register(registry);
    this.commitTime = Timer.builder("tally.wal.sync")
        .description("Time to write one group's batch to RocksDB, including the WAL fsync under durability=sync")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1).dividedBy(20))
        .maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
    this.dedupeHits = Counter.builder("tally.dedupe.hits")
        .description("Writes answered from a request_id seen before (nothing applied)").register(registry);
    this.shed = Counter.builder("tally.writes.shed")
        .description("Writes refused with RESOURCE_EXHAUSTED because max-pending-writes was reached").register(registry);
    this.dedupeSwept = Counter.builder("tally.dedupe.swept")
        .description("Expired dedupe index entries deleted").register(registry);
    Gauge.builder("tally.writes.pending", pending, AtomicInteger::get)
        .description("Writes queued or being committed").register(registry);
  }

  /** Starts the periodic sweep of expired dedupe records. Call once. */
  public void start() {
    scheduler.execute(this::scheduleSweep);
  }

  /**
   * Any thread, never blocks: queues a validated write. The future completes on the replica thread
   * with the values once the write is durable, or with a {@link WriteException}.
   */
  public CompletableFuture<WriteOutcome> submit(WriteRequest request) {
    if (closed) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      shed.increment();
      return CompletableFuture.failedFuture(new WriteException(Reason.OVERLOADED,
          "the node has " + maxPending + " writes pending (max-pending-writes); retry with backoff"));
    }
    Pending p = new Pending(request);
    queue.add(p);
    if (closed && queue.remove(p)) {
      // close() has drained the queue for the last time; nobody else will.
      pending.decrementAndGet();
      return CompletableFuture.failedFuture(shuttingDown());
    }
    if (flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.execute(this::flush);
      } catch (RejectedExecutionException e) {
        flushScheduled.set(false);
        if (queue.remove(p)) {
          pending.decrementAndGet();
          return CompletableFuture.failedFuture(shuttingDown());
        }
      }
    }
    return p.future;
  }

  /** Writes queued or being committed now. */
  public int pendingWrites() {
    return pending.get();
  }

  /** Replica thread: commits one group, then leaves the thread to other tasks before the next. */
  void flush() {
    // Cleared before draining: a submit that lands after this point schedules the next flush.
    flushScheduled.set(false);
    commitGroup();
    if (!queue.isEmpty() && flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.execute(this::flush);
      } catch (RejectedExecutionException e) {
        flushScheduled.set(false); // closing: close() drains what is left
      }
    }
  }

  private void commitGroup() {
    List<Pending> group = new ArrayList<>(Math.min(queue.size(), MAX_GROUP));
    for (Pending p; group.size() < MAX_GROUP && (p = queue.poll()) != null; ) {
      group.add(p);
    }
    if (group.isEmpty()) {
      return;
    }
    try {
      List<Pending> leaders = resolveDedupe(group);
      if (!leaders.isEmpty()) {
        PreparedWrites prepared = prepare(leaders);
        List<Object> outcomes = outcomes(leaders, prepared);
        persist(prepared, records(leaders, outcomes));
        groupSize.record(group.size());
        complete(leaders, outcomes);
      }
    } catch (RuntimeException e) {
      // The store failed (nothing of this group was written) or an invariant broke: fail what is
      // still open; the node carries on with the next group.
      log.error("write group of {} failed; nothing of it was written", group.size(), e);
      WriteException failure = new WriteException(Reason.STORAGE_FAILED,
          "the write could not be stored, nothing was applied: " + e.getMessage(), -1, e);
      for (Pending p : group) {
        fail(p, failure);
      }
    } finally {
      pending.addAndGet(-group.size());
    }
  }

  /**
   * Answers repeats of known request ids from their records, rejects reused ids, attaches copies of
   * one request inside the group to its first occurrence, and returns the writes to apply.
   */
  private List<Pending> resolveDedupe(List<Pending> group) {
    long now = clock.currentTimeMillis();
    List<Pending> leaders = new ArrayList<>(group.size());
    Map<String, Pending> firstById = new HashMap<>();
    for (Pending p : group) {
      WriteRequest req = p.request;
      if (!req.hasRequestId()) {
        leaders.add(p);
        continue;
      }
      Pending first = firstById.get(req.requestId());
      if (first != null) {
        if (req.sameRequestAs(first.request)) {
          if (first.followers == null) {
            first.followers = new ArrayList<>(1);
          }
          first.followers.add(p);
          dedupeHits.increment();
        } else {
          fail(p, reused(req, first.request.describe()));
        }
        continue;
      }
      Optional<DedupeRecord> record = store.findDedupe(req.requestId());
      if (record.isPresent() && record.get().liveAt(now)) {
        DedupeRecord r = record.get();
        if (req.sameRequestAs(r)) {
          dedupeHits.increment();
          p.future.complete(new WriteOutcome(r.results(), true));
        } else {
          fail(p, reused(req, WriteRequest.describe(r.kind(), r.key(), r.amount())));
        }
        continue;
      }
      firstById.put(req.requestId(), p);
      leaders.add(p);
    }
    return leaders;
  }

  private PreparedWrites prepare(List<Pending> leaders) {
    List<LocalWrite> writes = new ArrayList<>(leaders.size());
    for (Pending p : leaders) {
      writes.add(p.request.write());
    }
    return replica.prepare(writes);
  }

  /** Per leader: the values (a {@code List<AppliedValue>}) or the {@link WriteException}. */
  private static List<Object> outcomes(List<Pending> leaders, PreparedWrites prepared) {
    List<Object> out = new ArrayList<>(leaders.size());
    for (int i = 0; i < leaders.size(); i++) {
      WriteResult result = prepared.results().get(i);
      if (result instanceof WriteResult.Overflow overflow) {
        out.add(new WriteException(Reason.OVERFLOW, overflow.message(), overflow.changeIndex(), null));
        continue;
      }
      List<KeyState> states = ((WriteResult.Applied) result).states();
      List<AppliedValue> values = new ArrayList<>(states.size());
      for (KeyState ks : states) {
        try {
          values.add(new AppliedValue(ks.state().value(), ks.state().updatedAtMillis()));
        } catch (CounterOverflowException e) {
          // prepare() checks the value of every state it builds; reaching this is a bug.
          throw new AssertionError("prepared state of '" + ks.key() + "' has no 64-bit value", e);
        }
      }
      out.add(values);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private StoreAttachment records(List<Pending> leaders, List<Object> outcomes) {
    List<DedupeRecord> records = new ArrayList<>();
    long now = clock.currentTimeMillis();
    long expiresAt = now + dedupeWindow.toMillis();
    long replicaId = replica.config().replicaId();
    for (int i = 0; i < leaders.size(); i++) {
      WriteRequest req = leaders.get(i).request;
      if (req.hasRequestId() && outcomes.get(i) instanceof List<?> values) {
        records.add(new DedupeRecord(req.requestId(), req.kind(), req.key(), req.batchFingerprint(), req.amount(),
            replicaId, now, expiresAt, (List<AppliedValue>) values));
      }
    }
    return records.isEmpty() ? StoreAttachment.NONE : new DedupeRecords(records);
  }

  /**
   * The one atomic (and, under sync durability, fsynced) batch of the group. A
   * {@link dev.tally.gossip.store.StoreException} means nothing was written and propagates; any
   * other failure comes from the change listeners, after the batch was durable, so the writes
   * stand and are acknowledged.
   */
  private void persist(PreparedWrites prepared, StoreAttachment attachment) {
    long start = System.nanoTime();
    try {
      replica.commit(prepared, attachment);
    } catch (dev.tally.gossip.store.StoreException e) {
      throw e;
    } catch (RuntimeException e) {
      log.error("a change listener failed after the group was stored; the writes stand", e);
    }
    commitTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  @SuppressWarnings("unchecked")
  private static void complete(List<Pending> leaders, List<Object> outcomes) {
    for (int i = 0; i < leaders.size(); i++) {
      Pending p = leaders.get(i);
      Object o = outcomes.get(i);
      if (o instanceof WriteException e) {
        fail(p, e);
        continue;
      }
      List<AppliedValue> values = (List<AppliedValue>) o;
      p.future.complete(new WriteOutcome(values, false));
      if (p.followers != null) {
        for (Pending f : p.followers) {
          f.future.complete(new WriteOutcome(values, true));
        }
      }
    }
  }

  private static void fail(Pending p, WriteException e) {
    p.future.completeExceptionally(e);
    if (p.followers != null) {
      for (Pending f : p.followers) {
        f.future.completeExceptionally(e);
      }
    }
  }

  private static WriteException reused(WriteRequest req, String earlier) {
    return new WriteException(Reason.REQUEST_ID_REUSED, "request_id '" + req.requestId()
        + "' was already used for a different request (" + earlier + "); this call is " + req.describe()
        + ", so nothing was applied; give each new request its own request_id");
  }

  private static WriteException shuttingDown() {
    return new WriteException(Reason.SHUTTING_DOWN, "the node is shutting down; nothing was applied, retry on another node");
  }

  // ---- dedupe sweep ------------------------------------------------------------------------

  private void scheduleSweep() {
    if (closed) {
      return;
    }
    long millis = Math.max(1000, Math.min(60_000, dedupeWindow.toMillis() / 10));
    try {
      sweepTask = scheduler.schedule(Duration.ofMillis(millis), () -> {
        sweepOnce();
        scheduleSweep();
      });
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /** Replica thread: one bounded sweep; the caller reschedules. */
  private int sweepOnce() {
    int total = 0;
    int removed;
    do {
      removed = store.sweepExpiredDedupe(clock.currentTimeMillis(), SWEEP_BATCH);
      total += removed;
    } while (removed == SWEEP_BATCH && queue.isEmpty());
    // With writes waiting, the rest waits for the next sweep: client writes come first.
    dedupeSwept.increment(total);
    return total;
  }

  /** Runs a sweep now on the replica thread; completes with the number of expired entries removed. */
  public CompletableFuture<Integer> sweepExpiredDedupe() {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    scheduler.execute(() -> {
      try {
        done.complete(sweepOnce());
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Stops accepting writes, commits every write already queued (waiting up to 10 seconds), and
   * stops the sweep. The replica thread itself belongs to the caller.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    CompletableFuture<Void> drained = new CompletableFuture<>();
    try {
      scheduler.execute(() -> {
        if (sweepTask != null) {
          sweepTask.cancel();
        }
        while (!queue.isEmpty()) {
          commitGroup();
        }
        drained.complete(null);
      });
      drained.get(10, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      log.warn("final flush did not finish: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pending p; (p = queue.poll()) != null; ) {
      pending.decrementAndGet();
      p.future.completeExceptionally(shuttingDown());
    }
  }
}
