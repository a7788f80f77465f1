package dev.tally.gossip.testing;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecords;
import dev.tally.gossip.write.WriteStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The node's RocksDB store as the write pipeline sees it, in memory and with faults: the contract
 * of {@code RocksStateStore} + {@code StoreWriterThread} (one writer, writes land in the order
 * they were handed over, a synchronous write lands behind every queued one, a failed dependent
 * write makes every write of its epoch fail unwritten until {@link #clearFailedWrites}), plus a
 * disk that can fail the way real ones do. Single-threaded: the test (or the simulator's event
 * loop) decides when the writer thread takes its next step ({@link #landNext}).
 *
 * <h2>Durability model</h2>
 *
 * A landed write is appended to the write-ahead log and applied (visible to reads), and its
 * future completes: the process can crash at any point after that and before the engine has
 * acknowledged it, and the write is kept (under {@code sync} it was fsynced; under {@code async}
 * the OS holds it, and only a power loss, not modelled here, could drop it). A write whose
 * fsync fails was appended but is not applied (RocksDB skips the memtable insert and
 * sets a background error); whether its bytes reached the disk is unknown, so a later crash
 * replays it or not at random ({@link Fault#FSYNC_ERROR}): its outcome is indeterminate.
 *
 * <h2>Faults</h2>
 *
 * {@link #faults} is asked once per landing: the write goes through, fails once (transient),
 * fails and leaves the store failing every write until {@link #repair} (disk full, I/O error:
 * RocksDB's background error, cleared by {@code resume()} once space is back), or fails its fsync.
 *
 * <h2>Checks</h2>
 *
 * Every landed state must cover the state it replaces: a write that lowers any replica's entry
 * (it was built on stale state) would silently drop counted increments on a real disk, so it is
 * reported to {@link #violations} instead.
 */
public final class SimulatedStore implements WriteStore {

  /** What the disk does with the write being landed. */
  public enum Fault {
    NONE,
    /** This write fails, nothing written; the next one may succeed. */
    TRANSIENT,
    /** This write and every later one fail, nothing written, until {@link #repair}. */
    STICKY,
    /** Appended to the log but not confirmed: not applied now, maybe replayed after a crash. Sticky. */
    FSYNC_ERROR
  }

  /** Decides the fault for each write landed. */
  @FunctionalInterface
  public interface FaultPolicy {
    Fault next(int counters);

    FaultPolicy NONE = counters -> Fault.NONE;
  }

  private enum Kind { DEPENDENT, ORDERED }

  private abstract static class Op {}

  private static final class BatchOp extends Op {
    final Kind kind;
    final long epoch;
    final List<KeyState> states;
    final List<DedupeRecord> records;
    final CompletableFuture<Long> done = new CompletableFuture<>();

    BatchOp(Kind kind, long epoch, Collection<KeyState> states, List<DedupeRecord> records) {
      this.kind = kind;
      this.epoch = epoch;
      this.states = List.copyOf(states);
      this.records = records;
    }
  }

  private static final class SweepOp extends Op {
    final long nowMillis;
    final int limit;
    final CompletableFuture<Integer> done = new CompletableFuture<>();

    SweepOp(long nowMillis, int limit) {
      this.nowMillis = nowMillis;
      this.limit = limit;
    }
  }

  /** An appended log record: what a crash may replay. */
  private record LogRecord(long seq, List<KeyState> states, List<DedupeRecord> records) {}

  private final String name;
  private final java.util.SplittableRandom random;
  private final Runnable onQueued;
  private final InMemoryStateStore applied = new InMemoryStateStore();
  private final Map<String, DedupeRecord> dedupe = new HashMap<>();
  /** The log position of each record's last write: a replayed older write must not undo a newer rewrite. */
  private final Map<String, Long> lastRecordWrite = new HashMap<>();
  /** expiry millis -> request ids, the sweep's index. */
  private final TreeMap<Long, List<String>> expiry = new TreeMap<>();
  private final ArrayDeque<Op> queue = new ArrayDeque<>();
  /** Per key, the log position of its newest applied write (what a replay must not override). */
  private final Map<String, Long> lastWrite = new HashMap<>();
  private long seq;
  /** Records whose fsync failed: a crash replays each or not. */
  private final List<LogRecord> limbo = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private FaultPolicy faults = FaultPolicy.NONE;
  private boolean sticky;
  private long epoch;
  private long failedEpoch = -1;
  private long landed;
  private long failedWrites;
  private Consumer<String> trace = s -> {};
  private Consumer<KeyState> landCheck = ks -> {};

  /**
   * @param random decides what a crash recovers of writes whose fsync failed
   * @param onQueued called after each write or task is queued (the simulator schedules a landing)
   */
  public SimulatedStore(String name, java.util.SplittableRandom random, Runnable onQueued) {
    this.name = name;
    this.random = random;
    this.onQueued = onQueued;
  }

  public void faults(FaultPolicy policy) {
    this.faults = policy;
  }

  public void trace(Consumer<String> trace) {
    this.trace = trace;
  }

  /** Called with every state as it reaches the disk (a checker's hook). */
  public void landCheck(Consumer<KeyState> check) {
    this.landCheck = check;
  }

  /** Space is back / the device answers again: writes may succeed (RocksDB {@code resume()}). */
  public void repair() {
    if (sticky) {
      trace.accept("store repaired");
    }
    sticky = false;
  }

  public boolean failing() {
    return sticky;
  }

  public List<String> violations() {
    return violations;
  }

  public long landedWrites() {
    return landed;
  }

  public long failedWrites() {
    return failedWrites;
  }

  public int queued() {
    return queue.size();
  }

  // ---------------------------------------------------------------- StateStore

  @Override
  public PnCounter get(String key) {
    return applied.get(key);
  }

  @Override
  public void write(Collection<KeyState> states, StoreAttachment attachment) {
    // The node blocks here until the writer thread reaches this write; single-threaded, that means
    // landing everything queued before it first.
    BatchOp op = new BatchOp(Kind.ORDERED, epoch, states, records(attachment));
    queue.addLast(op);
    while (!op.done.isDone()) {
      landNext();
    }
    if (op.done.isCompletedExceptionally()) {
      try {
        op.done.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw (StoreException) e.getCause();
      }
    }
  }

  @Override
  public CompletableFuture<Long> writeAsync(Collection<KeyState> states, StoreAttachment attachment) {
    BatchOp op = new BatchOp(Kind.DEPENDENT, epoch, states, records(attachment));
    queue.addLast(op);
    onQueued.run();
    return op.done;
  }

  @Override
  public void clearFailedWrites() {
    epoch = Math.max(epoch, failedEpoch + 1);
  }

  @Override
  public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
    applied.scan(fromHash, toHashExclusive, visitor);
  }

  @Override
  public Optional<DedupeRecord> findDedupe(String requestId) {
    return Optional.ofNullable(dedupe.get(requestId));
  }

  @Override
  public CompletableFuture<Integer> sweepExpiredDedupe(long nowMillis, int limit) {
    SweepOp op = new SweepOp(nowMillis, limit);
    queue.addLast(op);
    onQueued.run();
    return op.done;
  }

  @Override
  public List<DedupeRecord> unresolvedDedupe() {
    List<DedupeRecord> out = new ArrayList<>();
    for (DedupeRecord d : dedupe.values()) {
      if (!d.unresolved().isEmpty()) {
        out.add(d);
      }
    }
    out.sort(java.util.Comparator.comparing(DedupeRecord::requestId));
    return out;
  }

  /** Dedupe records held (live or expired, not yet swept). */
  public int dedupeRecords() {
    return dedupe.size();
  }

  private static List<DedupeRecord> records(StoreAttachment attachment) {
    if (attachment instanceof DedupeRecords r) {
      return r.records();
    }
    if (attachment != StoreAttachment.NONE) {
      throw new IllegalArgumentException("unsupported attachment " + attachment);
    }
    return List.of();
  }

  // ---------------------------------------------------------------- the writer thread

  /** The writer thread's next step: lands (or skips, or fails) the oldest queued write; false when none. */
  public boolean landNext() {
    Op op = queue.pollFirst();
    if (op == null) {
      return false;
    }
    if (op instanceof SweepOp sweep) {
      sweep.done.complete(sweep(sweep.nowMillis, sweep.limit));
      return true;
    }
    BatchOp b = (BatchOp) op;
    if (b.epoch <= failedEpoch) {
      trace.accept("write of " + b.states.size() + " states skipped: an earlier write it builds on failed");
      b.done.completeExceptionally(new StoreException(
          "not written: an earlier write it builds on failed (nothing of either was written)"));
      return true;
    }
    Fault fault = sticky ? Fault.STICKY : faults.next(b.states.size());
    if (fault != Fault.NONE) {
      failedWrites++;
      if (b.kind == Kind.DEPENDENT) {
        failedEpoch = Math.max(failedEpoch, b.epoch);
      }
      String why;
      if (fault == Fault.FSYNC_ERROR) {
        limbo.add(new LogRecord(seq++, b.states, b.records));
        sticky = true;
        why = "fsync of the write-ahead log failed (the write may or may not be on disk)";
      } else if (fault == Fault.STICKY) {
        sticky = true;
        why = "no space left on device";
      } else {
        why = "I/O error";
      }
      trace.accept("write of " + b.states.size() + " states failed: " + why);
      b.done.completeExceptionally(new StoreException("writing " + b.states.size() + " counters failed on " + name + ": " + why));
      return true;
    }
    apply(new LogRecord(seq++, b.states, b.records));
    landed++;
    b.done.complete(0L);
    return true;
  }

  /** Lands every queued write. */
  public void landAll() {
    while (landNext()) {
      // keep going
    }
  }

  private void apply(LogRecord r) {
    for (KeyState ks : r.states()) {
      PnCounter before = applied.get(ks.key());
      if (!ks.state().covers(before)) {
        violations.add(name + ": a write of '" + ks.key() + "' replaces " + before + " with " + ks.state()
            + ", which lacks counted increments (built on stale state)");
      }
    }
    applied.write(r.states(), StoreAttachment.NONE);
    for (KeyState ks : r.states()) {
      lastWrite.put(ks.key(), r.seq());
      landCheck.accept(ks);
    }
    for (DedupeRecord d : r.records()) {
      dedupe.put(d.requestId(), d);
      lastRecordWrite.put(d.requestId(), r.seq());
      expiry.computeIfAbsent(d.expiresAtMillis(), t -> new ArrayList<>()).add(d.requestId());
    }
  }

  private int sweep(long nowMillis, int limit) {
    int removed = 0;
    while (removed < limit && !expiry.isEmpty() && expiry.firstKey() <= nowMillis) {
      Map.Entry<Long, List<String>> e = expiry.firstEntry();
      List<String> ids = e.getValue();
      String id = ids.remove(ids.size() - 1);
      if (ids.isEmpty()) {
        expiry.pollFirstEntry();
      }
      DedupeRecord r = dedupe.get(id);
      if (r != null && r.expiresAtMillis() <= nowMillis) {
        dedupe.remove(id);
      }
      removed++;
    }
    return removed;
  }

  // ---------------------------------------------------------------- crashes

  /**
   * The process dies: queued writes never reach the disk (their futures are left hanging, as the
   * process that waited for them is gone), a write whose fsync failed is replayed at restart or
   * not, and the store's failure state is forgotten (a restart starts clean).
   */
  public void crash() {
    queue.clear();
    recoverLimbo();
    sticky = false;
    failedEpoch = -1;
    epoch = 0;
  }

  private void recoverLimbo() {
    for (LogRecord r : limbo) {
      if (random.nextBoolean()) {
        trace.accept("restart replays a write whose fsync had failed");
        // Replayed in log order: later writes of the same keys (built without it) win.
        for (KeyState ks : r.states()) {
          if (lastWrite.getOrDefault(ks.key(), -1L) < r.seq()) {
            applied.write(List.of(ks), StoreAttachment.NONE);
            lastWrite.put(ks.key(), r.seq());
            landCheck.accept(ks);
          }
        }
        // The batch replays whole, as a WAL does: its records with its states.
        for (DedupeRecord d : r.records()) {
          if (lastRecordWrite.getOrDefault(d.requestId(), -1L) < r.seq()) {
            dedupe.put(d.requestId(), d);
            lastRecordWrite.put(d.requestId(), r.seq());
            expiry.computeIfAbsent(d.expiresAtMillis(), t -> new ArrayList<>()).add(d.requestId());
          }
        }
      }
    }
    limbo.clear();
  }

  /**
   * A copy of what is on disk now, as a backup of the stopped node's dir would hold: a later
   * restore of it goes back in time. Only for a store whose process is down (nothing queued).
   */
  public SimulatedStore copyOnDisk(java.util.SplittableRandom copyRandom, Runnable copyOnQueued) {
    if (!queue.isEmpty() || !limbo.isEmpty()) {
      throw new IllegalStateException(name + ": a backup needs the process down (" + queue.size() + " queued)");
    }
    SimulatedStore copy = new SimulatedStore(name, copyRandom, copyOnQueued);
    List<KeyState> states = new ArrayList<>();
    applied.scanAll(states::add);
    copy.applied.write(states, StoreAttachment.NONE);
    copy.dedupe.putAll(dedupe);
    copy.lastRecordWrite.putAll(lastRecordWrite);
    expiry.forEach((t, ids) -> copy.expiry.put(t, new ArrayList<>(ids)));
    copy.lastWrite.putAll(lastWrite);
    copy.seq = seq;
    return copy;
  }

  /** Every key's state, by key. */
  public TreeMap<String, PnCounter> dump() {
    TreeMap<String, PnCounter> out = new TreeMap<>();
    applied.scanAll(ks -> out.put(ks.key(), ks.state()));
    return out;
  }
}
