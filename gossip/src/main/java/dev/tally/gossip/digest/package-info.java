/**
 * Placing keys in the key space ({@link dev.tally.gossip.digest.KeyHash}) and the incrementally
 * maintained hash tree over all states ({@link dev.tally.gossip.digest.DigestTree},
 * {@link dev.tally.gossip.digest.KeyDigest}) that anti-entropy compares.
 */
package dev.tally.gossip.digest;
