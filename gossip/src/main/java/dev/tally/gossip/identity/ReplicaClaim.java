package dev.tally.gossip.identity;

import dev.tally.gossip.crdt.ReplicaIds;
import java.util.Objects;

/**
 * One start of a node under a replica id.
 *
 * @param replicaId the id the node wants to keep writing under
 * @param epoch the data dir's start count, incremented (with sync) before the claim is made
 * @param nodeName the node's stable name; an id is only ever held by one name
 * @param instance random per process, so two processes started from copies of one dir differ
 */
public record ReplicaClaim(long replicaId, long epoch, String nodeName, long instance) {
  public ReplicaClaim {
    Objects.requireNonNull(nodeName, "nodeName");
    if (epoch < 1) {
      throw new IllegalArgumentException("epoch must be >= 1, got " + epoch);
    }
  }

  @Override
  public String toString() {
    return ReplicaIds.format(replicaId) + "@" + epoch + " by " + nodeName;
  }
}
