package dev.tally.node.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the node's current {@link KeyMaterial}; {@link #update} swaps it, and every handshake
 * after the swap presents the new certificate (connections already open keep theirs). The alias
 * changes with each swap, so no TLS implementation serves key material cached under an old alias.
 *
 * <p>Threads: handshakes on any thread read {@code current} (volatile); the reloader writes it.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private record Current(String alias, KeyMaterial material) {}

  private volatile Current current;
  private volatile Current previous;
  private int generation; // reloader thread only (and the constructor)

  public ReloadingKeyManager(KeyMaterial initial) {
    this.current = new Current("tally-0", Objects.requireNonNull(initial, "initial"));
  }

  public KeyMaterial material() {
    return current.material();
  }

  /** Handshakes from now on present {@code next}. */
  public synchronized void update(KeyMaterial next) {
    generation++;
    previous = current;
    current = new Current("tally-" + generation, Objects.requireNonNull(next, "next"));
  }

  private String aliasFor(String keyType) {
    Current c = current;
    String alg = c.material().key().getAlgorithm();
    if (keyType == null || keyType.equals(alg) || keyType.startsWith(alg + "_")
        || alg.equals("RSA") && keyType.equals("RSASSA-PSS") || alg.equals("EC") && keyType.startsWith("EC")) {
      return c.alias();
    }
    return null;
  }

  private String aliasFor(String[] keyTypes) {
    if (keyTypes == null) {
      return current.alias();
    }
    for (String t : keyTypes) {
      String a = aliasFor(t);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return byAlias(alias).chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return byAlias(alias).key();
  }

  /**
   * The material of {@code alias}: a handshake that chose its alias just before a swap still gets
   * the chain and the key of one generation.
   */
  private KeyMaterial byAlias(String alias) {
    Current p = previous;
    if (p != null && p.alias().equals(alias)) {
      return p.material();
    }
    return current.material();
  }
}
