/**
 * Anti-entropy: periodic digest-tree exchanges that repair whatever deltas missed, at a cost that
 * grows with the difference ({@link dev.tally.gossip.antientropy.AntiEntropy}).
 */
package dev.tally.gossip.antientropy;
