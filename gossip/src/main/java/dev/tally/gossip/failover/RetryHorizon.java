package dev.tally.gossip.failover;

import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;

/**
 * How far back a node's answer about a request id can be trusted. A client retries a write for
 * at most half the dedupe window after its first attempt (the SDK stops there), so every earlier
 * attempt reached its node within that half window before a retry, and that node keeps its record
 * for a whole window: a node asked within half a window of a retry still holds the record if it
 * applied the request. A FENCED answer therefore proves "not applied" only when
 *
 * <ul>
 *   <li>the request is younger than half a window (older ones may have been forgotten), and
 *   <li>the answering node's records reach back to half a window before the request (plus a
 *       margin for clock skew): a node whose data dir was created, or which took a new replica
 *       id, later than that may be exactly the node that lost the record.
 * </ul>
 *
 * An answer that is not trusted counts as no answer; in the background it makes the record
 * unresolvable (this node's application stands, possibly one too many).
 */
public record RetryHorizon(Duration dedupeWindow, Duration clockSkewMargin) {
  public static final Duration DEFAULT_SKEW_MARGIN = Duration.ofSeconds(1);

  /** Half the dedupe window: the longest a client retries, and how long answers stay meaningful. */
  public long horizonMillis() {
    return dedupeWindow.toMillis() / 2;
  }

  /** True when a FENCED answer about a request applied (or retried) at {@code requestAtMillis} proves it was not applied there. */
  public boolean trusts(ResolveRequestResponse fenced, long requestAtMillis, long nowMillis) {
    if (nowMillis - requestAtMillis >= horizonMillis()) {
      return false;
    }
    return fenced.getRemembersSinceMs() + clockSkewMargin.toMillis() <= requestAtMillis - horizonMillis();
  }
}
