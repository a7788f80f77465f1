package dev.tally.node.storage;

/**
 * The data directory cannot be used: in use by another process, written for another cluster or by
 * a newer format, not a tally data directory, or unreadable. The message says which and what to do;
 * the node refuses to start rather than risk counts.
 */
public final class DataDirException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataDirException(String message) {
    super(message);
  }

  public DataDirException(String message, Throwable cause) {
    super(message, cause);
  }
}
