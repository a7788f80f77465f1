package dev.tally.node.storage;

import dev.tally.gossip.store.StoreException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that writes to RocksDB, so every store write (local groups, merges, dedupe
 * sweeps) lands in the order it was handed over: a later group's absolute states can never become
 * durable before an earlier group's, nor overwrite a merge made between them.
 *
 * <p>Writes that build on not-yet-durable states ({@link Kind#DEPENDENT} and {@link Kind#ORDERED};
 * see {@link RocksStateStore#writeAsync}) carry the submitter's <em>epoch</em>. When a dependent
 * write fails, every write of its epoch or older that is still queued is skipped (fails without
 * touching the disk: it may hold the failed write's states), until the submitter has dropped
 * everything built on the failure and calls {@link #clearFailure()}, which starts a new epoch.
 * Clearing twice is harmless: the epoch only moves past the newest failure.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>{@link #submit} and {@link #clearFailure} run on the submitting thread (the node's replica
 *       thread; tests may use another, one at a time): they alone touch {@code epoch}.
 *   <li>The writer thread runs the writes one at a time and alone sets {@code failedEpoch}
 *       (volatile: the submitter reads it in {@link #clearFailure}).
 *   <li>Futures complete on the writer thread.
 * </ul>
 */
final class StoreWriterThread implements AutoCloseable {

  /** How a write relates to the states the submitter has not yet seen durable. */
  enum Kind {
    /** Builds on earlier queued writes; its failure makes the writes queued behind it fail too. */
    DEPENDENT,
    /** Builds on earlier queued writes (is skipped after their failure) but nothing builds on it. */
    ORDERED,
    /** Independent of counter states (a dedupe sweep): never skipped, never skips others. */
    INDEPENDENT
  }

  private final ExecutorService executor;
  private volatile long epoch;
  private volatile long failedEpoch = -1;

  StoreWriterThread(String name) {
    executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Queues a write behind every earlier one; the future completes on the writer thread with its
   * result, or fails with {@link StoreException} (then nothing of it was written).
   */
  <T> CompletableFuture<T> submit(Kind kind, Callable<T> write, Runnable onSkipped) {
    long myEpoch = epoch;
    CompletableFuture<T> done = new CompletableFuture<>();
    Runnable task = () -> {
      if (kind != Kind.INDEPENDENT && myEpoch <= failedEpoch) {
        onSkipped.run();
        done.completeExceptionally(new StoreException(
            "not written: an earlier write it builds on failed (nothing of either was written)"));
        return;
      }
      try {
        done.complete(write.call());
      } catch (Exception e) {
        if (kind == Kind.DEPENDENT) {
          failedEpoch = Math.max(failedEpoch, myEpoch);
        }
        done.completeExceptionally(e instanceof StoreException ? e : new StoreException(String.valueOf(e.getMessage()), e));
      }
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      onSkipped.run();
      done.completeExceptionally(new StoreException("the store is closed; nothing was written", e));
    }
    return done;
  }

  /** Submitting thread, after it has dropped everything built on a failed dependent write. */
  void clearFailure() {
    epoch = Math.max(epoch, failedEpoch + 1);
  }

  /** Runs the writes already queued, then stops; waits up to {@code seconds}. */
  boolean shutdown(long seconds) {
    executor.shutdown();
    try {
      return executor.awaitTermination(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    if (!shutdown(10)) {
      executor.shutdownNow();
    }
  }
}
