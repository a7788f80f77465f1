/**
 * Turning peer input into validated states ({@link dev.tally.gossip.merge.PeerInput}) and the seam
 * through which every peer-state path merges into the replica ({@link dev.tally.gossip.merge.StateMerger}).
 */
package dev.tally.gossip.merge;
