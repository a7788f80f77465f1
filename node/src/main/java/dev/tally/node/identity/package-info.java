/** Settles, at start, the replica id a node writes under (see {@code dev.tally.gossip.identity}). */
package dev.tally.node.identity;
