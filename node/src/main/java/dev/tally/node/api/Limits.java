package dev.tally.node.api;

/** The public API's input limits (see counter.proto); exceeding one is INVALID_ARGUMENT. */
public final class Limits {
  /** Longest key, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 4096;
  /** Longest request id, in UTF-8 bytes. */
  public static final int MAX_REQUEST_ID_BYTES = 128;
  /** Most items in GetMany / IncrementMany, and most keys in one Watch. */
  public static final int MAX_BATCH = 1000;
  /** Largest inbound message: a full batch of 1000 maximum-size keys fits with room to spare. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  private Limits() {}
}
