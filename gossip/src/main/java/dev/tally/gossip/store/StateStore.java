package dev.tally.gossip.store;

import dev.tally.gossip.crdt.PnCounter;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * Durable home of counter states, ordered by (32-bit key hash, key) so every digest-tree leaf is
 * one contiguous range (see {@link dev.tally.gossip.digest.KeyHash}).
 *
 * <p>Threads: {@link #get} and {@link #scan} may be called from any thread and see every write
 * that has returned. {@link #write} is called only from the replica thread.
 */
public interface StateStore {

  /** The key's state, {@link PnCounter#EMPTY} when never written. */
  PnCounter get(String key);

  /**
   * Writes all states and the attachment atomically; when this returns they are durable under the
   * store's policy (with {@code sync}, in the fsynced write-ahead log).
   *
   * <p>Writes are totally ordered. A store that also takes asynchronous writes from the node (the
   * pipelined local writes of {@link dev.tally.gossip.engine.Replica#stage}) queues this write
   * behind them: when it returns, every write handed over before it is durable too, and none of
   * them can land later and overwrite it. Reads ({@link #get}, {@link #scan}) see a write only once
   * it is durable.
   *
   * @throws StoreException if nothing was written
   */
  void write(Collection<KeyState> states, StoreAttachment attachment);

  /**
   * Replica thread: queues the write behind every earlier one and returns at once; the future
   * completes (on any thread) with the nanoseconds the write took once it is durable, or fails with
   * {@link StoreException} when nothing of it was written. Such a write may build on states not yet
   * durable (staged), so when one fails, the store fails every write handed over after it without
   * writing it, until {@link #clearFailedWrites}. A write becomes visible to {@link #get} only once
   * durable. The default writes synchronously.
   */
  default java.util.concurrent.CompletableFuture<Long> writeAsync(Collection<KeyState> states, StoreAttachment attachment) {
    try {
      write(states, attachment);
      return java.util.concurrent.CompletableFuture.completedFuture(0L);
    } catch (StoreException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Replica thread, after a failed {@link #writeAsync}, once everything built on it was dropped:
   * writes handed over from now on are attempted again. The default has nothing to clear.
   */
  default void clearFailedWrites() {}

  /**
   * Visits, in (key hash, key) order, every key whose unsigned 32-bit key hash lies in
   * {@code [fromHash, toHashExclusive)}; both bounds are unsigned values in {@code [0, 2^32]}.
   */
  void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor);

  /** Visits every key. */
  default void scanAll(Consumer<KeyState> visitor) {
    scan(0, 1L << 32, visitor);
  }
}
