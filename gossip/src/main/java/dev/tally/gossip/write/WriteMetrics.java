package dev.tally.gossip.write;

/**
 * What the {@link GroupCommitWriter} reports, so the engine needs no metrics library: the node
 * implements it with Micrometer. Called on the replica thread, except {@link #shed} (any thread).
 */
public interface WriteMetrics {

  /** One group's store write finished: its client writes and the nanoseconds the write took. */
  void groupDurable(int writes, long nanos);

  /** A write answered from a request id seen before (nothing applied). */
  void dedupeHit();

  /** A write refused because {@code max-pending-writes} was reached. */
  void shed();

  /** Expired dedupe index entries deleted by one sweep. */
  void dedupeSwept(int entries);

  /** A group's store write failed (the group and every group built on it fail). */
  void groupFailed(int writes);

  WriteMetrics NONE = new WriteMetrics() {
    @Override
    public void groupDurable(int writes, long nanos) {}

    @Override
    public void dedupeHit() {}

    @Override
    public void shed() {}

    @Override
    public void dedupeSwept(int entries) {}

    @Override
    public void groupFailed(int writes) {}
  };
}
