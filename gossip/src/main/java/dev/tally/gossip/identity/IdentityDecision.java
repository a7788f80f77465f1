package dev.tally.gossip.identity;

/**
 * Whether a start keeps its replica id, and why, in words for the log and {@code tally status}.
 *
 * @param keep true to write under the dir's replica id, false to take a new one first
 */
public record IdentityDecision(boolean keep, String reason) {
  static IdentityDecision keep(String reason) {
    return new IdentityDecision(true, reason);
  }

  static IdentityDecision rotate(String reason) {
    return new IdentityDecision(false, reason);
  }
}
