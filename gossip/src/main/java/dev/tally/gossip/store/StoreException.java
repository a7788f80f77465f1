package dev.tally.gossip.store;

/**
 * The store could not complete a read or write; for a write, nothing was written. Its {@link Kind}
 * says what failed underneath, so the node can tell a client "the disk is full" (come back later)
 * from "the disk failed" (go elsewhere).
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What failed underneath. */
  public enum Kind {
    /** The disk (or a quota on it) is full: nothing can be written until space is freed. */
    NO_SPACE,
    /** The disk or file system failed an operation (EIO, a failed fsync, a read-only remount). */
    IO,
    /** Anything else: a closed store, corrupt data, a failure the store cannot classify. */
    OTHER
  }

  private final Kind kind;

  public StoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  /** A failure caused by another store failure (a write skipped because one before it failed) keeps its kind. */
  public StoreException(String message, Throwable cause) {
    this(cause instanceof StoreException s ? s.kind : Kind.OTHER, message, cause);
  }

  public StoreException(String message) {
    this(Kind.OTHER, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
