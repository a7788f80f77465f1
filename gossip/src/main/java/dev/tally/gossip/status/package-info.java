/**
 * What the engine reports about itself, with no metrics library: a per-peer snapshot
 * ({@link dev.tally.gossip.status.PeerStatus}) and event callbacks
 * ({@link dev.tally.gossip.status.ReplicationObserver}).
 */
package dev.tally.gossip.status;
