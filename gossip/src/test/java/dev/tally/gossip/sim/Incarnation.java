package dev.tally.gossip.sim;

import dev.tally.gossip.write.GroupCommitWriter;

import dev.tally.gossip.engine.Replica;

/**
 * One life of a node between a (re)start and a crash: its replica and everything volatile around
 * it. When it dies, {@link #alive} turns false and the world drops all its events.
 */
final class Incarnation {
  final SimNode node;
  final int number;
  boolean alive = true;
  Replica replica;
  GroupCommitWriter writer;
  /** Writes submitted to this incarnation and not yet answered: lost (indeterminate) if it dies. */
  final java.util.Set<Ledger.Op> inFlight = new java.util.LinkedHashSet<>();
  SimMembership membership;
  /** This node's answers to its peers' replica-id claims, kept in {@link SimNode#claims}. */
  dev.tally.gossip.identity.ReplicaClaims claims;
  /** Exactly-once across failover: the node's own classes, over the simulated network. */
  dev.tally.gossip.failover.FailoverCoordinator failover;
  dev.tally.gossip.failover.ResolveResponder responder;
  dev.tally.gossip.failover.BackgroundResolver resolver;
  SimClock clock;
  /** The start's replica-id check is done and writes are let in. */
  boolean identitySettled;

  Incarnation(SimNode node, int number) {
    this.node = node;
    this.number = number;
  }

  @Override
  public String toString() {
    return node.name + "#" + number;
  }
}
