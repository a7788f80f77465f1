package dev.tally.node.api;

/**
 * How much of a node's Watch capacity one client may take.
 *
 * @param maxStreams concurrent streams of the whole node
 * @param streamsPerConnection concurrent streams of one client connection
 * @param keysPerConnection keys watched at once by one connection's streams
 * @param streamsPerPrincipal concurrent streams of one authenticated principal; not applied to
 *     {@link CallPrincipal#ANONYMOUS}: with authentication off every client is that one
 *     principal, so a per-principal cap would only be a second node-wide cap, and the
 *     per-connection limits are what keep clients apart
 * @param keysPerPrincipal keys watched at once by one authenticated principal's streams
 * @param maxPendingUpdates updates one stream may fall behind (client not reading) before it is
 *     ended with RESOURCE_EXHAUSTED; at least {@link Limits#MAX_BATCH}, since a stream's first
 *     snapshot queues one value per key before anything is sent
 */
public record WatchLimits(int maxStreams, int streamsPerConnection, int keysPerConnection, int streamsPerPrincipal,
    int keysPerPrincipal, int maxPendingUpdates) {
  public WatchLimits {
    if (maxStreams < 1 || streamsPerConnection < 1 || keysPerConnection < 1 || streamsPerPrincipal < 1
        || keysPerPrincipal < 1) {
      throw new IllegalArgumentException("Watch limits must be >= 1");
    }
    if (maxPendingUpdates < Limits.MAX_BATCH) {
      throw new IllegalArgumentException("maxPendingUpdates must be >= " + Limits.MAX_BATCH + ", got " + maxPendingUpdates);
    }
  }

  /** Only the node-wide cap: what tests of the hub alone use. */
  public static WatchLimits nodeWide(int maxStreams) {
    return new WatchLimits(maxStreams, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MAX_VALUE);
  }
}
