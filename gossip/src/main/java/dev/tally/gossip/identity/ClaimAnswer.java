package dev.tally.gossip.identity;

/**
 * A peer's answer to a {@link ReplicaClaim}.
 *
 * @param accepted whether the claim is now on the peer's record
 * @param heldByNode the node the peer has on record for the id (after this claim)
 * @param heldEpoch the epoch the peer has on record for the id (after this claim)
 * @param reason for a refusal, what the peer saw, in words an operator can act on
 */
public record ClaimAnswer(boolean accepted, String heldByNode, long heldEpoch, String reason) {
  public static ClaimAnswer accept(ReplicaClaim claim) {
    return new ClaimAnswer(true, claim.nodeName(), claim.epoch(), "");
  }

  public static ClaimAnswer refuse(ReplicaClaim held, String reason) {
    return new ClaimAnswer(false, held.nodeName(), held.epoch(), reason);
  }
}
