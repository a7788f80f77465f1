package dev.tally.gossip.identity;

/**
 * What the replica asks its node about replica ids while it merges peer input: whether an id was
 * ever announced by a member (entries of others are only counted), and a new id when a peer holds
 * this node's own entry ahead of the local one (the rollback or clone signal).
 *
 * <p>Threads: called on the replica thread; {@link #announced} must be quick, {@link #rotate} may
 * write the new id durably (one small write) and must not wait on the network.
 */
public interface ReplicaIdAuthority {
  /** True when some member ever announced {@code replicaId} (this node's own ids included). */
  boolean announced(long replicaId);

  /**
   * Takes a new replica id in place of {@code current}, durably, so that a restart keeps writing
   * under it; the node also announces it to the members. Returns the new id (never 0).
   *
   * @param reason what was seen, for the log
   */
  long rotate(long current, String reason);
}
