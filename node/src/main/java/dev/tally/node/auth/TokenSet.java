package dev.tally.node.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * The entries of one version of the token file, immutable. Looking a token up hashes it and
 * compares the digest with every entry's in constant time ({@link MessageDigest#isEqual}), always
 * all of them: how long a lookup takes depends on the number of entries, not on how much of a
 * digest a guess got right nor on which entry matched.
 */
public final class TokenSet {
  private final List<TokenEntry> entries;

  TokenSet(List<TokenEntry> entries) {
    this.entries = List.copyOf(entries);
  }

  public List<TokenEntry> entries() {
    return entries;
  }

  /** The entry whose sha256 is the SHA-256 of {@code token} (UTF-8), if any. */
  public Optional<TokenEntry> authenticate(String token) {
    byte[] digest = sha256(token);
    TokenEntry found = null;
    for (TokenEntry e : entries) {
      byte[] d = e.digestForComparison();
      // No early exit: every entry is compared whether or not an earlier one matched.
      boolean match = d != null && MessageDigest.isEqual(d, digest);
      if (match && found == null) {
        found = e;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The entry whose cert-subject is {@code subject} (compared in canonical form), if any. */
  public Optional<TokenEntry> bySubject(X500Principal subject) {
    for (TokenEntry e : entries) {
      if (e.certSubject() != null && e.certSubject().equals(subject)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The SHA-256 of a token's UTF-8 bytes. */
  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
