/**
 * Delta push: per-peer bounded buffers of changed keys ({@link dev.tally.gossip.delta.PeerBuffer})
 * and the pusher that ships their latest absolute states ({@link dev.tally.gossip.delta.DeltaReplicator}).
 */
package dev.tally.gossip.delta;
