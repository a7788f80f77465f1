package dev.tally.node.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.TallyNode;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link RequestFuzzTest} found, each as the input that showed it. */
class FuzzFindingsTest {
  private static final String CLUSTER = "fuzz-cluster";

  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel client;
  private ManagedChannel peerRaw;
  private Channel peer;
  private Channel peerNoHeader;
  private Channel peerOtherCluster;

  @BeforeEach
  void start() {
    node = TestNodes.start(dir, "cluster-id", CLUSTER, "durability", "async");
    client = TestNodes.channel(node);
    peerRaw = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
    peer = ClientInterceptors.intercept(peerRaw, ClusterIdInterceptors.client(CLUSTER, "fz-peer"));
    peerNoHeader = peerRaw;
    peerOtherCluster = ClientInterceptors.intercept(peerRaw, ClusterIdInterceptors.client("other-cluster", "fz-peer"));
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(client);
    TestNodes.shutdown(peerRaw);
    node.close();
  }

  /**
   * Found by the fuzz (SEED=1 case 189): grpc's health service answers {@code unknown service
   * <name>}, and a long non-ASCII name made the grpc-message trailer pass the client's 8 KiB
   * metadata limit, so the client saw INTERNAL "http2 exception" instead of NOT_FOUND.
   */
  @Test
  void healthCheck_longNonAsciiServiceName_isNotFound_notInternal() {
    byte[] request = HealthCheckRequest.newBuilder().setService("é".repeat(2048)).build().toByteArray();

    RawCalls.Outcome out = RawCalls.unary(client, HealthGrpc.getCheckMethod(), request);

    assertThat(out.code()).as(String.valueOf(out.description())).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(out.description()).startsWith("unknown service éé").endsWith("... (cut)");
  }

  /** The same through Tally's own code: a refused claim echoes the request, here with a long name. */
  @Test
  void claimReplica_refusalEchoingALongNonAsciiName_keepsItsCode() {
    byte[] request = dev.tally.peer.v1.ReplicaClaimRequest.newBuilder()
        .setFrom(NodeRef.newBuilder().setName("ключ".repeat(1024)).setDc("dc1")).setReplicaId(5).setEpoch(0)
        .build().toByteArray();

    RawCalls.Outcome out = RawCalls.unary(peer, PeerServiceGrpc.getClaimReplicaMethod(), request);

    assertThat(out.code()).as(String.valueOf(out.description())).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(out.description()).startsWith("ClaimReplica refused, nothing changed: a claim needs");
  }

  /**
   * Found by the fuzz (SEED=1 cases 5, 36, ...): a peer call without the cluster-id header, or with
   * another cluster's, was refused with a message that named this node's cluster id, which is what
   * guards the peer port.
   */
  @Test
  void peerCall_ofNoOrAnotherCluster_isRefusedWithoutNamingTheClusterId() {
    byte[] request = dev.tally.peer.v1.ReadStatesRequest.newBuilder()
        .setFrom(NodeRef.newBuilder().setName("fz-peer").setDc("dc1")).addKeys("k").build().toByteArray();

    for (Channel ch : List.of(peerNoHeader, peerOtherCluster)) {
      RawCalls.Outcome out = RawCalls.unary(ch, PeerServiceGrpc.getReadStatesMethod(), request);

      assertThat(out.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(out.description()).contains("refused").doesNotContain(CLUSTER);
    }
  }
}
