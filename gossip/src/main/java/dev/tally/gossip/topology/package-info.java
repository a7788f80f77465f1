/**
 * Who gets which changes: the replica's view of the members ({@link dev.tally.gossip.topology.ClusterView})
 * and the DC-aware choice of targets and relays ({@link dev.tally.gossip.topology.Topology}).
 */
package dev.tally.gossip.topology;
