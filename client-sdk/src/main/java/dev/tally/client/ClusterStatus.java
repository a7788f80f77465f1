package dev.tally.client;

import java.util.List;
import java.util.Objects;

/**
 * The cluster as one node sees it ({@link TallyClient#clusterStatus}).
 *
 * @param clusterId the cluster's id
 * @param node the name of the node that answered
 * @param members every member the node knows, itself included
 */
public record ClusterStatus(String clusterId, String node, List<ClusterMember> members) {

  /** Copies {@code members}. */
  public ClusterStatus {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(node, "node");
    members = List.copyOf(members);
  }
}
