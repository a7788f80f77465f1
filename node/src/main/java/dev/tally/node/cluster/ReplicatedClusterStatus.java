package dev.tally.node.cluster;

import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.status.PeerStatus;
import dev.tally.node.api.ClusterStatusSource;
import dev.tally.node.config.HostPort;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.membership.MemberInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * ClusterService's answer: this node, then every other member ever seen (in name order) with its
 * liveness from membership and, from the replica, how far behind this node's changes it is.
 *
 * <p>Threads: any thread; it only reads snapshots (membership's concurrent map and the replica's
 * published peer status) and never blocks.
 */
public final class ReplicatedClusterStatus implements ClusterStatusSource {
  private final NodeConfig config;
  private final LongSupplier replicaId;
  private final Supplier<String> replicaIdChange;
  private final IntSupplier clientPort;
  private final Supplier<List<MemberInfo>> members;
  private final Supplier<List<PeerStatus>> peerStatus;
  private final IntSupplier failoverPending;
  private final LongSupplier writesApplied;

  /**
   * @param replicaId the id this node writes under now (it may change once, at start)
   * @param replicaIdChange why this node took a new replica id at start, or empty
   * @param clientPort the bound client port (read per call: the server binds after this is built)
   * @param members every other member membership knows
   * @param peerStatus the replica's per-peer replication status
   * @param failoverPending retried writes applied here still waiting for a prior node
   * @param writesApplied client writes this node made durable since it started
   */
  public ReplicatedClusterStatus(NodeConfig config, LongSupplier replicaId, Supplier<String> replicaIdChange,
      IntSupplier clientPort,
      Supplier<List<MemberInfo>> members, Supplier<List<PeerStatus>> peerStatus, IntSupplier failoverPending,
      LongSupplier writesApplied) {
    this.failoverPending = failoverPending;
    this.writesApplied = writesApplied;
    this.config = config;
    this.replicaId = replicaId;
    this.replicaIdChange = replicaIdChange;
    this.clientPort = clientPort;
    this.members = members;
    this.peerStatus = peerStatus;
  }

  @Override
  public ClusterStatusResponse status() {
    ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
        .setClusterId(config.clusterId())
        .setNode(config.name())
        .setFailoverPending(failoverPending.getAsInt())
        .setWritesApplied(writesApplied.getAsLong())
        .addMembers(MemberStatus.newBuilder()
            .setName(config.name())
            .setDc(config.dc())
            .setReplicaId(ReplicaIds.format(replicaId.getAsLong()))
            .setReplicaIdChange(replicaIdChange.get())
            .setClientAddress(new HostPort(config.advertiseHost(), clientPort.getAsInt()).toString())
            .setPeerAddress(new HostPort(config.advertiseHost(), config.peerPort()).toString())
            .setState(MemberStatus.State.STATE_ALIVE)
            .setSelf(true));
    Map<String, PeerStatus> replication = new HashMap<>();
    for (PeerStatus p : peerStatus.get()) {
      replication.put(p.name(), p);
    }
    for (MemberInfo m : members.get()) {
      MemberStatus.Builder s = MemberStatus.newBuilder()
          .setName(m.name())
          .setDc(m.dc())
          .setReplicaId(m.replicaId() == 0 ? "" : ReplicaIds.format(m.replicaId()))
          .setClientAddress(m.clientAddress())
          .setPeerAddress(m.peerAddress() == null ? "" : m.peerAddress().toString())
          .setState(state(m.state()));
      PeerStatus r = replication.get(m.name());
      if (r != null) {
        s.setReplicationLagMs(r.lagMillis()).setPendingKeys(r.pendingKeys()).setNeedsRepair(r.needsRepair());
      }
      b.addMembers(s);
    }
    return b.build();
  }

  private static MemberStatus.State state(MemberState state) {
    switch (state) {
      case ALIVE:
        return MemberStatus.State.STATE_ALIVE;
      case SUSPECT:
        return MemberStatus.State.STATE_SUSPECT;
      default:
        return MemberStatus.State.STATE_DEAD;
    }
  }
}
