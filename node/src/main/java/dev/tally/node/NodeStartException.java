package dev.tally.node;

/** The node could not start (a port is taken, the data dir is refused, ...); the message says why. */
public final class NodeStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NodeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
