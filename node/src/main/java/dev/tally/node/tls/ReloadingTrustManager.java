package dev.tally.node.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts certificates chained to the current CA bundle; {@link #update} swaps the bundle, and
 * every handshake after it checks against the new one. It checks the chain only, never the host
 * name: on the client port the peer is a client, and towards peers {@link NameBoundTrustManager}
 * checks the node name instead of an address.
 *
 * <p>Threads: handshakes on any thread read {@code current} (volatile); the reloader writes it.
 */
public final class ReloadingTrustManager extends ChainOnlyTrustManager {
  private record Current(List<X509Certificate> cas, X509TrustManager delegate) {}

  private volatile Current current;

  public ReloadingTrustManager(List<X509Certificate> cas) {
    this.current = build(cas);
  }

  public List<X509Certificate> cas() {
    return current.cas();
  }

  public void update(List<X509Certificate> cas) {
    current = build(cas);
  }

  static Current build(List<X509Certificate> cas) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate ca : cas) {
        ks.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return new Current(List.copyOf(cas), x);
        }
      }
      throw new TlsFileException("the JDK offers no X509 trust manager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new TlsFileException("cannot build a trust store from the CA bundle: " + e, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    current.delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    current.delegate().checkServerTrusted(chain, authType);
  }





  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return current.delegate().getAcceptedIssuers();
  }
}
