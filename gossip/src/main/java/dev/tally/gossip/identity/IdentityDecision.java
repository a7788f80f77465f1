package dev.tally.gossip.identity;

/**
 * Whether a start keeps its replica id, and why, in words for the log and {@code tally status}.
 *
 * @param keep true to write under the dir's replica id, false to take a new one first
 * @param dirMayBeOld the dir may be an older copy than the node last ran with (a peer saw a newer
 *     start, or none could confirm this one): then its dedupe records may lack requests whose
 *     counts live on in the peers, and its "not applied" answers to retries cannot be trusted for
 *     anything before this start (see {@code failover.RetryHorizon}). False after a crash: a
 *     crash loses a record only together with its count (they are one atomic write).
 */
public record IdentityDecision(boolean keep, String reason, boolean dirMayBeOld) {
  static IdentityDecision keep(String reason) {
    return new IdentityDecision(true, reason, false);
  }

  static IdentityDecision rotate(String reason) {
    return new IdentityDecision(false, reason, true);
  }

  /** A new id after a crash: the dir holds every record it holds a count for. */
  static IdentityDecision rotateAfterCrash(String reason) {
    return new IdentityDecision(false, reason, false);
  }
}
