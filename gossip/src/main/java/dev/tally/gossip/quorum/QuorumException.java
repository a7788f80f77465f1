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

  public QuorumException(Reason reason, String operation, String dc, int acks, int needed, int dcSize, String detail) {
    super(operation + " reached " + acks + " of the " + needed + " replicas needed (a majority of the "
        + dcSize + " members of dc " + dc + ", counting this node): " + detail);
    this.reason = reason;
    this.acks = acks;
    this.needed = needed;
    this.dcSize = dcSize;
  }

  public Reason reason() {
    return reason;
  }

  /** Replicas that held the states or answered, this node included. */
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

  public boolean timedOut() {
    return reason == Reason.TIMED_OUT;
  }
}
