package dev.tally.gossip.write;

import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.engine.PreparedWrites;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.WriteResult;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.WriteException.Reason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * <p>A group is everything that queued while the groups before it were being written: no timer,
 * no added latency at low load, bigger groups (fewer fsyncs per write) as load rises.
 *
 * <h2>Pipeline: the next group is prepared while this one is written</h2>
 *
 * A group goes through {@link #resolveDedupe}, {@link #prepare}, then {@link
 * WriteStore#writeAsync} (the store's one writer thread writes and fsyncs it) and
 * {@link Replica#stage}; the replica thread is then free to prepare the next group, which builds
 * on the staged states, while the writer thread syncs. Groups handed over while the writer is
 * busy are written together in its next write (one fsync), so the disk never idles and each fsync
 * carries everything that arrived during the previous one; at most {@link #MAX_GROUPS_IN_FLIGHT}
 * are in flight. When a group is durable, the writer thread hands it back and the replica thread
 * publishes it (the replica settles staged writes in store order: digest, deltas, Watch) and only
 * then completes its futures. Nothing is acknowledged or visible before it is durable (the store shows a synced
 * write to readers only after its fsync), and all store writes, merges included, are written in
 * order by that one thread.
 *
 * <p>A failed group fails its writes, and so does every write staged after it (groups and merges
 * were built on its states; the store skips them): the replica drops them all in one step, in the
 * store's order, before {@link WriteStore#clearFailedWrites} lets the next group be written (see
 * {@link Replica#stage}). A failed write was not acknowledged; it is counted at most once (a disk
 * whose fsync failed may still replay it after a restart), so a client retries it with the same
 * request id.
 *
 * <p>Dedupe: a repeat of a request id whose group is still in flight is answered by that group
 * when it completes ({@code inFlightIds}), since the store shows the record only once durable.
 *
 * <h2>Failover steps</h2>
 *
 * Exactly-once across failover (package {@code failover}) runs its steps here, as {@link
 * WriteRole}s of a request, so each is ordered and atomic with the dedupe records: {@link
 * #beginResolution} marks a request id as being resolved with other nodes ({@code resolving});
 * attempts of it that arrive meanwhile wait for the resolution's final write ({@link
 * WriteRole.ApplyAfterResolution} or {@link WriteRole.AppliedElsewhere}) and get its outcome. A
 * {@link WriteRole.Fence} asked for by another node answers with this node's record (or in-flight
 * attempt), or writes a fence: from then on every attempt of the id here is refused with {@link
 * Reason#FENCED}, including one being resolved here. A {@link WriteRole.Settle} rewrites a record
 * that waited for prior nodes, with its compensation in the same write.
 *
 * <h2>Concurrency</h2>
 *
 * <ul>
 *   <li>{@link #submit} runs on any thread (gRPC event loops) and never blocks: it touches only
 *       {@code queue}, {@code pending}, {@code flushScheduled} and {@code closed}.
 *   <li>{@link #flush}, group completion, the dedupe sweep and the final drain of {@link #close}
 *       run on the replica thread ({@link Scheduler}); they alone touch {@code inFlight},
 *       {@code inFlightIds}, read the queue's head, call the replica and submit store writes, and
 *       complete the futures (outside any lock: there are none).
 *   <li>The store's writer thread only completes a group's write future; the continuation hops to
 *       the replica thread.
 * </ul>
 *
 * <p>Futures complete on the replica thread, so their callbacks (the gRPC responses) must not
 * block.
 */
public final class GroupCommitWriter implements AutoCloseable {

  /** Most writes in one group; the next group starts right after. */
  public static final int MAX_GROUP = 4096;
  /** Most counter changes in one group (a batch write has up to 1000), so one group stays one modest batch. */
  public static final int MAX_GROUP_CHANGES = 65_536;
  /**
   * Groups handed to the store and not yet completed. The store's writer thread writes the groups
   * queued while it was busy as one write with one fsync, so a group handed over behind a waiting
   * one effectively joins it; the bound keeps staged (not yet durable) state and latency in check.
   */
  public static final int MAX_GROUPS_IN_FLIGHT = 8;

  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final int SWEEP_BATCH = 10_000;

  private final Replica replica;
  private final WriteStore store;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Duration dedupeWindow;
  private final int maxPending;
  private final long maxPendingBytes;

  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  /** Estimated memory of the writes counted in {@code pending} ({@link #estimatedBytes}); any thread. */
  private final java.util.concurrent.atomic.AtomicLong pendingBytes = new java.util.concurrent.atomic.AtomicLong();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private volatile boolean closed;
  /** While non-null, why writes are refused before they are queued (the node is still starting). */
  private volatile String notWritableYet;

  // replica thread only
  private Scheduler.Cancellable sweepTask;
  private long lastSweepFailureLog;
  private long lastFailureLog;
  private long failedSinceLog;
  private final ArrayDeque<Group> inFlight = new ArrayDeque<>();
  private final Map<String, Pending> inFlightIds = new HashMap<>();
  private final Map<String, Resolution> resolving = new HashMap<>();

  /** A request id being resolved with prior nodes, and the attempts of it that wait (replica thread only). */
  private static final class Resolution {
    final WriteRequest request;
    final List<Pending> parked = new ArrayList<>(1);
    /** Set when another node's fence landed meanwhile: the resolution's final write is refused. */
    String fencedBy;

    Resolution(WriteRequest request) {
      this.request = request;
    }
  }

  /**
   * What {@link #beginResolution} found: either the resolution is this caller's to run ({@link
   * #started}), or the request id is already settled or in progress here and {@code outcome}
   * completes with its answer. {@code token} names the resolution for {@link #endResolution}.
   */
  public record Begin(boolean started, CompletableFuture<WriteOutcome> outcome, Object token) {}

  private final WriteMetrics metrics;

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

  /** A group handed to the store: what completes when its write is durable (replica thread only). */
  private static final class Group {
    final List<Pending> all;
    final List<Pending> leaders;
    final PreparedWrites prepared;
    final List<Object> outcomes;
    /** The store's write. */
    final CompletableFuture<Long> written;
    /** The replica's verdict: published (durable), or dropped (not written). */
    final CompletableFuture<Long> settled;

    Group(List<Pending> all, List<Pending> leaders, PreparedWrites prepared, List<Object> outcomes,
        CompletableFuture<Long> written, CompletableFuture<Long> settled) {
      this.all = all;
      this.leaders = leaders;
      this.prepared = prepared;
      this.outcomes = outcomes;
      this.written = written;
      this.settled = settled;
    }
  }

  /**
   * @param dedupeWindow how long an applied request id is remembered
   * @param maxPending writes queued or being written before {@link #submit} sheds load
   */
  public GroupCommitWriter(Replica replica, WriteStore store, Scheduler scheduler, Clock clock,
      Duration dedupeWindow, int maxPending, WriteMetrics metrics) {
    this(replica, store, scheduler, clock, dedupeWindow, maxPending, Long.MAX_VALUE, metrics);
  }

  /**
   * @param maxPendingBytes estimated bytes of the writes queued or being written (see {@link
   *     #estimatedBytes}) before {@link #submit} sheds load: the count alone lets a few large
   *     batches hold far more memory than {@code maxPending} small writes would
   */
  public GroupCommitWriter(Replica replica, WriteStore store, Scheduler scheduler, Clock clock,
      Duration dedupeWindow, int maxPending, long maxPendingBytes, WriteMetrics metrics) {
    if (maxPendingBytes < 1) {
      throw new IllegalArgumentException("maxPendingBytes must be >= 1, got " + maxPendingBytes);
    }
    this.maxPendingBytes = maxPendingBytes;
    this.replica = replica;
    this.store = store;
    this.scheduler = scheduler;
    this.clock = clock;
    this.dedupeWindow = dedupeWindow;
    this.maxPending = maxPending;
    this.metrics = metrics;
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
    WriteException refused = refusedUpFront();
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      metrics.shed();
      return CompletableFuture.failedFuture(new WriteException(Reason.OVERLOADED,
          "the node has " + maxPending + " writes pending (max-pending-writes); retry with backoff"));
    }
    long bytes = estimatedBytes(request);
    if (pendingBytes.addAndGet(bytes) > maxPendingBytes && bytes < pendingBytes.get()) {
      // A write alone larger than the limit still goes when nothing else waits, so no valid
      // request is refused forever; the limit bounds what queues behind it.
      pendingBytes.addAndGet(-bytes);
      pending.decrementAndGet();
      metrics.shed();
      return CompletableFuture.failedFuture(new WriteException(Reason.OVERLOADED,
          "the node has " + maxPendingBytes + " bytes of writes pending (max-pending-write-bytes); retry with backoff"));
    }
    Pending p = new Pending(request);
    // Every path that ends a queued write completes its future: the bytes are released there.
    p.future.whenComplete((outcome, error) -> pendingBytes.addAndGet(-bytes));
    queue.add(p);
    if (closed && queue.remove(p)) {
      // close() has drained the queue for the last time; nobody else will.
      pending.decrementAndGet();
      p.future.completeExceptionally(shuttingDown());
      return p.future;
    }
    if (flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.execute(this::flush);
      } catch (RejectedExecutionException e) {
        flushScheduled.set(false);
        if (queue.remove(p)) {
          pending.decrementAndGet();
          p.future.completeExceptionally(shuttingDown());
          return p.future;
        }
      }
    }
    return p.future;
  }

  /** Why a write is refused before it is queued (closing, or still starting); null when it is not. */
  private WriteException refusedUpFront() {
    if (closed) {
      return shuttingDown();
    }
    String notYet = notWritableYet;
    if (notYet != null) {
      return new WriteException(Reason.STARTING,
          "the node is starting (" + notYet + "); nothing was applied, retry shortly or on another node");
    }
    return null;
  }

  /**
   * Refuses every write with {@link Reason#STARTING} until {@link #acceptWrites}: a node must not
   * write under its replica id before it knows it may keep it.
   */
  public void refuseWritesUntilAccepted(String why) {
    notWritableYet = why;
  }

  public void acceptWrites() {
    notWritableYet = null;
  }

  /** Writes queued or being committed now. */
  public int pendingWrites() {
    return pending.get();
  }

  /** Estimated bytes of the writes queued or being committed now. */
  public long pendingWriteBytes() {
    return pendingBytes.get();
  }

  /**
   * What a queued write holds in memory, roughly: its keys and request id as UTF-16 strings plus a
   * fixed cost per change (the change, its coalescing slot, its state and dedupe record) and per
   * request (the queue node, futures, the outcome).
   */
  public static long estimatedBytes(WriteRequest request) {
    long bytes = 256 + 2L * request.requestId().length();
    for (dev.tally.gossip.engine.CounterChange c : request.write().changes()) {
      bytes += 128 + 2L * c.key().length();
    }
    return bytes;
  }

  /**
   * Replica thread: starts one group, then leaves the thread to other tasks before the next. With
   * {@link #MAX_GROUPS_IN_FLIGHT} groups handed over already, it waits for the oldest to complete
   * (which flushes again) and lets the queue grow into a bigger group meanwhile.
   */
  void flush() {
    if (inFlight.size() >= MAX_GROUPS_IN_FLIGHT) {
      // Stays set, so submits do not queue flushes that could do nothing; a completion flushes.
      flushScheduled.set(true);
      return;
    }
    // Cleared before draining: a submit that lands after this point schedules the next flush.
    flushScheduled.set(false);
    startGroup();
    if (queue.isEmpty()) {
      return;
    }
    if (inFlight.size() >= MAX_GROUPS_IN_FLIGHT) {
      flushScheduled.set(true);
    } else if (flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.execute(this::flush);
      } catch (RejectedExecutionException e) {
        flushScheduled.set(false); // closing: close() drains what is left
      }
    }
  }

  /** Replica thread: takes the next group from the queue and hands it to the store. */
  private void startGroup() {
    List<Pending> group = new ArrayList<>(Math.min(queue.size(), MAX_GROUP));
    int changes = 0;
    for (Pending p; group.size() < MAX_GROUP && changes < MAX_GROUP_CHANGES && (p = queue.poll()) != null; ) {
      group.add(p);
      changes += p.request.applied().changes().size();
    }
    if (group.isEmpty()) {
      return;
    }
    boolean handedOver = false;
    try {
      List<Pending> leaders = resolveDedupe(group);
      if (leaders.isEmpty()) {
        return;
      }
      PreparedWrites prepared = prepare(leaders);
      List<Object> outcomes = outcomes(leaders, prepared);
      StoreAttachment records = records(leaders, outcomes);
      if (prepared.after().isEmpty() && records == StoreAttachment.NONE) {
        // Every write of the group was refused (overflow): nothing to store.
        complete(leaders, outcomes);
        return;
      }
      CompletableFuture<Long> written = store.writeAsync(prepared.after(), records);
      CompletableFuture<Long> settled = replica.stage(prepared, written);
      Group g = new Group(group, leaders, prepared, outcomes, written, settled);
      for (Pending p : leaders) {
        if (p.request.hasRequestId() && !(p.request.role() instanceof WriteRole.Settle)) {
          inFlightIds.put(p.request.requestId(), p);
        }
      }
      inFlight.addLast(g);
      handedOver = true;
      settled.whenComplete((nanos, error) -> onSettled());
    } catch (RuntimeException e) {
      // The store refused the group (nothing of it was written) or an invariant broke: fail what is
      // still open; the node carries on with the next group.
      logGroupFailure(group.size(), e);
      WriteException failure = storageFailed(e);
      for (Pending p : group) {
        fail(p, failure);
      }
    } finally {
      if (!handedOver) {
        pending.addAndGet(-group.size());
      }
    }
  }

  /**
   * Replica thread, inside the replica's settling of staged writes: a group is published or
   * dropped. Completing it is a task of its own, so client callbacks and the next group never run
   * in the middle of the replica's bookkeeping.
   */
  private void onSettled() {
    try {
      scheduler.execute(this::completeWritten);
    } catch (RejectedExecutionException e) {
      // Only after close() gave up waiting: the replica thread is gone; close() fails what is left.
      log.warn("a write group finished after the replica thread stopped");
    }
  }

  /** Replica thread: completes, oldest first, every handed-over group whose write has finished. */
  private void completeWritten() {
    while (!inFlight.isEmpty() && inFlight.peekFirst().settled.isDone()) {
      completeGroup(inFlight.pollFirst());
    }
    // A flush that found no free slot left flushScheduled set and is waiting for this. Clear it
    // before looking at the queue: a submit after the clear schedules its own flush, one before it
    // is in the queue now.
    flushScheduled.set(false);
    if (!queue.isEmpty()) {
      flush();
    }
  }

  private void completeGroup(Group g) {
    for (Pending p : g.leaders) {
      if (p.request.hasRequestId()) {
        inFlightIds.remove(p.request.requestId(), p);
      }
    }
    try {
      Long nanos;
      try {
        nanos = g.settled.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        // Nothing of this group was written; the replica dropped it and everything staged after it.
        logGroupFailure(g.all.size(), cause);
        metrics.groupFailed(g.all.size());
        WriteException failure = storageFailed(cause);
        for (Pending p : g.all) {
          fail(p, failure);
        }
        return;
      }
      metrics.groupDurable(g.all.size(), nanos);
      complete(g.leaders, g.outcomes);
    } finally {
      pending.addAndGet(-g.all.size());
    }
  }

  /**
   * A failing disk fails every group: one line with the cause at once, then at most one per 10
   * seconds with the number failed meanwhile, so the log stays readable while the disk is full.
   */
  private void logGroupFailure(int writes, Throwable cause) {
    long now = clock.nanoTime();
    failedSinceLog += writes;
    if (lastFailureLog != 0 && now - lastFailureLog < TimeUnit.SECONDS.toNanos(10)) {
      return;
    }
    lastFailureLog = now;
    if (cause instanceof dev.tally.gossip.store.StoreException) {
      log.error("{} writes failed because the store could not write them (not acknowledged): {}", failedSinceLog,
          cause.getMessage());
    } else {
      log.error("{} writes failed because the store could not write them (not acknowledged)", failedSinceLog, cause);
    }
    failedSinceLog = 0;
  }

  private static WriteException storageFailed(Throwable e) {
    // A write skipped because an earlier one failed names that failure: it is what the client and
    // the operator need to know (a full disk, an I/O error).
    String why = String.valueOf(e.getMessage());
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != e && root.getMessage() != null && !why.contains(root.getMessage())) {
      why = why + ": " + root.getMessage();
    }
    return new WriteException(Reason.STORAGE_FAILED,
        "the write could not be stored (" + why + "); it was not acknowledged and is counted at most once: "
            + "retry with the same request_id", -1, e);
  }

  /**
   * Answers repeats of known request ids from their records, rejects reused ids, attaches copies of
   * one request inside the group to its first occurrence, runs the failover steps' checks (see the
   * class comment), and returns the writes to apply.
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
      WriteRole role = req.role();
      if (role instanceof WriteRole.Settle settle) {
        WriteException stale = staleSettle(settle, firstById.containsKey(req.requestId()));
        if (stale != null) {
          fail(p, stale);
        } else {
          leaders.add(p);
        }
        continue;
      }
      if (role instanceof WriteRole.ApplyAfterResolution || role instanceof WriteRole.AppliedElsewhere) {
        // The resolution's final write: attempts that waited for it get its outcome.
        Resolution r = resolving.remove(req.requestId());
        if (r != null && !r.parked.isEmpty()) {
          p.followers = new ArrayList<>(r.parked);
        }
        if (r == null) {
          fail(p, new WriteException(Reason.STALE, "request id '" + req.requestId() + "' is not being resolved here"));
        } else if (r.fencedBy != null) {
          fail(p, fenced(req, r.fencedBy));
        } else {
          firstById.put(req.requestId(), p);
          leaders.add(p);
        }
        continue;
      }
      Pending first = firstById.get(req.requestId());
      if (first == null) {
        // Its group is being written: answered with that group's outcome when it completes.
        first = inFlightIds.get(req.requestId());
      }
      if (first != null) {
        follow(first, p);
        continue;
      }
      Resolution r = resolving.get(req.requestId());
      if (r != null) {
        if (!req.sameRequestAs(r.request)) {
          fail(p, reused(req, r.request.describe()));
        } else if (role instanceof WriteRole.Fence f) {
          // Another node resolves it too: the fence wins, the resolution here gives up.
          r.fencedBy = f.handler();
          firstById.put(req.requestId(), p);
          leaders.add(p);
        } else {
          r.parked.add(p);
        }
        continue;
      }
      Optional<DedupeRecord> record = store.findDedupe(req.requestId());
      if (record.isPresent() && record.get().liveAt(now)) {
        answerFromRecord(p, record.get());
        continue;
      }
      firstById.put(req.requestId(), p);
      leaders.add(p);
    }
    return leaders;
  }

  /** {@code p} repeats the request id of {@code first} (same group or in flight): it gets first's outcome. */
  private void follow(Pending first, Pending p) {
    WriteRequest req = p.request;
    if (!req.sameRequestAs(first.request)) {
      fail(p, reused(req, first.request.describe()));
      return;
    }
    if (first.request.role() instanceof WriteRole.Fence f && !(req.role() instanceof WriteRole.Fence)) {
      fail(p, fenced(req, f.handler()));
      return;
    }
    if (first.followers == null) {
      first.followers = new ArrayList<>(1);
    }
    first.followers.add(p);
    if (req.role() instanceof WriteRole.Plain) {
      metrics.dedupeHit();
    }
  }

  /** A repeat of a recorded request id: the record's values, a refusal if fenced, or an error if reused. */
  private void answerFromRecord(Pending p, DedupeRecord r) {
    WriteRequest req = p.request;
    if (!req.sameRequestAs(r)) {
      fail(p, reused(req, WriteRequest.describe(r.kind(), r.key(), r.amount())));
    } else if (r.disposition() == DedupeRecord.Disposition.FENCED && !(req.role() instanceof WriteRole.Fence)) {
      fail(p, fenced(req, r.node()));
    } else {
      if (req.role() instanceof WriteRole.Plain) {
        metrics.dedupeHit();
      }
      p.future.complete(new WriteOutcome(r.results(), true));
    }
  }

  /** Null when a settle may go ahead: the record is still the one it was decided on. */
  private WriteException staleSettle(WriteRole.Settle settle, boolean sameIdInGroup) {
    String id = settle.current().requestId();
    Optional<DedupeRecord> now = store.findDedupe(id);
    if (sameIdInGroup || inFlightIds.containsKey(id) || now.isEmpty()
        || now.get().disposition() != DedupeRecord.Disposition.APPLIED
        || !now.get().unresolved().equals(settle.current().unresolved())) {
      return new WriteException(Reason.STALE, "the record of request id '" + id + "' changed before it was settled");
    }
    return null;
  }

  /**
   * Replica thread, from any thread: marks a request id as being resolved with its prior nodes,
   * unless this node already settled it or is settling it (then {@link Begin#outcome} answers).
   * The caller, having started, must end it with a write in role {@link
   * WriteRole.ApplyAfterResolution} or {@link WriteRole.AppliedElsewhere}, or with {@link
   * #endResolution}.
   */
  public CompletableFuture<Begin> beginResolution(WriteRequest request) {
    WriteException refused = refusedUpFront();
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    CompletableFuture<Begin> begin = new CompletableFuture<>();
    try {
      scheduler.execute(() -> {
        try {
          begin.complete(beginOnReplicaThread(request));
        } catch (RuntimeException e) {
          begin.completeExceptionally(e instanceof WriteException ? e : storageFailed(e));
        }
      });
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
    return begin;
  }

  private Begin beginOnReplicaThread(WriteRequest req) {
    Pending p = new Pending(req);
    Begin answered = new Begin(false, p.future, null);
    Pending first = inFlightIds.get(req.requestId());
    if (first != null) {
      follow(first, p);
      return answered;
    }
    Resolution r = resolving.get(req.requestId());
    if (r != null) {
      if (!req.sameRequestAs(r.request)) {
        fail(p, reused(req, r.request.describe()));
      } else {
        r.parked.add(p);
      }
      return answered;
    }
    Optional<DedupeRecord> record = store.findDedupe(req.requestId());
    if (record.isPresent() && record.get().liveAt(clock.currentTimeMillis())) {
      answerFromRecord(p, record.get());
      return answered;
    }
    Resolution started = new Resolution(req);
    resolving.put(req.requestId(), started);
    return new Begin(true, null, started);
  }

  /**
   * Any thread: ends a resolution that will not write (it was refused or failed): the attempts
   * that waited for it fail with {@code failure}. Does nothing if its final write already ended it.
   */
  public void endResolution(String requestId, Object token, WriteException failure) {
    try {
      scheduler.execute(() -> {
        if (resolving.get(requestId) == token) {
          Resolution r = resolving.remove(requestId);
          for (Pending p : r.parked) {
            fail(p, failure);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      // closing: close() fails what still waits
    }
  }

  /** Request ids being resolved with prior nodes right now (replica thread; for tests and status). */
  int resolvingNow() {
    return resolving.size();
  }

  private PreparedWrites prepare(List<Pending> leaders) {
    List<LocalWrite> writes = new ArrayList<>(leaders.size());
    for (Pending p : leaders) {
      writes.add(p.request.applied());
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
      WriteRole role = leaders.get(i).request.role();
      if (role instanceof WriteRole.AppliedElsewhere elsewhere) {
        out.add(elsewhere.values());
        continue;
      }
      if (role instanceof WriteRole.Fence) {
        out.add(List.of());
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
    List<DedupeRecords.StaleIndex> stale = List.of();
    long now = clock.currentTimeMillis();
    long window = dedupeWindow.toMillis();
    long expiresAt = now + window;
    long replicaId = replica.replicaId();
    for (int i = 0; i < leaders.size(); i++) {
      WriteRequest req = leaders.get(i).request;
      if (!req.hasRequestId() || !(outcomes.get(i) instanceof List<?> list)) {
        continue;
      }
      List<AppliedValue> values = (List<AppliedValue>) list;
      WriteRole role = req.role();
      if (role instanceof WriteRole.Settle settle) {
        DedupeRecord current = settle.current();
        // Kept a whole window after the undo too: a node asking later must hear "not counted here".
        long resolvedExpiry = Math.max(current.appliedAtMillis() + window, settle.compensate() ? expiresAt : now + 1);
        DedupeRecord next = settle.compensate()
            ? current.with(DedupeRecord.Disposition.COMPENSATED, List.of(), resolvedExpiry)
            : settle.stillUnresolved().isEmpty()
                ? current.with(DedupeRecord.Disposition.APPLIED, List.of(), resolvedExpiry)
                : current.with(DedupeRecord.Disposition.APPLIED, settle.stillUnresolved(), DedupeRecord.NEVER);
        records.add(next);
        if (current.expiresAtMillis() != next.expiresAtMillis()) {
          if (stale.isEmpty()) {
            stale = new ArrayList<>();
          }
          stale.add(new DedupeRecords.StaleIndex(current.requestId(), current.expiresAtMillis()));
        }
        continue;
      }
      DedupeRecord.Disposition disposition = DedupeRecord.Disposition.APPLIED;
      String node = "";
      List<String> unresolved = List.of();
      long expiry = expiresAt;
      if (role instanceof WriteRole.AppliedElsewhere elsewhere) {
        disposition = DedupeRecord.Disposition.ELSEWHERE;
        node = elsewhere.node();
      } else if (role instanceof WriteRole.Fence fence) {
        disposition = DedupeRecord.Disposition.FENCED;
        node = fence.handler();
      } else if (role instanceof WriteRole.ApplyAfterResolution after && !after.unresolved().isEmpty()) {
        unresolved = after.unresolved();
        expiry = DedupeRecord.NEVER;
      }
      records.add(new DedupeRecord(req.requestId(), req.kind(), req.key(), req.batchFingerprint(), req.amount(),
          replicaId, now, expiry, values, disposition, node, unresolved,
          unresolved.isEmpty() ? List.of() : req.write().changes()));
    }
    return records.isEmpty() ? StoreAttachment.NONE : new DedupeRecords(records, stale);
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

  private static WriteException fenced(WriteRequest req, String handler) {
    return new WriteException(Reason.FENCED, "request id '" + req.requestId() + "' is being handled by " + handler
        + " (a retry of it there asked this node first); nothing was applied here: retry on " + handler
        + ", or on any node with prior_nodes naming it");
  }

  private static WriteException shuttingDown() {
    return new WriteException(Reason.SHUTTING_DOWN, "the node is shutting down; nothing was applied, retry on another node");
  }

  // ---- dedupe sweep ------------------------------------------------------------------------

  private Duration sweepInterval() {
    return Duration.ofMillis(Math.max(1000, Math.min(60_000, dedupeWindow.toMillis() / 10)));
  }

  private void scheduleSweep() {
    if (closed) {
      return;
    }
    try {
      sweepTask = scheduler.schedule(sweepInterval(), () -> sweep(null));
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /**
   * Replica thread: one sweep, batch after batch until nothing expired is left, so expiry keeps
   * up with any sustained write rate (records stay near rate x window). Each batch runs on the
   * store's writer thread behind the writes queued before it, and the next is asked for from the
   * replica thread afterwards, so client writes are never held up by more than one batch.
   *
   * @param done completed with the total removed, for an on-demand sweep; null for the timer's
   */
  private void sweep(CompletableFuture<Integer> done) {
    sweepBatch(0, done);
  }

  private void sweepBatch(int removedSoFar, CompletableFuture<Integer> done) {
    if (closed) {
      if (done != null) {
        done.complete(removedSoFar);
      }
      return;
    }
    CompletableFuture<Integer> batch;
    try {
      batch = store.sweepExpiredDedupe(clock.currentTimeMillis(), SWEEP_BATCH);
    } catch (RuntimeException e) {
      sweepFailed(e, done);
      return;
    }
    batch.whenComplete((removed, error) -> {
      try {
        scheduler.execute(() -> {
          if (error != null) {
            sweepFailed(error, done);
            return;
          }
          metrics.dedupeSwept(removed);
          if (removed >= SWEEP_BATCH) {
            sweepBatch(removedSoFar + removed, done);
          } else if (done != null) {
            done.complete(removedSoFar + removed);
          } else {
            scheduleSweep();
          }
        });
      } catch (RejectedExecutionException e) {
        // closing
      }
    });
  }

  private void sweepFailed(Throwable error, CompletableFuture<Integer> done) {
    if (done != null) {
      done.completeExceptionally(error);
      return;
    }
    // Expired records only cost space; the next round tries again.
    long now = clock.nanoTime();
    if (now - lastSweepFailureLog > TimeUnit.SECONDS.toNanos(60) || lastSweepFailureLog == 0) {
      lastSweepFailureLog = now;
      log.warn("sweeping expired dedupe records failed (retrying every {}): {}", sweepInterval(), error.toString());
    }
    scheduleSweep();
  }

  /** Runs a whole sweep now; completes with the number of expired index entries removed. */
  public CompletableFuture<Integer> sweepExpiredDedupe() {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    try {
      scheduler.execute(() -> sweep(done));
    } catch (RejectedExecutionException e) {
      done.completeExceptionally(e);
    }
    return done;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Replica thread, at close: writes and completes everything queued, waiting here for the store
   * (completion tasks queued behind this one then find nothing left to do).
   */
  private void drainAll() {
    while (!queue.isEmpty() || !inFlight.isEmpty()) {
      if (!queue.isEmpty() && inFlight.size() < MAX_GROUPS_IN_FLIGHT) {
        startGroup();
        continue;
      }
      Group oldest = inFlight.peekFirst();
      try {
        oldest.written.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // settling fails the group
      } catch (TimeoutException e) {
        log.warn("the store did not finish a write group within 10s at shutdown");
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      // The settling task the write scheduled is queued behind this one: settle here instead.
      replica.settleStaged();
      completeWritten();
    }
  }

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
        drainAll();
        drained.complete(null);
      });
      drained.get(30, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      log.warn("final flush did not finish: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pending p; (p = queue.poll()) != null; ) {
      pending.decrementAndGet();
      p.future.completeExceptionally(shuttingDown());
    }
    try {
      CompletableFuture<Void> failed = new CompletableFuture<>();
      scheduler.execute(() -> {
        for (Resolution r : resolving.values()) {
          for (Pending p : r.parked) {
            fail(p, shuttingDown());
          }
        }
        resolving.clear();
        failed.complete(null);
      });
      failed.get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      // the replica thread is gone; nothing is left to complete them
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
