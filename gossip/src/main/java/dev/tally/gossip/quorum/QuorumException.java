package dev.tally.gossip.quorum;

/**
 * A QUORUM read or write did not reach a majority of its DC. For a write, the change is applied
 * and durable on this node and keeps replicating; a retry with the same request id is safe.
 * The node maps {@link Reason#TIMED_OUT} to DEADLINE_EXCEEDED and the others to UNAVAILABLE.
 */
public final class QuorumException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the majority was not reached. */
  public enum Reason {
    /** Fewer members of the DC are alive than a majority needs; nothing was asked. */
    TOO_FEW_ALIVE,
    /** Enough peers were asked, but too many of them failed to answer. */
    PEERS_FAILED,
    /** The quorum timeout passed before a majority answered. */
    TIMED_OUT
  }

  private final Reason reason;
  private final int acks;
  private final int needed;
  private final int dcSize;
  private final boolean selfCounted;

  public QuorumException(Reason reason, String operation, String dc, int acks, int needed, int dcSize, String detail) {
    this(reason, operation, dc, acks, needed, dcSize, true, detail);
  }

  /**
   * @param selfCounted false for a QUORUM read on a node that has not caught up with a peer of its
   *     DC since it started, which does not count itself
   */
  public QuorumException(Reason reason, String operation, String dc, int acks, int needed, int dcSize,
      boolean selfCounted, String detail) {
    super(operation + " reached " + acks + " of the " + needed + " replicas needed (a majority of the "
        + dcSize + " members of dc " + dc + (selfCounted ? ", counting this node" : "; " + NOT_COUNTED) + "): "
        + detail);
    this.reason = reason;
    this.acks = acks;
    this.needed = needed;
    this.dcSize = dcSize;
    this.selfCounted = selfCounted;
  }

  /** Why a node does not count toward QUORUM reads, as the messages say it. */
  public static final String NOT_CAUGHT_UP = "it has not caught up with a peer of its dc since it started"
      + " (no anti-entropy exchange of its own has completed yet)";
  /** The same, said of the node that reports the failure. */
  public static final String NOT_COUNTED = "this node is not counted: " + NOT_CAUGHT_UP;

  public Reason reason() {
    return reason;
  }

  /** Replicas that held the states or answered, this node included when {@link #selfCounted}. */
  public int acks() {
    return acks;
  }

  /** Replicas a majority needs, this node included. */
  public int needed() {
    return needed;
  }

  /** Members of the DC ever seen, alive or not, this node included. */
  public int dcSize() {
    return dcSize;
  }

  /** Whether this node counted itself among the acks (always for writes; for reads once caught up). */
  public boolean selfCounted() {
    return selfCounted;
  }

  public boolean timedOut() {
    return reason == Reason.TIMED_OUT;
  }
}
