package dev.tally.client;

import java.util.List;
import java.util.Objects;

/**
 * The cluster as one node sees it ({@link TallyClient#clusterStatus}).
 *
 * @param clusterId the cluster's id
 * @param node the name of the node that answered
 * @param members every member the node knows, itself included
 * @param failoverPending retried writes the answering node applied without an answer from every
 *     prior node, still being resolved in the background (the count may be over by their amounts
 *     until they are)
 */
public record ClusterStatus(String clusterId, String node, List<ClusterMember> members, long failoverPending) {

  /** A status with no pending failover resolutions. */
  public ClusterStatus(String clusterId, String node, List<ClusterMember> members) {
    this(clusterId, node, members, 0);
  }

  /** Copies {@code members}. */
  public ClusterStatus {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(node, "node");
    members = List.copyOf(members);
  }
}
