package dev.tally.node.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * The trust manager of a channel to one peer: the server's certificate must chain to the cluster
 * CA and name that peer (CN or DNS SAN equal to its node name). So a member that announced
 * another member's name, or an address that now leads to another node, fails the handshake:
 * nothing is pushed to it and it never counts as an ack. The address is deliberately not checked:
 * it comes from membership, the name is what the certificate vouches for.
 */
public final class NameBoundTrustManager extends ChainOnlyTrustManager {
  private final ReloadingTrustManager cas;
  private final String peerName;

  public NameBoundTrustManager(ReloadingTrustManager cas, String peerName) {
    this.cas = Objects.requireNonNull(cas, "cas");
    this.peerName = Objects.requireNonNull(peerName, "peerName");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    cas.checkServerTrusted(chain, authType);
    if (!CertNames.names(chain[0], peerName)) {
      throw new CertificateException("the peer port reached for member '" + peerName
          + "' presented a certificate that names " + CertNames.of(chain[0]) + ", not '" + peerName + "'");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    cas.checkClientTrusted(chain, authType);
  }





  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return cas.getAcceptedIssuers();
  }
}
