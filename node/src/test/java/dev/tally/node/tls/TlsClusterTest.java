package dev.tally.node.tls;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.node.TallyNode;
import dev.tally.node.config.HostPort;
import dev.tally.node.membership.AtomixMembership;
import dev.tally.node.membership.KnownMembers;
import dev.tally.node.peer.PeerHeaders;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import dev.tally.peer.v1.ReplicaEntry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes with tls-cert, tls-key and tls-ca: they replicate exact totals over mutual TLS, and a node
 * whose certificate is of another CA, or names another node, cannot change any count.
 */
class TlsClusterTest {
  @TempDir Path dir;
  @RegisterExtension final ClusterTestSupport clusters = new ClusterTestSupport();

  private InProcessCluster startCluster(TlsFixture certs, int n) {
    InProcessCluster.Spec spec = new InProcessCluster.Spec().nodes(n, "dc1")
        .set("tls-ca", certs.caFile().toString())
        .clientChannels(certs::channel);
    for (int i = 1; i <= n; i++) {
      String name = "n" + i;
      certs.node(name);
      spec.setOn(name, "tls-cert", certs.cert(name).toString()).setOn(name, "tls-key", certs.key(name).toString());
    }
    return clusters.start(dir.resolve("cluster"), spec);
  }

  private static IncrementRequest incr(String key, long amount) {
    return IncrementRequest.newBuilder().setKey(key).setAmount(amount).build();
  }

  @Test
  void threeNodes_withMutualTls_replicateExactTotals() {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    InProcessCluster c = startCluster(certs, 3);
    c.awaitMembership();
    long total = 0;
    for (int round = 0; round < 20; round++) {
      for (String n : c.names()) {
        c.stub(n).increment(incr("likes", round + 1));
        total += round + 1;
      }
    }
    c.awaitValues(Map.of("likes", total));
  }

  @Test
  void nodeWithACertificateOfAnotherCa_cannotJoinOrPush() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    InProcessCluster c = startCluster(certs, 2);
    c.awaitMembership();
    c.stub("n1").increment(incr("k", 7));
    c.awaitValues(Map.of("k", 7L));

