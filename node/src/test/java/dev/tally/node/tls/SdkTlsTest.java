package dev.tally.node.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.TallyClient;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java client's existing TLS settings against a node with tls-cert, tls-key and client-ca. */
class SdkTlsTest {
  @TempDir Path dir;

  @Test
  void sdkWithCaAndClientCertificate_isServed() {
    TlsFixture certs = new TlsFixture(dir, "ca");
    certs.node("test-node");
    certs.client("web");
    try (TallyNode node = TestNodes.start(dir.resolve("data"), "tls-cert", certs.cert("test-node").toString(),
        "tls-key", certs.key("test-node").toString(), "client-ca", certs.caFile().toString());
        TallyClient client = TallyClient.builder().endpoints("127.0.0.1:" + node.clientPort())
            .useTls(certs.caFile()).clientCertificate(certs.cert("web"), certs.key("web")).build()) {
      client.increment("k", 6);
      assertThat(client.get("k").value()).isEqualTo(6);
    }
  }
}
