package dev.tally.node.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a change of the files does to the material in force (checked on demand, not by the timer). */
class NodeTlsReloadTest {
  @TempDir Path dir;

  @Test
  void badNewFiles_keepTheOldMaterial_andAGoodChangeIsTakenAfterwards() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("certs"), "ca");
    CertificateAuthority.Issued first = certs.node("n1");
    Path cert = dir.resolve("n1.pem");
    Path key = dir.resolve("n1-key.pem");
    Files.copy(certs.cert("n1"), cert);
    Files.copy(certs.key("n1"), key);
    try (NodeTls tls = NodeTls.open(TestNodes.config(dir.resolve("data"), "name", "n1", "tls-cert", cert.toString(),
        "tls-key", key.toString(), "tls-ca", certs.caFile().toString()), Duration.ofHours(1)).orElseThrow()) {
      assertThat(tls.keyMaterial().leaf()).isEqualTo(first.certificate());

      Files.writeString(cert, "-----BEGIN CERTIFICATE-----\ntruncated");
      tls.checkFilesNow();
      assertThat(tls.keyMaterial().leaf()).as("a half-written file keeps the old certificate").isEqualTo(first.certificate());

      // A valid certificate of the CA that names another node: refused too (tls-ca is set).
      certs.node("n2");
      Files.copy(certs.cert("n2"), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(certs.key("n2"), key, StandardCopyOption.REPLACE_EXISTING);
      tls.checkFilesNow();
      assertThat(tls.keyMaterial().leaf()).isEqualTo(first.certificate());

      CertificateAuthority.Issued second = certs.node("n1");
      Files.copy(certs.cert("n1"), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(certs.key("n1"), key, StandardCopyOption.REPLACE_EXISTING);
      tls.checkFilesNow();
      assertThat(tls.keyMaterial().leaf()).isEqualTo(second.certificate());
    }
  }
}
