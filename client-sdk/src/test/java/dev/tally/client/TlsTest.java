package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.testing.TlsTesting;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS against a real Netty server on loopback with the test certificates shipped in grpc-testing
 * (server1 is valid for *.test.google.fr, signed by ca.pem).
 */
class TlsTest {

  private static final String SERVER_NAME = "node.test.google.fr";

  @TempDir Path certs;
  private Server server;
  private final FakeCounterService service = new FakeCounterService();

  @AfterEach
  void tearDown() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Path cert(String name) throws IOException {
    Path file = certs.resolve(name);
    try (InputStream in = TlsTesting.loadCert(name)) {
      Files.copy(in, file);
    }
    return file;
  }

  private int start(ServerCredentials credentials) throws IOException {
    server = Grpc.newServerBuilderForPort(0, credentials).addService(service).build().start();
    return server.getPort();
  }

  private TallyClientBuilder clientFor(int port) {
    return TallyClient.builder().endpoints("127.0.0.1:" + port).retryPolicy(RetryPolicy.noRetries());
  }

  @Test
  void tls_withTheCaConfigured_isAccepted() throws IOException {
    int port = start(TlsServerCredentials.create(cert("server1.pem").toFile(), cert("server1.key").toFile()));
    try (TallyClient client = clientFor(port).useTls(cert("ca.pem")).tlsServerName(SERVER_NAME).build()) {
      assertThat(client.increment("secure").value()).isEqualTo(1);
    }
  }

  @Test
  void tls_withoutTrustingTheCa_failsAsUnavailable() throws IOException {
    int port = start(TlsServerCredentials.create(cert("server1.pem").toFile(), cert("server1.key").toFile()));
    try (TallyClient client = clientFor(port).useTls().tlsServerName(SERVER_NAME).build()) {
      assertThatThrownBy(() -> client.get("k")).isInstanceOf(UnavailableException.class);
    }
    assertThat(service.requests()).isEmpty();
  }

  @Test
  void tls_wrongServerName_isRefused() throws IOException {
    int port = start(TlsServerCredentials.create(cert("server1.pem").toFile(), cert("server1.key").toFile()));
    try (TallyClient client = clientFor(port).useTls(cert("ca.pem")).tlsServerName("evil.example.com").build()) {
      assertThatThrownBy(() -> client.get("k")).isInstanceOf(UnavailableException.class);
    }
  }

  @Test
  void mutualTls_withAClientCertificate_isAccepted_andWithoutOneRefused() throws IOException {
    ServerCredentials mtls = TlsServerCredentials.newBuilder()
        .keyManager(cert("server1.pem").toFile(), cert("server1.key").toFile())
        .trustManager(cert("ca.pem").toFile())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    int port = start(mtls);
    try (TallyClient client = clientFor(port).useTls(certs.resolve("ca.pem")).tlsServerName(SERVER_NAME)
        .clientCertificate(cert("client.pem"), cert("client.key")).build()) {
      assertThat(client.increment("mtls", 2).value()).isEqualTo(2);
    }
    try (TallyClient anonymous = clientFor(port).useTls(certs.resolve("ca.pem")).tlsServerName(SERVER_NAME).build()) {
      assertThatThrownBy(() -> anonymous.get("mtls")).isInstanceOf(UnavailableException.class);
    }
  }

  @Test
  void plaintext_isTheDefault_andWorksAgainstAPlaintextServer() throws IOException {
    int port = start(InsecureServerCredentials.create());
    try (TallyClient client = clientFor(port).build()) {
      assertThat(client.increment("plain").value()).isEqualTo(1);
    }
  }

  @Test
  void dnsTarget_resolvesTheNameAndCallsItsAddresses() throws IOException {
    int port = start(InsecureServerCredentials.create());
    try (TallyClient client = TallyClient.builder().target("dns:///localhost:" + port).build()) {
      for (int i = 0; i < 5; i++) {
        client.increment("dns");
      }
    }
    assertThat(service.value("dns")).isEqualTo(5);
  }
}
