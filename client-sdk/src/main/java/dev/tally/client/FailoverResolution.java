package dev.tally.client;

/**
 * What a node does with a retried write (one that lists prior nodes) when it cannot ask a prior
 * node in time whether that node already applied the request id. Maps to the proto's {@code
 * FailoverResolution}; a call that does not choose leaves it to the node's {@code
 * failover-resolution} setting.
 */
public enum FailoverResolution {
  /**
   * Apply it now and keep asking in the background; if the prior node turns out to have applied it
   * too, the node undoes its own application once. The count may be over by the amount until then,
   * and is exact after convergence.
   */
  AVAILABLE,
  /** Refuse with {@code UNAVAILABLE} and apply nothing; the caller retries later. */
  WAIT
}
