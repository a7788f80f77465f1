package dev.tally.gossip.sim;

import dev.tally.gossip.testing.SimulatedStore;

/**
 * A node slot: stable name and dc, its durable store (kept across crashes, replaced by a wipe) and
 * replica id (replaced by a wipe), and its current incarnation (null while down).
 */
final class SimNode {
  final String name;
  final String dc;
  SimulatedStore store;
  /** Counts wipes: a retry never goes to a store other than the one its first attempt reached. */
  int storeGeneration;
  /** Until when (virtual nanos) this node's disk is slow. */
  long slowDiskUntil;
  /** The next store write's fault, set by the nemesis (null: none). */
  SimulatedStore.Fault nextFault;
  /** The probe write of the liveness phase was acknowledged. */
  boolean probed;
  long replicaId;
  // What the data dir says about itself besides the store (RocksStateStore's meta column family):
  /** Starts of the dir under its replica id. */
  long epoch;
  /** The last process closed the dir cleanly. */
  boolean cleanShutdown;
  /** No process has opened the dir yet. */
  boolean freshDir = true;
  /** Peers' replica-id claims this node accepted. */
  java.util.Map<Long, dev.tally.gossip.identity.ReplicaClaim> claims = new java.util.HashMap<>();
  /** A copy of the whole dir, taken while the node was down, that the nemesis may restore. */
  Backup backup;
  /** Starts that took a new replica id. */
  int rotations;
  Incarnation current;
  int incarnations;
  /** This node's clock (ms) at its last change of replica id: its records are complete only since. */
  long remembersSinceMillis;
  /** Set while a wipe waits for the others to cover this node: it takes no local writes then. */
  boolean draining;

  SimNode(String name, String dc) {
    this.name = name;
    this.dc = dc;
  }

  /** A copy of a down node's data dir: the store and the meta beside it. */
  record Backup(SimulatedStore store, long replicaId, long epoch, boolean cleanShutdown,
      java.util.Map<Long, dev.tally.gossip.identity.ReplicaClaim> claims, long takenAt) {}

  boolean up() {
    return current != null;
  }

  @Override
  public String toString() {
    return name + "@" + dc;
  }
}
