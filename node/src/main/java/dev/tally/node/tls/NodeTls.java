package dev.tally.node.tls;

import dev.tally.node.NodeStartException;
import dev.tally.node.config.ConfigKey;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.config.TlsFiles;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's transport security, from its {@link TlsFiles}: the client port's TLS context (TLS
 * 1.2/1.3, a client certificate required when {@code client-ca} is set), and with {@code tls-ca}
 * the peer port's mutual TLS (server and per-peer client contexts, the caller's name checked
 * against its certificate) and the membership port's key and trust stores. Key and trust material
 * reload when their files change ({@link TlsReloader}); expiry is logged at start and on every
 * reload (WARN within {@link #EXPIRY_WARNING}) and exported as {@code tally.tls.cert.expiry.seconds}.
 *
 * <p>Threads: built on the starting thread; contexts are used by gRPC's event loops; reloads run on
 * the reloader's thread and swap volatile material in the managers.
 */
public final class NodeTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeTls.class);
  /** Certificates closer than this to their end are warned about. */
  public static final Duration EXPIRY_WARNING = Duration.ofDays(30);
  public static final String EXPIRY_GAUGE = "tally.tls.cert.expiry.seconds";
  private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final String nodeName;
  private final TlsFiles files;
  private final ReloadingKeyManager keys;
  private final ReloadingTrustManager peerCas;   // null without tls-ca
  private final ReloadingTrustManager clientCas; // null without client-ca
  private final TlsReloader reloader;
  /** Runs membership's name checks (blocking handshakes), one at a time. */
  private final java.util.concurrent.ExecutorService nameChecks;

  private NodeTls(String nodeName, TlsFiles files, ReloadingKeyManager keys, ReloadingTrustManager peerCas,
      ReloadingTrustManager clientCas, TlsReloader reloader) {
    this.nodeName = nodeName;
    this.files = files;
    this.keys = keys;
    this.peerCas = peerCas;
    this.clientCas = clientCas;
    this.reloader = reloader;
    this.nameChecks = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tally-tls-namecheck-" + nodeName);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Reads and checks the TLS files of {@code config}, or returns empty when TLS is off.
   *
   * @throws NodeStartException naming the setting and file that is wrong, or when {@code tls-ca}
   *     is set and the node's own certificate does not name the node
   */
  public static Optional<NodeTls> open(NodeConfig config, Duration reloadInterval) {
    TlsFiles f = config.tls();
    if (!f.enabled()) {
      return Optional.empty();
    }
    try {
      return Optional.of(openChecked(config, f, reloadInterval));
    } catch (TlsFileException e) {
      throw new NodeStartException(e.getMessage(), e);
    }
  }

  private static NodeTls openChecked(NodeConfig config, TlsFiles f, Duration reloadInterval) {
    String name = config.name();
    byte[] certBytes = read(ConfigKey.TLS_CERT, f.cert());
    byte[] keyBytes = read(ConfigKey.TLS_KEY, f.key());
    KeyMaterial material = keyMaterial(certBytes, keyBytes, f);
    if (f.mutualPeers()) {
      requireNamesNode(material.leaf(), name, f.cert());
    }
    ReloadingKeyManager keys = new ReloadingKeyManager(material);
    byte[] caBytes = f.mutualPeers() ? read(ConfigKey.TLS_CA, f.ca()) : null;
    ReloadingTrustManager peerCas = caBytes == null ? null : new ReloadingTrustManager(cas(caBytes, ConfigKey.TLS_CA, f.ca()));
    byte[] clientCaBytes = f.clientCa() == null ? null : read(ConfigKey.CLIENT_CA, f.clientCa());
    ReloadingTrustManager clientCas = clientCaBytes == null ? null
        : new ReloadingTrustManager(cas(clientCaBytes, ConfigKey.CLIENT_CA, f.clientCa()));
    if (peerCas != null) {
      verifyChain(material, peerCas, f);
    }

    TlsReloader reloader = new TlsReloader(name, reloadInterval);
    NodeTls tls = new NodeTls(name, f, keys, peerCas, clientCas, reloader);
    reloader.watch("node certificate (tls-cert " + f.cert() + ", tls-key " + f.key() + ")", List.of(f.cert(), f.key()),
        List.of(certBytes, keyBytes), contents -> tls.reloadKeys(contents.get(0), contents.get(1)));
    if (peerCas != null) {
      reloader.watch("peer CA bundle (tls-ca " + f.ca() + ")", List.of(f.ca()), List.of(caBytes), contents -> {
        List<X509Certificate> next = PemFiles.parseCertificates(contents.get(0), "tls-ca file " + f.ca());
        peerCas.update(next);
        logExpiry("tls-ca", f.ca(), earliest(next));
      });
    }
    if (clientCas != null) {
      reloader.watch("client CA bundle (client-ca " + f.clientCa() + ")", List.of(f.clientCa()), List.of(clientCaBytes),
          contents -> {
            List<X509Certificate> next = PemFiles.parseCertificates(contents.get(0), "client-ca file " + f.clientCa());
            clientCas.update(next);
            logExpiry("client-ca", f.clientCa(), earliest(next));
          });
    }
    logExpiry("tls-cert", f.cert(), material.leaf());
    if (peerCas != null) {
      logExpiry("tls-ca", f.ca(), earliest(peerCas.cas()));
    }
    if (clientCas != null) {
      logExpiry("client-ca", f.clientCa(), earliest(clientCas.cas()));
    }
    log.info("TLS on the client port ({}), {}; {}", String.join("/", PROTOCOLS),
        clientCas == null ? "no client certificate asked" : "client certificates chained to client-ca required",
        peerCas == null ? "peer and membership ports in plaintext (set tls-ca for mutual TLS between nodes)"
            : "mutual TLS on the peer and membership ports (certificates chained to tls-ca, naming their node)");
    return tls;
  }

  /** Whether the peer and membership ports use mutual TLS ({@code tls-ca} is set). */
  public boolean mutualPeers() {
    return peerCas != null;
  }

  /** The node's certificate and key in force now. */
  public KeyMaterial keyMaterial() {
    return keys.material();
  }

  /** The client port's server context. */
  public SslContext clientPortContext() {
    SslContextBuilder b = SslContextBuilder.forServer(keys);
    if (clientCas != null) {
      b.trustManager(clientCas).clientAuth(ClientAuth.REQUIRE);
    }
    return build(b);
  }

  /**
   * The node's reloading key manager, for servers that build their own TLS context (the HTTP
   * port's, on unshaded Netty): a rotated tls-cert/tls-key takes effect there at once too.
   */
  public javax.net.ssl.X509ExtendedKeyManager keyManager() {
    return keys;
  }

  /** The reloading trust manager of client-ca, or null when client certificates are not asked for. */
  public javax.net.ssl.X509ExtendedTrustManager clientCaTrustManager() {
    return clientCas;
  }

  /** The peer port's server context: a client certificate chained to tls-ca is required. */
  public SslContext peerServerContext() {
    requireMutual();
    return build(SslContextBuilder.forServer(keys).trustManager(peerCas).clientAuth(ClientAuth.REQUIRE));
  }

  /**
   * The context of a channel to peer {@code peerName}: presents this node's certificate and
   * accepts only a server certificate chained to tls-ca that names {@code peerName}.
   */
  public SslContext peerClientContext(String peerName) {
    requireMutual();
    return build(SslContextBuilder.forClient().keyManager(keys).trustManager(new NameBoundTrustManager(peerCas, peerName)));
  }

  /** Refuses peer calls whose claimed node name is not one its certificate gives. */
  public ServerInterceptor peerIdentityInterceptor() {
    requireMutual();
    return new PeerIdentityInterceptor();
  }

  /**
   * Writes the membership port's PKCS12 key and trust stores into {@code dir} (created 0700, files
   * 0600), protected by a fresh random password.
   */
  public MembershipStores writeMembershipStores(Path dir) {
    requireMutual();
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    char[] pw = password.toCharArray();
    try {
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir);
        }
      }
      KeyMaterial m = keys.material();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("tally-node", m.key(), pw, m.chain().toArray(new X509Certificate[0]));
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      int i = 0;
      for (X509Certificate ca : peerCas.cas()) {
        ts.setCertificateEntry("ca-" + i++, ca);
      }
      Path keyStore = dir.resolve("membership-key.p12");
      Path trustStore = dir.resolve("membership-trust.p12");
      store(ks, keyStore, pw);
      store(ts, trustStore, pw);
      return new MembershipStores(keyStore, trustStore, password);
    } catch (IOException | GeneralSecurityException e) {
      throw new NodeStartException("cannot write the membership port's key stores into " + dir + ": " + e, e);
    }
  }

  /**
   * Exports {@code tally.tls.cert.expiry.seconds} (seconds until notAfter; negative once expired),
   * tagged {@code cert}: {@code client-port} and {@code peer} (the node certificate, served on both),
   * {@code tls-ca} and {@code client-ca} (the earliest-expiring CA of each bundle).
   */
  public void bindMetrics(MeterRegistry registry) {
    gauge(registry, "client-port", () -> keys.material().notAfter());
    if (peerCas != null) {
      gauge(registry, "peer", () -> keys.material().notAfter());
      gauge(registry, "tls-ca", () -> earliest(peerCas.cas()).getNotAfter().toInstant());
    }
    if (clientCas != null) {
      gauge(registry, "client-ca", () -> earliest(clientCas.cas()).getNotAfter().toInstant());
    }
  }

  /**
   * Completes with true when the node at {@code address} (a peer port) completes a mutual TLS
   * handshake with a certificate chained to tls-ca that names {@code name}; false (or
   * exceptionally) otherwise. The handshake runs on a thread of its own, with a 5 s timeout.
   */
  public java.util.concurrent.CompletableFuture<Boolean> verifyPeerName(String name, dev.tally.node.config.HostPort address) {
    requireMutual();
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {keys}, new javax.net.ssl.TrustManager[] {new NameBoundTrustManager(peerCas, name)},
            null);
        try (java.net.Socket raw = new java.net.Socket()) {
          raw.connect(new java.net.InetSocketAddress(address.host(), address.port()), 5_000);
          raw.setSoTimeout(5_000);
          try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
              .createSocket(raw, address.host(), address.port(), true)) {
            s.setEnabledProtocols(PROTOCOLS.toArray(new String[0]));
            s.startHandshake(); // NameBoundTrustManager throws unless the certificate names `name`
            return true;
          }
        }
      } catch (IOException | GeneralSecurityException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, nameChecks);
  }

  /** Looks at the files now instead of at the next poll (tests). */
  void checkFilesNow() {
    reloader.checkNow();
  }

  @Override
  public void close() {
    reloader.close();
    nameChecks.shutdownNow();
  }

  private void reloadKeys(byte[] cert, byte[] key) {
    KeyMaterial next = keyMaterial(cert, key, files);
    if (peerCas != null) {
      if (!CertNames.names(next.leaf(), nodeName)) {
        throw new TlsFileException("the new certificate in " + files.cert() + " names " + CertNames.of(next.leaf())
            + ", not this node '" + nodeName + "'");
      }
      verifyChain(next, peerCas, files);
    }
    keys.update(next);
    log.info("reloaded the node certificate from {} ({}); new handshakes on the client and peer ports use it "
        + "(the membership port uses it after a restart)", files.cert(), next.leaf().getSubjectX500Principal().getName());
    logExpiry("tls-cert", files.cert(), next.leaf());
  }

  private static void gauge(MeterRegistry registry, String which, Supplier<Instant> notAfter) {
    Gauge.builder(EXPIRY_GAUGE, () -> Duration.between(Instant.now(), notAfter.get()).toSeconds())
        .tag("cert", which)
        .baseUnit("seconds")
        .description("Seconds until the certificate expires (negative once it has); the node warns within 30 days")
        .strongReference(true)
        .register(registry);
  }

  private static KeyMaterial keyMaterial(byte[] cert, byte[] key, TlsFiles f) {
    return KeyMaterial.parse(cert, "tls-cert file " + f.cert(), key, "tls-key file " + f.key());
  }

  private static List<X509Certificate> cas(byte[] content, ConfigKey key, Path file) {
    try {
      return PemFiles.parseCertificates(content, key.key() + " file " + file);
    } catch (TlsFileException e) {
      throw new NodeStartException(e.getMessage(), e);
    }
  }

  private static byte[] read(ConfigKey key, Path file) {
    try {
      return PemFiles.read(file);
    } catch (TlsFileException e) {
      throw new NodeStartException(key.key() + ": " + e.getMessage(), e);
    }
  }

  private static void requireNamesNode(X509Certificate leaf, String name, Path certFile) {
    if (!CertNames.names(leaf, name)) {
      throw new NodeStartException("the certificate in tls-cert " + certFile + " names " + CertNames.of(leaf)
          + ", not this node '" + name + "': with tls-ca set, a node's certificate must carry its name (CN or a DNS "
          + "subject alternative name equal to the name setting), so that no node can speak for another; issue it "
          + "with CN=" + name + " and subjectAltName DNS:" + name + " (see docs/security.md), or set name to one of "
          + CertNames.of(leaf), null);
    }
  }

  /** The node's own chain must chain to tls-ca, or every peer would refuse it. */
  private static void verifyChain(KeyMaterial m, ReloadingTrustManager cas, TlsFiles f) {
    try {
      cas.checkClientTrusted(m.chain().toArray(new X509Certificate[0]), m.key().getAlgorithm().equals("RSA") ? "RSA" : "EC");
    } catch (java.security.cert.CertificateException e) {
      throw new TlsFileException("the certificate in tls-cert " + f.cert() + " is not signed by a CA of tls-ca " + f.ca()
          + " (" + e.getMessage() + "); peers would refuse it");
    }
  }

  private void requireMutual() {
    if (peerCas == null) {
      throw new IllegalStateException("tls-ca is not set: the peer ports are not mutual TLS");
    }
  }

  private static SslContext build(SslContextBuilder b) {
    try {
      // The JDK provider: it asks the key manager on every handshake, so a reload takes effect
      // at once (OpenSSL's provider caches key material by alias).
      return GrpcSslContexts.configure(b, SslProvider.JDK).protocols(PROTOCOLS).build();
    } catch (SSLException e) {
      throw new NodeStartException("cannot build the TLS context: " + e.getMessage(), e);
    }
  }

  static X509Certificate earliest(List<X509Certificate> certs) {
    return certs.stream().min(Comparator.comparing(X509Certificate::getNotAfter)).orElseThrow();
  }

  private static void logExpiry(String setting, Path file, X509Certificate cert) {
    Instant notAfter = cert.getNotAfter().toInstant();
    Duration left = Duration.between(Instant.now(), notAfter);
    String subject = cert.getSubjectX500Principal().getName();
    if (left.isNegative()) {
      log.warn("the certificate of {} {} ({}) EXPIRED on {}: TLS peers refuse it; replace the file (it reloads without a restart)",
          setting, file, subject, notAfter);
    } else if (left.compareTo(EXPIRY_WARNING) < 0) {
      log.warn("the certificate of {} {} ({}) expires on {}, in {} days: replace the file before then (it reloads without a restart)",
          setting, file, subject, notAfter, left.toDays());
    } else {
      log.info("the certificate of {} {} ({}) expires on {} (in {} days)", setting, file, subject, notAfter, left.toDays());
    }
  }

  private static void store(KeyStore ks, Path file, char[] pw) throws IOException, GeneralSecurityException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.TRUNCATE_EXISTING)) {
      ks.store(out, pw);
    }
  }
}
