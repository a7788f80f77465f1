package dev.tally.gossip.write;

import dev.tally.gossip.store.StateStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the {@link GroupCommitWriter} needs of a store beyond counter states: the dedupe records it
 * writes with each group (as a {@link DedupeRecords} attachment, in the group's one atomic write)
 * and their expiry. The node implements it over RocksDB; the simulator over memory with faults.
 */
public interface WriteStore extends StateStore {

  /** The durable record of a request id, live or not (the caller checks {@link DedupeRecord#liveAt}). */
  Optional<DedupeRecord> findDedupe(String requestId);

  /**
   * Deletes up to {@code limit} records that expired at or before {@code nowMillis}, oldest
   * first, in order behind every write handed over before it (so a record re-applied by a queued
   * group is never taken for an expired one). Returns at once; the future completes with the
   * number of index entries removed ({@code limit} means there may be more), on any thread.
   */
  CompletableFuture<Integer> sweepExpiredDedupe(long nowMillis, int limit);

  /**
   * The records still waiting for prior nodes (expiry {@link DedupeRecord#NEVER}), for the
   * background resolver after a restart. Reads the durable state; any thread.
   */
  List<DedupeRecord> unresolvedDedupe();
}
