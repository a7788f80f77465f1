package dev.tally.gossip.identity;

/**
 * What a data dir says about itself at open, before anything is written.
 *
 * @param claim this start's claim: the dir's replica id and its epoch, already incremented with sync
 * @param freshDir the dir was created by this start, so its id is new and nothing can be behind
 * @param lastShutdownClean the previous process closed the dir and marked it so. A dir that was
 *     not closed cleanly may be a crash, but may as well be a copy of a running node's dir, a
 *     backup taken while it ran, or an {@code async} dir whose unsynced tail was lost; it cannot
 *     prove it holds everything peers hold of its id
 * @param clustered the node has, or is configured to have, peers; a node that never had any can
 *     keep its id whatever its dir holds, since nobody else holds entries of that id
 */
public record StartState(ReplicaClaim claim, boolean freshDir, boolean lastShutdownClean, boolean clustered) {}
