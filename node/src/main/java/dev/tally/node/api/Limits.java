package dev.tally.node.api;

/** The public API's input limits (see counter.proto); exceeding one is INVALID_ARGUMENT. */
public final class Limits {
  /** Longest key, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 4096;
  /** Longest request id, in UTF-8 bytes. */
  public static final int MAX_REQUEST_ID_BYTES = 128;
  /** Most items in GetMany / IncrementMany, and most keys in one Watch. */
  public static final int MAX_BATCH = 1000;
  /**
   * Largest reply a node's peer channel accepts. The ports' inbound limits are settings
   * (max-client-message-bytes, max-peer-inbound-message-bytes); this one bounds what a node takes
   * from the peers it calls.
   */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  private Limits() {}
}
