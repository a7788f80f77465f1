package dev.tally.gossip.sim;

/**
 * A node slot: stable name and dc, its durable store (kept across crashes, replaced by a wipe) and
 * replica id (replaced by a wipe), and its current incarnation (null while down).
 */
final class SimNode {
  final String name;
  final String dc;
  CheckingStore store;
  long replicaId;
  Incarnation current;
  int incarnations;
  /** Set while a wipe waits for the others to cover this node: it takes no local writes then. */
  boolean draining;

  SimNode(String name, String dc) {
    this.name = name;
    this.dc = dc;
  }

  boolean up() {
    return current != null;
  }

  @Override
  public String toString() {
    return name + "@" + dc;
  }
}