    // A node of another CA, pointed at the cluster with its cluster id and seeds.
    TlsFixture rogue = new TlsFixture(dir.resolve("rogue"), "rogue-ca");
    rogue.node("n4");
    String seeds = "127.0.0.1:" + c.node("n1").peerPort() + ",127.0.0.1:" + c.node("n2").peerPort();
    try (TallyNode n4 = TallyNode.start(TestNodes.config(dir.resolve("n4"), "name", "n4", "cluster-id", "test-cluster",
        "seeds", seeds, "heartbeat-interval", "100ms", "failure-timeout", "1500ms", "gossip-interval", "20ms",
        "anti-entropy-interval", "300ms", "peer-timeout", "500ms",
        "tls-cert", rogue.cert("n4").toString(), "tls-key", rogue.key("n4").toString(), "tls-ca", rogue.caFile().toString()),
        TallyNode.Options.defaults().withReplicaClaimTimeout(Duration.ofSeconds(2)))) {
      ManagedChannel toN4 = rogue.channel(n4.clientPort());
      try {
        TestNodes.blocking(toN4).increment(incr("k", 1000));
      } finally {
        TestNodes.shutdown(toN4);
      }
      // Its own push, straight to n1's peer port with its own credentials: refused at the handshake.
      ManagedChannel raw = NettyChannelBuilder.forAddress("127.0.0.1", c.node("n1").peerPort())
          .sslContext(ClientPortTlsTest.sslContext(certs.caFile(), rogue.cert("n4"), rogue.key("n4"))).build();
      try {
        assertStatus(() -> push(raw, "n4", "n4"), Status.Code.UNAVAILABLE);
      } finally {
        TestNodes.shutdown(raw);
      }
      // More writes on the cluster while the rogue node keeps trying; the totals stay exact.
      c.stub("n2").increment(incr("k", 3));
      c.awaitValues(Map.of("k", 10L));
      for (String n : c.names()) {
        assertThat(c.status(n).getMembersList()).extracting(MemberStatus::getName).doesNotContain("n4");
      }
    }
    c.awaitValues(Map.of("k", 10L));
  }

  @Test
  void validCertificateNamingAnotherNode_cannotClaimToBeAMember() {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    InProcessCluster c = startCluster(certs, 2);
    c.awaitMembership();
    c.stub("n1").increment(incr("k", 2));
    c.awaitValues(Map.of("k", 2L));
    certs.node("n9");
    ManagedChannel raw = NettyChannelBuilder.forAddress("127.0.0.1", c.node("n1").peerPort())
        .sslContext(ClientPortTlsTest.sslContext(certs.caFile(), certs.cert("n9"), certs.key("n9"))).build();
    try {
      // Header claims n2.
      StatusRuntimeException e = assertStatus(() -> push(raw, "n2", "n2"), Status.Code.PERMISSION_DENIED,
          "names [n9, localhost]", "node 'n2'");
      assertThat(e.getStatus().getDescription()).doesNotContain("test-cluster");
      // Header honest, body claims n2.
      assertStatus(() -> push(raw, "n9", "n2"), Status.Code.PERMISSION_DENIED, "the message is from node 'n2'");
    } finally {
      TestNodes.shutdown(raw);
    }
    c.stub("n2").increment(incr("k", 1));
    c.awaitValues(Map.of("k", 3L));
  }

  @Test
  void membershipPort_speaksMutualTlsOnly() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    InProcessCluster c = startCluster(certs, 1);
    int membershipPort = c.node("n1").peerPort() + 1;
    certs.node("n5");
    // A client certificate of the cluster CA completes the handshake (so Atomix did not fall back to plaintext)...
    try (javax.net.ssl.SSLSocket s = socket(membershipPort, sslContext(certs, "n5"))) {
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).startsWith("TLSv1.");
      assertThat(CertNames.of((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])).contains("n1");
    }
    // ...one without a certificate does not.
    try (javax.net.ssl.SSLSocket s = socket(membershipPort, sslContext(certs, null))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
        s.startHandshake();
        s.getOutputStream().write(1);
        s.getOutputStream().flush();
        s.getInputStream().read();
      }).isInstanceOf(java.io.IOException.class);
    }
    assertThat(java.nio.file.Files.getPosixFilePermissions(c.dataDir("n1").resolve("membership-tls/membership-key.p12")))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  private static javax.net.ssl.SSLSocket socket(int port, javax.net.ssl.SSLContext ctx) throws Exception {
    javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    return s;
  }

  private static javax.net.ssl.SSLContext sslContext(TlsFixture certs, String client) throws Exception {
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    javax.net.ssl.KeyManager[] km = client == null ? null : new javax.net.ssl.KeyManager[] {
        new ReloadingKeyManager(new KeyMaterial(PemFiles.readCertificates(certs.cert(client)), PemFiles.readPrivateKey(certs.key(client))))};
    ctx.init(km, new javax.net.ssl.TrustManager[] {new ReloadingTrustManager(PemFiles.readCertificates(certs.caFile()))}, null);
    return ctx;
  }

  @Test
  void memberWhosePeerPortShowsNoCertificateNamingIt_isNeverCounted() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "cluster-ca");
    InProcessCluster c = startCluster(certs, 2);
    c.awaitMembership();
    int n1Peer = c.node("n1").peerPort();

    // The name check itself: n1's peer port shows a certificate naming n1, not n2.
    certs.node("n9");
    NodeTls n9 = NodeTls.open(TestNodes.config(dir.resolve("n9"), "name", "n9", "tls-cert", certs.cert("n9").toString(),
        "tls-key", certs.key("n9").toString(), "tls-ca", certs.caFile().toString()), Duration.ofHours(1)).orElseThrow();
    try (n9) {
      HostPort n1Address = new HostPort("127.0.0.1", n1Peer);
      assertThat(n9.verifyPeerName("n1", n1Address).get(10, TimeUnit.SECONDS)).isTrue();
      assertThat(n9.verifyPeerName("n2", n1Address)).failsWithin(Duration.ofSeconds(10));

      // A membership member with a valid certificate (n9's) that calls itself "fake": its peer port
      // shows nothing naming "fake", so no node lists it, persists it or counts it.
      MembershipStores stores = n9.writeMembershipStores(dir.resolve("fake-tls"));
      AtomixMembership fake = new AtomixMembership(TestNodes.config(dir.resolve("fake"), "name", "fake",
          "cluster-id", "test-cluster", "seeds", "127.0.0.1:" + n1Peer, "heartbeat-interval", "100ms",
          "failure-timeout", "1500ms"), 42, new KnownMembers() {
            @Override
            public Map<String, String> load() {
              return Map.of();
            }

            @Override
            public void remember(String name, String dc) {}
          });
      try (fake) {
        fake.start(TestNodes.freePort(), stores);
        // It hears of the real members (their certificates name them), they never list it.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fake.members().size() == 2);
        c.stub("n1").increment(incr("k", 1));
        c.awaitValues(Map.of("k", 1L));
        for (String n : c.names()) {
          assertThat(c.status(n).getMembersList()).extracting(MemberStatus::getName).doesNotContain("fake");
        }
      }
    }
  }

  /** Pushes a delta adding 1,000,000 to "k" for a made-up replica, as {@code header} (header) and {@code from} (body). */
  private static void push(ManagedChannel channel, String header, String from) {
    Metadata md = new Metadata();
    md.put(PeerHeaders.CLUSTER_ID, "test-cluster");
    md.put(PeerHeaders.FROM_NODE, header);
    PeerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .pushDelta(DeltaBatch.newBuilder().setFrom(NodeRef.newBuilder().setName(from).setDc("dc1"))
            .addStates(CounterState.newBuilder().setKey("k")
                .addEntries(ReplicaEntry.newBuilder().setReplica(0x1234_5678L).setP(1_000_000).setUpdatedAtMs(1)))
            .build());
  }
}
