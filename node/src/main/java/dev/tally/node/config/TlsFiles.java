package dev.tally.node.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node's TLS files (PEM), each null when unset. {@code cert} and {@code key} turn TLS on for
 * the client port (TLS 1.2/1.3 only); {@code ca} adds mutual TLS on the peer and membership ports;
 * {@code clientCa} makes the client port require a client certificate chained to it. Validation
 * here covers what the settings say together and that the files exist; that they parse is checked
 * when the node starts ({@code dev.tally.node.tls.NodeTls}), naming the setting and the file.
 */
public record TlsFiles(Path cert, Path key, Path ca, Path clientCa) {
  public static final TlsFiles NONE = new TlsFiles(null, null, null, null);

  /** @throws ConfigException naming the first setting that is wrong */
  public TlsFiles {
    if ((cert == null) != (key == null)) {
      ConfigKey missing = cert == null ? ConfigKey.TLS_CERT : ConfigKey.TLS_KEY;
      ConfigKey given = cert == null ? ConfigKey.TLS_KEY : ConfigKey.TLS_CERT;
      throw new ConfigException(missing.key(), given.key() + " is set but " + missing.key()
          + " is not: tls-cert (the node's certificate chain) and tls-key (its private key) go together");
    }
    if (cert == null && ca != null) {
      throw new ConfigException(ConfigKey.TLS_CA.key(), "tls-ca is set but tls-cert and tls-key are not: "
          + "mutual TLS between nodes needs the node's own certificate and key too");
    }
    if (cert == null && clientCa != null) {
      throw new ConfigException(ConfigKey.CLIENT_CA.key(), "client-ca is set but tls-cert and tls-key are not: "
          + "client certificates are checked only on a TLS client port");
    }
    requireFile(ConfigKey.TLS_CERT, cert);
    requireFile(ConfigKey.TLS_KEY, key);
    requireFile(ConfigKey.TLS_CA, ca);
    requireFile(ConfigKey.CLIENT_CA, clientCa);
  }

  /** True when the client port serves TLS. */
  public boolean enabled() {
    return cert != null;
  }

  /** True when the peer and membership ports use mutual TLS. */
  public boolean mutualPeers() {
    return ca != null;
  }

  public Optional<Path> caFile() {
    return Optional.ofNullable(ca);
  }

  public Optional<Path> clientCaFile() {
    return Optional.ofNullable(clientCa);
  }

  private static void requireFile(ConfigKey key, Path file) {
    if (file == null) {
      return;
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(key.key(), key.key() + " file " + file + (Files.exists(file) ? " is not a regular file"
          : " does not exist") + " (a PEM file; see docs/security.md)");
    }
    if (!Files.isReadable(file)) {
      throw new ConfigException(key.key(), key.key() + " file " + file + " is not readable by this user");
    }
  }
}
