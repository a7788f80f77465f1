/**
 * The replica: the one entry point the node uses ({@link dev.tally.gossip.engine.Replica}), its
 * settings and the local write path (prepare/commit).
 */
package dev.tally.gossip.engine;
