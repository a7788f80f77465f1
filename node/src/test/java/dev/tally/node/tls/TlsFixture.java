package dev.tally.node.tls;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Certificates for tests, written under one directory: a CA ({@code <dir>/ca.pem}), node
 * certificates ({@code <name>.pem}, {@code <name>-key.pem}, naming the node, SANs 127.0.0.1 and
 * localhost) and client certificates, all from {@link CertificateAuthority}; and TLS channels.
 */
public final class TlsFixture {
  public static final List<String> HOSTS = List.of("127.0.0.1", "localhost");
  private final Path dir;
  private final CertificateAuthority ca;

  public TlsFixture(Path dir, String caName) {
    this.dir = dir;
    try {
      java.nio.file.Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    this.ca = CertificateAuthority.create(caName, Duration.ofDays(365));
    ca.writeCertificate(caFile(), true);
  }

  public CertificateAuthority ca() {
    return ca;
  }

  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  public Path cert(String name) {
    return dir.resolve(name + ".pem");
  }

  public Path key(String name) {
    return dir.resolve(name + "-key.pem");
  }

  /** Writes a node certificate for {@code name} (PKCS#8 key), valid for a year. */
  public CertificateAuthority.Issued node(String name) {
    return write(name, ca.issueNode(name, HOSTS, Duration.ofDays(365)), CertificateAuthority.KeyFormat.PKCS8);
  }

  /** Writes a client certificate for {@code name}. */
  public CertificateAuthority.Issued client(String name) {
    return write(name, ca.issueClient(name, Duration.ofDays(365)), CertificateAuthority.KeyFormat.PKCS8);
  }

  public CertificateAuthority.Issued write(String fileName, CertificateAuthority.Issued issued,
      CertificateAuthority.KeyFormat format) {
    issued.writeCertificate(cert(fileName), true);
    issued.writeKey(key(fileName), format, true);
    return issued;
  }

  /** The node settings for a node named {@code name} with mutual TLS between nodes: key, value pairs. */
  public String[] nodeSettings(String name) {
    return new String[] {"name", name, "tls-cert", cert(name).toString(), "tls-key", key(name).toString(),
        "tls-ca", caFile().toString()};
  }

  /** A TLS channel to a client port on 127.0.0.1 trusting this CA, without a client certificate. */
  public ManagedChannel channel(int port) {
    return channel(port, null);
  }

  /** A TLS channel presenting the client certificate {@code clientName} (written by {@link #client}), or none. */
  public ManagedChannel channel(int port, String clientName) {
    try {
      SslContextBuilder b = GrpcSslContexts.forClient().trustManager(caFile().toFile());
      if (clientName != null) {
        b.keyManager(cert(clientName).toFile(), key(clientName).toFile());
      }
      return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(b.build()).directExecutor()
          .maxInboundMessageSize(32 << 20).build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
  }
}
