package dev.tally.gossip.merge;

/**
 * Peer input passed one of this node's limits on what it keeps (max-entries-per-key): the keys
 * within the limit were merged, the ones past it were not, and the message is not acknowledged,
 * since an ack says every state in it is held here. The node answers RESOURCE_EXHAUSTED.
 */
public final class PeerLimitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PeerLimitException(String message) {
    super(message);
  }
}
