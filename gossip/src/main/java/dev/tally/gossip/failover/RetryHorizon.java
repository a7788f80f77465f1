package dev.tally.gossip.failover;

import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;

/**
 * How far back a node's answer about a request id can be trusted.
 *
 * <p>A node keeps its record of a request id for the dedupe window W from when it applied it, and
 * a client retries a write for at most W/2 after its first attempt (the SDK stops there: {@link
 * #clientRetryMillis}). So when a retry is applied here at time a, every earlier attempt was sent
 * after {@code a - W/2 - d}, where d is how long the retry took to arrive and be resolved, and its
 * node, if it applied it, still holds the record until at least {@code a + W/2 - d}. A FENCED
 * answer ("not applied here") therefore proves something only while
 *
 * <ul>
 *   <li>it is given within {@code W/2 - margin} of a, with a margin that covers d and clock skew
 *       (older answers may come from a node that merely forgot), and
 *   <li>the answering node's records reach back to {@code a - W/2 - margin}: a node that found
 *       its dir may be an older copy later than that may be exactly the node that lost the record.
 * </ul>
 *
 * An answer that is not trusted counts as no answer; in the background it makes the record
 * unresolvable (this node's application stands, possibly one too many).
 *
 * @param margin covers a retry's transit and resolution, and the clock skew between nodes
 */
public record RetryHorizon(Duration dedupeWindow, Duration margin) {

  /** The node's horizon: the margin is a tenth of the window, at least a second. */
  public static RetryHorizon forWindow(Duration dedupeWindow) {
    Duration tenth = dedupeWindow.dividedBy(10);
    return new RetryHorizon(dedupeWindow, tenth.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : tenth);
  }

  /** Half the dedupe window: the longest a client may go on retrying one write. */
  public long clientRetryMillis() {
    return dedupeWindow.toMillis() / 2;
  }

  /** How long after a retry was applied a FENCED answer about it may be trusted. */
  public long trustMillis() {
    return clientRetryMillis() - margin.toMillis();
  }

  /**
   * True when a FENCED answer, received at {@code nowMillis}, about a retry applied (or being
   * resolved) at {@code requestAtMillis}, proves the request was not applied there.
   */
  public boolean trusts(ResolveRequestResponse fenced, long requestAtMillis, long nowMillis) {
    if (nowMillis - requestAtMillis >= trustMillis()) {
      return false;
    }
    return fenced.getRemembersSinceMs() + margin.toMillis() <= requestAtMillis - clientRetryMillis();
  }
}
