package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.TallyNode;
import dev.tally.node.auth.Tokens;
import dev.tally.node.testing.TestNodes;
import dev.tally.node.tls.PemFiles;
import dev.tally.node.tls.TlsFixture;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS on the HTTP port with `tally certs`-style certificates: HTTP/1.1 and HTTP/2 by ALPN,
 * no plaintext; with client-ca a client certificate is required, and with auth-tokens it names
 * the principal through the in-process hop (cert-subject), as on the gRPC port.
 */
class HttpTlsTest {
  @TempDir
  Path dir;
  TallyNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  static SSLContext context(TlsFixture certs, String clientName) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    List<X509Certificate> cas = PemFiles.readCertificates(certs.caFile());
    for (int i = 0; i < cas.size(); i++) {
      trust.setCertificateEntry("ca" + i, cas.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientName != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", PemFiles.readPrivateKey(certs.key(clientName)), new char[0],
          PemFiles.readCertificates(certs.cert(clientName)).toArray(new X509Certificate[0]));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return c;
  }

  @Test
  void https_servesHttp1AndHttp2ByAlpn_andRefusesPlaintext() throws Exception {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    node = TestNodes.start(dir.resolve("data"), "http-port", Integer.toString(TestNodes.freePort()),
        "tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString());
    String base = "https://127.0.0.1:" + node.httpPort();
    HttpTestClient h1 = new HttpTestClient(HttpClient.newBuilder().sslContext(context(certs, null))
        .version(HttpClient.Version.HTTP_1_1).build(), base);
    HttpTestClient.Reply r1 = h1.post("/v1/counters/tls:increment", "{\"amount\": 2}");
    assertThat(r1.status()).isEqualTo(200);
    assertThat(r1.raw().version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    HttpTestClient h2 = new HttpTestClient(HttpClient.newBuilder().sslContext(context(certs, null))
        .version(HttpClient.Version.HTTP_2).build(), base);
    HttpTestClient.Reply r2 = h2.post("/v1/counters/tls:increment", "{\"amount\": 3}");
    assertThat(r2.raw().version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r2.json().get("value").asLong()).isEqualTo(5);
    try (SseStream s = SseStream.open(h2.client(), base + "/v1/counters:watch?keys=tls")) {
      assertThat(s.nextData("value", java.time.Duration.ofSeconds(10))).contains("\"value\":5");
    }
    HttpTestClient plain = HttpTestClient.plain(node.httpPort());
    assertThatThrownBy(() -> plain.get("/v1/counters/tls")).isInstanceOf(java.io.UncheckedIOException.class);
  }

  @Test
  void clientCa_requiresACertificate_whichNamesThePrincipal() throws Exception {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    certs.client("web");
    Path tokens = dir.resolve("tokens.yaml");
    Files.writeString(tokens, """
        - name: web
          sha256: %s
          roles: [read]
          cert-subject: "CN=web"
        """.formatted(Tokens.sha256Hex(Tokens.create())));
    node = TestNodes.start(dir.resolve("data"), "http-port", Integer.toString(TestNodes.freePort()),
        "tls-cert", certs.cert("test-node").toString(), "tls-key", certs.key("test-node").toString(),
        "client-ca", certs.caFile().toString(), "auth-tokens", tokens.toString());
    String base = "https://127.0.0.1:" + node.httpPort();
    HttpTestClient withCert = new HttpTestClient(HttpClient.newBuilder().sslContext(context(certs, "web")).build(), base);
    assertThat(withCert.get("/v1/counters/c").status()).as("read role from the certificate's entry").isEqualTo(200);
    HttpRestTest.assertError(withCert.post("/v1/counters/c:increment", null), 403, "PERMISSION_DENIED");
    HttpTestClient without = new HttpTestClient(HttpClient.newBuilder().sslContext(context(certs, null)).build(), base);
    assertThatThrownBy(() -> without.get("/v1/counters/c")).isInstanceOf(java.io.UncheckedIOException.class);
  }
}
