package dev.tally.client.internal;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Channels over gRPC's Netty transport with the client's transport security. */
final class NettyChannelFactory implements ChannelFactory {

  /**
   * Big enough for the largest legal reply: 1000 values of 4096-byte keys (about 4.2 MB) would
   * not fit gRPC's 4 MiB default.
   */
  static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final ChannelCredentials credentials;
  private final String serverName;
  private final Duration keepAliveTime;

  NettyChannelFactory(TlsSettings tls, Duration keepAliveTime) {
    this.credentials = credentials(tls);
    this.serverName = tls == null ? null : tls.serverName();
    this.keepAliveTime = keepAliveTime;
    if (tls != null) {
      // gRPC parses certificates and keys only when it builds a channel; build one that never
      // connects so that a bad file fails the client's build, not its first call.
      try {
        Grpc.newChannelBuilderForAddress("localhost", 1, credentials).build().shutdownNow();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "could not load TLS certificates or key: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public ManagedChannel create(HostPort address, String authority) {
    ManagedChannelBuilder<?> b =
        Grpc.newChannelBuilderForAddress(address.host(), address.port(), credentials)
            // Every callback the client registers is short and non-blocking (futures complete
            // here; user code runs on the callback executor), so skip a thread hand-off per call.
            .directExecutor()
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .userAgent("tally-java-client");
    String override = serverName != null ? serverName : authority;
    if (override != null) {
      b.overrideAuthority(override);
    }
    if (keepAliveTime != null) {
      b.keepAliveTime(keepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
          .keepAliveTimeout(20, TimeUnit.SECONDS)
          .keepAliveWithoutCalls(false);
    }
    return b.build();
  }

  private static ChannelCredentials credentials(TlsSettings tls) {
    if (tls == null) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    try {
      if (tls.trustedCertificates() != null) {
        b.trustManager(tls.trustedCertificates().toFile());
      }
      if (tls.clientCertificateChain() != null) {
        b.keyManager(tls.clientCertificateChain().toFile(), tls.clientPrivateKey().toFile());
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("could not load TLS certificates or key: " + e.getMessage(), e);
    }
    return b.build();
  }
}
