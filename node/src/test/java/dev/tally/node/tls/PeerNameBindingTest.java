package dev.tally.node.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.config.HostPort;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.peer.GrpcPeerTransport;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer client side of name binding: a channel to member N accepts only a server certificate
 * that names N, so an address announced under N that leads to another node gets nothing pushed.
 */
class PeerNameBindingTest {
  @TempDir Path dir;
  @RegisterExtension final ClusterTestSupport clusters = new ClusterTestSupport();

  @Test
  void channelToMember_acceptsOnlyACertificateNamingIt() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    // n1's certificate names only n1 (no IP or host SAN): peers check the name, not the address.
    certs.write("n1", certs.ca().issueNode("n1", List.of(), Duration.ofDays(1)), CertificateAuthority.KeyFormat.PKCS8);
    InProcessCluster c = clusters.start(dir.resolve("cluster"), new InProcessCluster.Spec().nodes(1, "dc1")
        .set("tls-ca", certs.caFile().toString()).clientChannels(port -> channelAs(certs, port, "n1"))
        .setOn("n1", "tls-cert", certs.cert("n1").toString()).setOn("n1", "tls-key", certs.key("n1").toString()));
    int n1PeerPort = c.node("n1").peerPort();

    // The sending node n7, with a valid certificate; it believes both "n1" and "n2" live at n1's peer port.
    certs.node("n7");
    NodeTls tls = NodeTls.open(TestNodes.config(dir.resolve("n7"), "name", "n7", "tls-cert", certs.cert("n7").toString(),
        "tls-key", certs.key("n7").toString(), "tls-ca", certs.caFile().toString()), Duration.ofHours(1)).orElseThrow();
    try (tls; GrpcPeerTransport transport = new GrpcPeerTransport(name -> Optional.of(new HostPort("127.0.0.1", n1PeerPort)),
        Duration.ofSeconds(5), List.of(ClusterIdInterceptors.client("test-cluster", "n7")), tls::peerClientContext)) {
      DeltaBatch empty = DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName("n7").setDc("dc1")).build();
      assertThat(transport.pushDelta("n1", empty).get(10, TimeUnit.SECONDS)).isNotNull();
      assertThatThrownBy(() -> transport.pushDelta("n2", empty).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseMessage("the peer port reached for member 'n2' presented a certificate that names [n1], not 'n2'");
    }
    c.awaitValues(Map.of());
  }

  /** A client channel that checks the server's certificate against {@code authority} instead of 127.0.0.1. */
  private static io.grpc.ManagedChannel channelAs(TlsFixture certs, int port, String authority) {
    try {
      return io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port).overrideAuthority(authority)
          .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(certs.caFile().toFile()).build())
          .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
  }
}
