package dev.tally.gossip.delta;

/** What anti-entropy needs to know about peers whose delta buffers overflowed. Replica thread only. */
public interface RepairTracker {
  /** True when keys for {@code peer} were dropped and no anti-entropy exchange has completed since. */
  boolean needsRepair(String peer);

  /** A token to hand back to {@link #repaired} when an exchange that started now completes. */
  long repairEpoch(String peer);

  /** An exchange with {@code peer}, started at {@code epochAtStart}, completed. */
  void repaired(String peer, long epochAtStart);
}
