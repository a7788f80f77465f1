package dev.tally.gossip.status;

/**
 * What one anti-entropy exchange started by this node did.
 *
 * @param peer the other side
 * @param digestCalls CompareDigest calls made (one tree level each)
 * @param syncCalls SyncBuckets calls made
 * @param differingLeaves digest-tree leaves found to differ
 * @param statesSent states this node shipped to the peer
 * @param statesReceived states the peer shipped back
 * @param repairedHere keys whose state changed on this node
 * @param repairedThere keys whose state changed on the peer
 * @param durationMillis from the first call to the last reply, on the replica's monotonic clock
 */
public record AntiEntropyRound(
    String peer,
    int digestCalls,
    int syncCalls,
    int differingLeaves,
    int statesSent,
    int statesReceived,
    int repairedHere,
    int repairedThere,
    long durationMillis) {}
