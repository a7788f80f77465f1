package dev.tally.gossip.write;

/** Why a write was not applied, or (for {@link Reason#STORAGE_FAILED}) not confirmed. */
public final class WriteException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Each reason maps to one gRPC status code in the API layer. */
  public enum Reason {
    /** Too many writes pending ({@code max-pending-writes}): nothing applied; retry with backoff. */
    OVERLOADED,
    /** A P or N entry or the value would leave 64 bits: nothing applied. */
    OVERFLOW,
    /** The request id was used before for a different request: nothing applied. */
    REQUEST_ID_REUSED,
    /** The store refused the group's batch: nothing of it was written. */
    STORAGE_FAILED,
    /** The node is stopping: nothing applied. */
    SHUTTING_DOWN,
    /** The node is starting and does not take writes yet: nothing applied. */
    STARTING,
    /** Another node is handling the request id (it fenced it here): nothing applied; retry there. */
    FENCED,
    /**
     * A retry named prior nodes that could not be asked, and the call (or the node) chose to wait
     * ({@code failover-resolution: wait}): nothing applied; retry later.
     */
    NOT_CONFIRMED,
    /** A failover step found the record changed under it (another step got there first): nothing applied. */
    STALE
  }

  private final Reason reason;
  private final int changeIndex;

  public WriteException(Reason reason, String message) {
    this(reason, message, -1, null);
  }

  public WriteException(Reason reason, String message, int changeIndex, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
    this.changeIndex = changeIndex;
  }

  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#OVERFLOW}: the index of the change that would overflow; -1 otherwise. */
  public int changeIndex() {
    return changeIndex;
  }
}
