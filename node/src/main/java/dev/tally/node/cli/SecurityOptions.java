package dev.tally.node.cli;

import dev.tally.client.TallyClientBuilder;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Option;

/**
 * How a command authenticates to the nodes and protects the connection: {@code --tls}, {@code
 * --ca}, {@code --cert}, {@code --key} and the bearer token ({@code --token}, else {@code
 * TALLY_TOKEN}). Mixed into every client command and into {@code tally bench}, so they take the same
 * flags with the same meaning: the client commands hand them to the SDK ({@link #applyTo}), the
 * benchmark builds its raw gRPC channels from them ({@link #sslContext}, {@link #tokenInterceptor}).
 */
public final class SecurityOptions {
  /** The environment variable holding the token (preferred to --token, which other users see in ps). */
  public static final String TOKEN_ENV = "TALLY_TOKEN";

  @Option(names = "--tls", order = 104,
      description = "Talk TLS to the nodes, trusting --ca (else the system's CAs). Implied by --ca, --cert.")
  boolean tls;

  @Option(names = "--ca", paramLabel = "FILE", order = 105,
      description = "PEM bundle of the CA(s) that signed the nodes' certificates (turns on TLS).")
  Path ca;

  @Option(names = "--cert", paramLabel = "FILE", order = 106,
      description = "Client certificate chain (PEM) for nodes with client-ca (mutual TLS); needs --key.")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", order = 107,
      description = "Private key (PEM, PKCS#8) of --cert.")
  Path key;

  @Option(names = "--token", paramLabel = "TOKEN", order = 108,
      description = "Bearer token for nodes with auth-tokens. Prefer the environment variable " + TOKEN_ENV
          + ": a flag is visible to other users in ps. A token needs --tls unless the target is loopback.")
  String token;

  /** True when any option turns TLS on. */
  public boolean tlsOn() {
    return tls || ca != null || cert != null;
  }

  /**
   * Applies the options to an SDK client.
   *
   * @throws IllegalArgumentException naming the option when a setting cannot be used
   */
  void applyTo(TallyClientBuilder builder, Map<String, String> env) {
    checkFiles();
    if (ca != null) {
      builder.useTls(ca);
    } else if (tlsOn()) {
      builder.useTls();
    }
    if (cert != null) {
      builder.clientCertificate(cert, key);
    }
    Optional<String> t = token(env);
    if (t.isPresent()) {
      try {
        builder.token(t.get());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException((token != null ? "--token" : TOKEN_ENV) + ": " + e.getMessage());
      }
    }
  }

  /**
   * The client TLS context of a raw gRPC channel, or empty for plaintext.
   *
   * @throws IllegalArgumentException naming the option when a file cannot be used
   */
  public Optional<SslContext> sslContext() {
    checkFiles();
    if (!tlsOn()) {
      return Optional.empty();
    }
    try {
      SslContextBuilder b = GrpcSslContexts.forClient();
      if (ca != null) {
        b.trustManager(ca.toFile());
      }
      if (cert != null) {
        b.keyManager(cert.toFile(), key.toFile());
      }
      return Optional.of(b.build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load the TLS files (--ca, --cert, --key): " + e.getMessage(), e);
    }
  }

  /** An interceptor sending {@code authorization: Bearer <token>}, or empty without a token. */
  public Optional<ClientInterceptor> tokenInterceptor(Map<String, String> env) {
    return token(env).map(t -> {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + t);
      return MetadataUtils.newAttachHeadersInterceptor(headers);
    });
  }

  private Optional<String> token(Map<String, String> env) {
    String t = token != null ? token : env.get(TOKEN_ENV);
    return t == null || t.isBlank() ? Optional.empty() : Optional.of(t.strip());
  }

  private void checkFiles() {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(cert == null ? "--key needs --cert" : "--cert needs --key");
    }
    Map<String, Path> files = new LinkedHashMap<>();
    files.put("--ca", ca);
    files.put("--cert", cert);
    files.put("--key", key);
    for (Map.Entry<String, Path> f : files.entrySet()) {
      Path p = f.getValue();
      if (p != null && (!Files.isReadable(p) || Files.isDirectory(p))) {
        throw new IllegalArgumentException(f.getKey() + " " + p + " is not a readable file");
      }
    }
  }
}
