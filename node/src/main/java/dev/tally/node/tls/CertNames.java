package dev.tally.node.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The names a certificate gives its holder: the subject's CN and every DNS subject alternative
 * name. A node's certificate must name the node (its {@code name} setting) among them, so one node
 * cannot speak for another: names are compared exactly (no wildcards, case-sensitive, as node names
 * are).
 */
public final class CertNames {
  private static final int SAN_DNS = 2;

  private CertNames() {}

  /** CN first (when present), then DNS SANs, without repeats. */
  public static Set<String> of(X509Certificate cert) {
    Set<String> out = new LinkedHashSet<>();
    String cn = commonName(cert);
    if (cn != null) {
      out.add(cn);
    }
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && san.get(0) instanceof Integer type && type == SAN_DNS && san.get(1) instanceof String s) {
            out.add(s);
          }
        }
      }
    } catch (CertificateParsingException e) {
      // An unparsable SAN extension names no one.
    }
    return out;
  }

  /** True when {@code cert} names {@code name} (CN or DNS SAN). */
  public static boolean names(X509Certificate cert, String name) {
    return of(cert).contains(name);
  }

  /** The subject's CN, or null. */
  public static String commonName(X509Certificate cert) {
    try {
      LdapName dn = new LdapName(cert.getSubjectX500Principal().getName());
      String cn = null;
      for (Rdn rdn : dn.getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = String.valueOf(rdn.getValue());
        }
      }
      return cn;
    } catch (InvalidNameException e) {
      return null;
    }
  }
}
