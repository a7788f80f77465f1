package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.tls.CertNames;
import dev.tally.node.tls.PemFiles;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally certs create}: the files it writes, its refusal to overwrite, and a node running on them. */
class CertsCommandTest {
  @TempDir Path tmp;

  @Test
  void create_writesCaNodeAndClientFiles_refusesToOverwrite_andANodeServesWithThem() throws Exception {
    Path d = tmp.resolve("certs");
    Cli.Result r = Cli.run("certs", "create", "--dir", d.toString(), "--hosts", "127.0.0.1,localhost", "--names", "a,b",
        "--client", "web", "--days", "10");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote 8 files", "--tls-cert " + d.resolve("a.pem"), "--tls-ca " + d.resolve("ca.pem"),
        "--tls --ca " + d.resolve("ca.pem"));
    for (String f : new String[] {"ca-key.pem", "a-key.pem", "b-key.pem", "web-key.pem"}) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(f)))).as(f).isEqualTo("rw-------");
    }
    X509Certificate a = PemFiles.readCertificates(d.resolve("a.pem")).get(0);
    assertThat(CertNames.of(a)).containsExactly("a", "localhost");
    assertThat(a.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList()).contains("127.0.0.1");
    assertThat(a.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    X509Certificate web = PemFiles.readCertificates(d.resolve("web.pem")).get(0);
    assertThat(CertNames.commonName(web)).isEqualTo("web");
    assertThat(web.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

    String before = Files.readString(d.resolve("ca.pem"));
    Cli.Result again = Cli.run("certs", "create", "--dir", d.toString(), "--hosts", "127.0.0.1", "--names", "a,b",
        "--client", "web");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("refusing to overwrite", "--force");
    assertThat(Files.readString(d.resolve("ca.pem"))).isEqualTo(before);

    try (TallyNode node = TestNodes.start(tmp.resolve("data"), "name", "a", "tls-cert", d.resolve("a.pem").toString(),
        "tls-key", d.resolve("a-key.pem").toString(), "tls-ca", d.resolve("ca.pem").toString(),
        "client-ca", d.resolve("ca.pem").toString())) {
      ManagedChannel c = NettyChannelBuilder.forAddress("localhost", node.clientPort())
          .sslContext(GrpcSslContexts.forClient().trustManager(d.resolve("ca.pem").toFile())
              .keyManager(d.resolve("web.pem").toFile(), d.resolve("web-key.pem").toFile()).build()).build();
      try {
        TestNodes.blocking(c).increment(IncrementRequest.newBuilder().setKey("k").setAmount(4).build());
        assertThat(TestNodes.blocking(c).get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(4);
      } finally {
        TestNodes.shutdown(c);
      }
    }

    Cli.Result forced = Cli.run("certs", "create", "--dir", d.toString(), "--hosts", "127.0.0.1", "--names", "a,b",
        "--client", "web", "--force");
    assertThat(forced.exitCode()).as(forced.err()).isZero();
    assertThat(Files.readString(d.resolve("ca.pem"))).isNotEqualTo(before);
  }

  @Test
  void create_withoutHosts_isAUsageError() {
    Cli.Result r = Cli.run("certs", "create", "--dir", tmp.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--hosts");
  }
}
