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
  private final NodeConfig config;
  private final long replicaId;
  private final IntSupplier clientPort;

  /**
   * @param clientPort the bound client port (differs from the config when it asked for 0; read
   *     per call because the server binds after this is built)
   */
  public SelfOnlyClusterStatus(NodeConfig config, long replicaId, IntSupplier clientPort) {
    this.config = config;
    this.replicaId = replicaId;
    this.clientPort = clientPort;
  }

  @Override
  public ClusterStatusResponse status() {
    return ClusterStatusResponse.newBuilder()
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
}
