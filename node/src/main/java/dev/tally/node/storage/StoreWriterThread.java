package dev.tally.node.storage;

import dev.tally.gossip.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that writes to RocksDB, so every store write (local groups, merges, dedupe
 * sweeps) lands in the order it was handed over: a later group's absolute states can never become
 * durable before an earlier group's, nor overwrite a merge made between them.
 *
 * <h2>Combining</h2>
 *
 * Counter batches queued next to each other while the thread was busy are written as ONE atomic
 * RocksDB write with one fsync ({@link BatchWriter}), in queue order (a later batch's state of a
 * key wins). They become durable, and visible, together; each still completes its own future.
 * A node's groups and the merges of its peers' deltas then share fsyncs instead of queueing for
 * one each. Tasks ({@link #submitTask}: the dedupe sweep) run alone, in their turn.
 *
 * <h2>Failures</h2>
 *
 * Batches that build on not-yet-durable states ({@link Kind#DEPENDENT} and {@link Kind#ORDERED})
 * carry the submitter's <em>epoch</em>. When a write holding a dependent batch fails, every batch
 * of that epoch or older still queued is skipped (fails without touching the disk: it may hold the
 * failed batch's states), until the submitter has dropped everything built on the failure and
 * calls {@link #clearFailure()}, which starts a new epoch past every failure so far. The submitter
 * clears only when handling a failure dropped staged writes (the engine's {@code abandon} says
 * so): handling a batch that was merely skipped must not clear, since a newer failure may not have
 * been reported yet and writes built on it would get through. A failed combined write fails every
 * batch in it.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>{@link #submitBatch}, {@link #submitTask} and {@link #clearFailure} run on the submitting
 *       thread (the node's replica thread; tests may use another, one at a time): they alone touch
 *       {@code epoch}. {@code lifecycle} guards only the queue's closing.
 *   <li>The writer thread takes from {@code queue}, writes, and alone sets {@code failedEpoch}
 *       (volatile: the submitter reads it in {@link #clearFailure}).
 *   <li>Futures complete on the writer thread.
 * </ul>
 */
final class StoreWriterThread implements AutoCloseable {

  /** How a batch relates to the states the submitter has not yet seen durable. */
  enum Kind {
    /** Builds on earlier queued writes; its failure makes the writes queued behind it fail too. */
    DEPENDENT,
    /** Builds on earlier queued writes (is skipped after their failure) but nothing builds on it. */
    ORDERED
  }

  /** A counter batch, opaque here: the {@link BatchWriter} knows how to write it. */
  interface Batch {
    /** Counter states in the batch, which bounds how many are combined. */
    int counters();

    /** Frees what the batch holds; called once it was written or skipped. */
    void release();
  }

  /** Writes batches as one atomic, durable write, in order; returns the nanoseconds it took. */
  @FunctionalInterface
  interface BatchWriter {
    long write(List<Batch> batches) throws Exception;
  }

  /** Most batches, and counter states, in one combined write. */
  static final int MAX_COMBINED_BATCHES = 64;
  static final int MAX_COMBINED_COUNTERS = 131_072;

  private abstract static class Op {}

  private static final class BatchOp extends Op {
    final Kind kind;
    final long epoch;
    final Batch batch;
    final CompletableFuture<Long> done = new CompletableFuture<>();

    BatchOp(Kind kind, long epoch, Batch batch) {
      this.kind = kind;
      this.epoch = epoch;
      this.batch = batch;
    }
  }

  private static final class TaskOp<T> extends Op {
    final Callable<T> task;
    final CompletableFuture<T> done = new CompletableFuture<>();

    TaskOp(Callable<T> task) {
      this.task = task;
    }

    void run() {
      try {
        done.complete(task.call());
      } catch (Exception e) {
        done.completeExceptionally(asStoreException(e));
      }
    }
  }

  private final BatchWriter writer;
  private final LinkedBlockingDeque<Op> queue = new LinkedBlockingDeque<>();
  private final Object lifecycle = new Object();
  private final Thread thread;
  private boolean closing; // guarded by lifecycle
  private volatile long epoch;
  private volatile long failedEpoch = -1;

  StoreWriterThread(String name, BatchWriter writer) {
    this.writer = writer;
    this.thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Queues a batch behind every earlier write; the future completes on the writer thread with the
   * nanoseconds its (possibly combined) write took, or fails with {@link StoreException} (then
   * nothing of it was written). The batch is released either way.
   */
  CompletableFuture<Long> submitBatch(Kind kind, Batch batch) {
    BatchOp op = new BatchOp(kind, epoch, batch);
    if (!enqueue(op)) {
      batch.release();
      op.done.completeExceptionally(new StoreException("the store is closed; nothing was written"));
    }
    return op.done;
  }

  /** Queues a task (never combined, never skipped) behind every earlier write. */
  <T> CompletableFuture<T> submitTask(Callable<T> task) {
    TaskOp<T> op = new TaskOp<>(task);
    if (!enqueue(op)) {
      op.done.completeExceptionally(new StoreException("the store is closed; nothing was done"));
    }
    return op.done;
  }

  private boolean enqueue(Op op) {
    synchronized (lifecycle) {
      if (closing) {
        return false;
      }
      queue.addLast(op);
      return true;
    }
  }

  /** Submitting thread, after it has dropped everything built on a failed dependent write. */
  void clearFailure() {
    epoch = Math.max(epoch, failedEpoch + 1);
  }

  private void loop() {
    List<BatchOp> taken = new ArrayList<>();
    while (true) {
      Op first;
      try {
        first = queue.pollFirst(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        continue; // only close() ends the loop, once the queue is drained
      }
      if (first == null) {
        synchronized (lifecycle) {
          if (closing && queue.isEmpty()) {
            return;
          }
        }
        continue;
      }
      if (first instanceof TaskOp<?> task) {
        task.run();
        continue;
      }
      taken.clear();
      BatchOp op = (BatchOp) first;
      taken.add(op);
      int counters = op.batch.counters();
      // Only this thread takes from the queue, so what it peeks is what it polls.
      while (taken.size() < MAX_COMBINED_BATCHES && counters < MAX_COMBINED_COUNTERS
          && queue.peekFirst() instanceof BatchOp next) {
        taken.add(next);
        counters += next.batch.counters();
        queue.pollFirst();
      }
      writeCombined(taken);
    }
  }

  private void writeCombined(List<BatchOp> taken) {
    List<BatchOp> live = new ArrayList<>(taken.size());
    for (BatchOp op : taken) {
      if (op.epoch <= failedEpoch) {
        op.batch.release();
        op.done.completeExceptionally(new StoreException(
            "not written: an earlier write it builds on failed (nothing of either was written)"));
      } else {
        live.add(op);
      }
    }
    if (live.isEmpty()) {
      return;
    }
    List<Batch> batches = new ArrayList<>(live.size());
    for (BatchOp op : live) {
      batches.add(op.batch);
    }
    long nanos;
    try {
      nanos = writer.write(batches);
    } catch (Exception e) {
      for (BatchOp op : live) {
        if (op.kind == Kind.DEPENDENT) {
          failedEpoch = Math.max(failedEpoch, op.epoch);
        }
      }
      StoreException failure = asStoreException(e);
      for (BatchOp op : live) {
        op.batch.release();
        op.done.completeExceptionally(failure);
      }
      return;
    }
    for (BatchOp op : live) {
      op.batch.release();
      op.done.complete(nanos);
    }
  }

  private static StoreException asStoreException(Exception e) {
    return e instanceof StoreException s ? s : new StoreException(String.valueOf(e.getMessage()), e);
  }

  /** Refuses new writes, runs the ones already queued, then stops; waits up to {@code seconds}. */
  boolean shutdown(long seconds) {
    synchronized (lifecycle) {
      closing = true;
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(seconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  @Override
  public void close() {
    shutdown(10);
  }
}
