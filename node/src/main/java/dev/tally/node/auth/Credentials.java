package dev.tally.node.auth;

import java.security.Principal;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who presented what: an {@code authorization: Bearer <token>} header, else a client certificate
 * whose subject is some entry's {@code cert-subject}. A header that is present always decides (a
 * wrong token is not rescued by a certificate), so a client knows which credential it used.
 */
public final class Credentials {
  private static final String BEARER = "bearer ";

  private Credentials() {}

  /**
   * The principal for an authorization header value (null when absent) and the connection's TLS
   * session (null for plaintext), or empty when neither names an entry. Missing, malformed and
   * unknown are the same answer, so a caller cannot tell them apart.
   */
  public static Optional<TokenEntry> authenticate(TokenSet tokens, String authorization, SSLSession session) {
    if (authorization != null) {
      String token = bearerToken(authorization);
      // A malformed header is looked up too (as an empty token), so it costs what an unknown one does.
      return tokens.authenticate(token == null ? "" : token).filter(e -> token != null);
    }
    if (session == null) {
      return Optional.empty();
    }
    X500Principal subject = peerSubject(session);
    return subject == null ? Optional.empty() : tokens.bySubject(subject);
  }

  /** The token of {@code Bearer <token>} (scheme in any case), or null when the value is not that. */
  static String bearerToken(String header) {
    String h = header.strip();
    if (h.length() <= BEARER.length() || !h.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String token = h.substring(BEARER.length()).strip();
    return token.isEmpty() || token.chars().anyMatch(Character::isWhitespace) ? null : token;
  }

  private static X500Principal peerSubject(SSLSession session) {
    try {
      Principal p = session.getPeerPrincipal();
      return p instanceof X500Principal x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
