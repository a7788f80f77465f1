/**
 * QUORUM reads and writes inside a DC ({@link dev.tally.gossip.quorum.QuorumCoordinator}) and how
 * they fail ({@link dev.tally.gossip.quorum.QuorumException}).
 */
package dev.tally.gossip.quorum;
