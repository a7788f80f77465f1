package dev.tally.gossip.status;

import dev.tally.gossip.membership.MemberState;

/**
 * One peer as this replica sees it, for {@code tally status} and the replication-lag metric.
 *
 * @param name the peer's node name
 * @param dc the peer's data center
 * @param state liveness as membership judges it
 * @param lagMillis age of the oldest change of this node that the peer has not acknowledged, 0 when
 *     it has everything; keeps growing while the peer is down or needs repair
 * @param pendingKeys changed keys the peer has not acknowledged yet (waiting, or in the push in flight)
 * @param needsRepair the peer fell further behind than the delta buffer allows; anti-entropy will
 *     bring it level
 * @param lastAckMillis wall-clock millis of the peer's latest acknowledged delta push, 0 when none
 * @param deltaTarget true when this node pushes its own changes to the peer (every peer of its DC,
 *     a few of each remote DC)
 */
public record PeerStatus(
    String name,
    String dc,
    MemberState state,
    long lagMillis,
    int pendingKeys,
    boolean needsRepair,
    long lastAckMillis,
    boolean deltaTarget) {}
