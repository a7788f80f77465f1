package dev.tally.node.tls;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.NodeStartException;
import dev.tally.node.TallyNode;
import dev.tally.node.config.ConfigException;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client port with tls-cert/tls-key (and client-ca): what a client gets with and without TLS. */
class ClientPortTlsTest {
  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private TallyNode start(String... overrides) {
    TallyNode node = TestNodes.start(dir.resolve("data"), overrides);
    open.add(node);
    return node;
  }

  private ManagedChannel track(ManagedChannel c) {
    open.add(() -> TestNodes.shutdown(c));
    return c;
  }

  private static IncrementRequest incr(String key, long amount) {
    return IncrementRequest.newBuilder().setKey(key).setAmount(amount).build();
  }

  private static long get(ManagedChannel c, String key) {
    return TestNodes.blocking(c).get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  @Test
  void tlsClient_isServed_andPlaintextClient_isRefused() {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    TallyNode node = start("tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString());
    ManagedChannel tls = track(certs.channel(node.clientPort()));
    TestNodes.blocking(tls).increment(incr("k", 5));
    assertThat(get(tls, "k")).isEqualTo(5);

    ManagedChannel plain = track(TestNodes.channel(node));
    assertStatus(() -> TestNodes.blocking(plain).increment(incr("k", 1)), Status.Code.UNAVAILABLE);
    assertThat(get(tls, "k")).as("the refused plaintext call changed nothing").isEqualTo(5);
  }

  @Test
  void clientCa_requiresAClientCertificateOfThatCa() {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    certs.client("web");
    TlsFixture other = new TlsFixture(dir.resolve("other"), "other-ca");
    other.client("web");
    TallyNode node = start("tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString(),
        "client-ca", certs.caFile().toString());

    ManagedChannel good = track(certs.channel(node.clientPort(), "web"));
    TestNodes.blocking(good).increment(incr("k", 3));

    ManagedChannel none = track(certs.channel(node.clientPort()));
    assertStatus(() -> TestNodes.blocking(none).increment(incr("k", 1)), Status.Code.UNAVAILABLE);
    // Trusts the node's CA, but presents a certificate of another CA.
    ManagedChannel wrongCa = track(io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", node.clientPort())
        .sslContext(sslContext(certs.caFile(), other.cert("web"), other.key("web"))).build());
    assertStatus(() -> TestNodes.blocking(wrongCa).increment(incr("k", 1)), Status.Code.UNAVAILABLE);
    assertThat(get(good, "k")).isEqualTo(3);
  }

  @Test
  void expiredServerCertificate_isRefusedByTheClient_andTheGaugeIsNegative() throws Exception {
    TlsFixture certs = new TlsFixture(dir, "ca");
    Instant now = Instant.now();
    certs.write("test-node", certs.ca().issue("test-node", TlsFixture.HOSTS, true, now.minus(Duration.ofDays(10)),
        now.minus(Duration.ofDays(1)), CertificateAuthority.KeyType.EC), CertificateAuthority.KeyFormat.PKCS8);
    TallyNode node = start("tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString(),
        "metrics-port", Integer.toString(TestNodes.freePort()));
    ManagedChannel tls = track(certs.channel(node.clientPort()));
    assertStatus(() -> TestNodes.blocking(tls).increment(incr("k", 1)), Status.Code.UNAVAILABLE);
    assertThat(expiryGauge(node, "client-port")).isNegative();
  }

  @Test
  void expiryGauge_secondsUntilNotAfter() throws Exception {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node"); // valid for 365 days
    TallyNode node = start("tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString(),
        "tls-ca", certs.caFile().toString(), "metrics-port", Integer.toString(TestNodes.freePort()));
    double seconds = expiryGauge(node, "client-port");
    assertThat(seconds).isBetween((double) Duration.ofDays(364).toSeconds(), (double) Duration.ofDays(365).toSeconds());
    assertThat(expiryGauge(node, "peer")).isEqualTo(seconds, org.assertj.core.data.Offset.offset(5.0));
    assertThat(expiryGauge(node, "tls-ca")).isPositive();
  }

  @Test
  void rotation_newHandshakesUseTheNewCertificate_withoutRestart() throws Exception {
    TlsFixture first = new TlsFixture(dir.resolve("first"), "first-ca");
    first.node("test-node");
    Path cert = dir.resolve("node.pem");
    Path key = dir.resolve("node-key.pem");
    Files.copy(first.cert("test-node"), cert);
    Files.copy(first.key("test-node"), key);
    TallyNode node = start("tls-cert", cert.toString(), "tls-key", key.toString());
    ManagedChannel before = track(first.channel(node.clientPort()));
    TestNodes.blocking(before).increment(incr("k", 1));

    TlsFixture second = new TlsFixture(dir.resolve("second"), "second-ca");
    second.node("test-node");
    // Key first, then the certificate: between the two the pair does not match and the old one stays.
    Files.copy(second.key("test-node"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(second.cert("test-node"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      ManagedChannel c = second.channel(node.clientPort());
      try {
        TestNodes.blocking(c).increment(incr("k", 1));
        return true;
      } finally {
        TestNodes.shutdown(c);
      }
    });
    ManagedChannel oldTrust = track(first.channel(node.clientPort()));
    assertStatus(() -> TestNodes.blocking(oldTrust).increment(incr("k", 100)), Status.Code.UNAVAILABLE);
    ManagedChannel after = track(second.channel(node.clientPort()));
    assertThat(get(after, "k")).isEqualTo(2);
  }

  @Test
  void start_refusesBadFiles_namingTheSettingAndFile() throws Exception {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    certs.node("other");
    Path data = dir.resolve("data");
    assertThatThrownBy(() -> TestNodes.config(data, "tls-cert", certs.cert("test-node").toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tls-cert is set but tls-key is not");
    assertThatThrownBy(() -> TestNodes.config(data, "tls-ca", certs.caFile().toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tls-ca is set but tls-cert and tls-key are not");
    assertThatThrownBy(() -> TestNodes.config(data, "tls-cert", dir.resolve("nope.pem").toString(), "tls-key",
        certs.key("test-node").toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tls-cert file " + dir.resolve("nope.pem") + " does not exist");
    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, "not a certificate\n");
    assertThatThrownBy(() -> TestNodes.start(data, "tls-cert", garbage.toString(), "tls-key", certs.key("test-node").toString()))
        .isInstanceOf(NodeStartException.class).hasMessageContaining("tls-cert file " + garbage).hasMessageContaining("no PEM certificate");
    assertThatThrownBy(() -> TestNodes.start(data, "tls-cert", certs.cert("test-node").toString(), "tls-key",
        certs.key("other").toString()))
        .isInstanceOf(NodeStartException.class)
        .hasMessageContaining("tls-key file " + certs.key("other") + " is not the private key");
    // With tls-ca, the node's certificate must name the node.
    assertThatThrownBy(() -> TestNodes.start(data, "tls-cert", certs.cert("other").toString(), "tls-key",
        certs.key("other").toString(), "tls-ca", certs.caFile().toString()))
        .isInstanceOf(NodeStartException.class)
        .hasMessageContaining("not this node 'test-node'").hasMessageContaining("docs/security.md");
  }

  static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext sslContext(Path ca, Path cert, Path key) {
    try {
      return io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(ca.toFile())
          .keyManager(cert.toFile(), key.toFile()).build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
  }

  static double expiryGauge(TallyNode node, String which) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    for (String line : r.body().split("\n")) {
      if (line.startsWith("tally_tls_cert_expiry_seconds{") && line.contains("cert=\"" + which + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no tally_tls_cert_expiry_seconds{cert=\"" + which + "\"} in\n" + r.body());
  }
}
