package dev.tally.node.cluster;

import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.node.api.ClusterStatusSource;
import dev.tally.node.config.HostPort;
import dev.tally.node.config.NodeConfig;
import java.util.function.IntSupplier;

/** ClusterService's answer for a node that runs alone: one member, itself, alive. */
public final class SelfOnlyClusterStatus implements ClusterStatusSource {
  private final ClusterStatusResponse response;

  /** @param clientPort the bound client port (differs from the config when it asked for 0) */
  public SelfOnlyClusterStatus(NodeConfig config, long replicaId, IntSupplier clientPort) {
    this.response = ClusterStatusResponse.newBuilder()
        .setClusterId(config.clusterId())
        .setNode(config.name())
        .addMembers(MemberStatus.newBuilder()
            .setName(config.name())
            .setDc(config.dc())
            .setReplicaId(ReplicaIds.format(replicaId))
            .setClientAddress(new HostPort(config.host(), clientPort.getAsInt()).toString())
            .setPeerAddress(new HostPort(config.host(), config.peerPort()).toString())
            .setState(MemberStatus.State.STATE_ALIVE)
            .setSelf(true))
        .build();
  }

  @Override
  public ClusterStatusResponse status() {
    return response;
  }
}
