/**
 * Cluster membership of a node: Atomix's heartbeat failure detector behind the engine's
 * {@link dev.tally.gossip.membership.Membership} seam ({@link dev.tally.node.membership.AtomixMembership}),
 * and the members remembered in the data dir ({@link dev.tally.node.membership.KnownMembers}).
 */
package dev.tally.node.membership;
