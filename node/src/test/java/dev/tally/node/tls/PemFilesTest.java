package dev.tally.node.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.tls.CertificateAuthority.Issued;
import dev.tally.node.tls.CertificateAuthority.KeyFormat;
import dev.tally.node.tls.CertificateAuthority.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {
  @TempDir Path dir;
  private final CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(30));

  private Issued issue(KeyType type) {
    Instant now = Instant.now();
    return ca.issue("n1", List.of("127.0.0.1", "localhost"), true, now.minusSeconds(60), now.plus(Duration.ofDays(1)), type);
  }

  @Test
  void readPrivateKey_pkcs8Rsa() {
    Issued n = issue(KeyType.RSA);
    n.writeKey(dir.resolve("k.pem"), KeyFormat.PKCS8, false);
    assertThat(contents("k.pem")).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(PemFiles.readPrivateKey(dir.resolve("k.pem"))).isEqualTo(n.key());
  }

  @Test
  void readPrivateKey_pkcs1Rsa() {
    Issued n = issue(KeyType.RSA);
    n.writeKey(dir.resolve("k.pem"), KeyFormat.TRADITIONAL, false);
    assertThat(contents("k.pem")).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(PemFiles.readPrivateKey(dir.resolve("k.pem")).getEncoded()).isEqualTo(n.key().getEncoded());
  }

  @Test
  void readPrivateKey_sec1Ec() {
    Issued n = issue(KeyType.EC);
    n.writeKey(dir.resolve("k.pem"), KeyFormat.TRADITIONAL, false);
    assertThat(contents("k.pem")).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(PemFiles.readPrivateKey(dir.resolve("k.pem")).getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void writeKey_isOwnerOnly() throws Exception {
    issue(KeyType.EC).writeKey(dir.resolve("k.pem"), KeyFormat.PKCS8, false);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k.pem")))).isEqualTo("rw-------");
  }

  @Test
  void readCertificates_chainInFileOrder() throws Exception {
    Issued n = issue(KeyType.EC);
    Files.writeString(dir.resolve("chain.pem"),
        CertificateAuthority.certificatePem(n.certificate()) + CertificateAuthority.certificatePem(ca.certificate()));
    List<X509Certificate> chain = PemFiles.readCertificates(dir.resolve("chain.pem"));
    assertThat(chain).containsExactly(n.certificate(), ca.certificate());
  }

  @Test
  void keyMaterial_keyOfAnotherCertificate_isRefusedNamingBothFiles() {
    Issued a = issue(KeyType.EC);
    Issued b = issue(KeyType.EC);
    byte[] cert = CertificateAuthority.certificatePem(a.certificate()).getBytes();
    byte[] key = CertificateAuthority.keyPem(b.key(), KeyFormat.PKCS8).getBytes();
    assertThatThrownBy(() -> KeyMaterial.parse(cert, "tls-cert file c.pem", key, "tls-key file k.pem"))
        .isInstanceOf(TlsFileException.class)
        .hasMessageContaining("tls-key file k.pem is not the private key of the first certificate in tls-cert file c.pem");
  }

  @Test
  void readPrivateKey_encrypted_isRefusedWithAdvice() throws Exception {
    Issued n = issue(KeyType.EC);
    try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(dir.resolve("enc.pem")))) {
      w.writeObject(new JcaPKCS8Generator(n.key(), new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC)
          .setPassword("secret".toCharArray()).build()));
    }
    assertThatThrownBy(() -> PemFiles.readPrivateKey(dir.resolve("enc.pem")))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("encrypted private key");
  }

  @Test
  void readCertificates_notPem_saysWhatWasExpected() throws Exception {
    Files.writeString(dir.resolve("x.pem"), "hello\n");
    assertThatThrownBy(() -> PemFiles.readCertificates(dir.resolve("x.pem")))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("holds no PEM certificate");
    assertThatThrownBy(() -> PemFiles.readCertificates(dir.resolve("missing.pem")))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("cannot read");
  }

  @Test
  void certNames_nodeCertificate_namesCnAndDnsSans() {
    Issued n = issue(KeyType.EC);
    assertThat(CertNames.of(n.certificate())).containsExactly("n1", "localhost");
    assertThat(CertNames.names(n.certificate(), "n1")).isTrue();
    assertThat(CertNames.names(n.certificate(), "n2")).isFalse();
    Issued client = ca.issueClient("web", Duration.ofDays(1));
    assertThat(CertNames.of(client.certificate())).containsExactly("web");
  }

  private String contents(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
