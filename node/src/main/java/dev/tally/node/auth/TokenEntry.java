package dev.tally.node.auth;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.security.auth.x500.X500Principal;

/**
 * One principal of the token file: its name, the SHA-256 of its token (never the token), its roles,
 * the key prefixes it may touch and, optionally, the client-certificate subject that stands for it.
 *
 * @param name shown in logs, metrics and refusals; never secret
 * @param sha256 32 bytes; null when the entry is matched only by {@code certSubject}
 * @param roles at least one
 * @param keyPrefixes empty when every key is allowed
 * @param certSubject the certificate subject matched when no token is sent, or null
 */
public record TokenEntry(String name, byte[] sha256, Set<Role> roles, List<String> keyPrefixes,
    X500Principal certSubject) {
  public TokenEntry {
    Objects.requireNonNull(name, "name");
    if (sha256 == null && certSubject == null) {
      throw new IllegalArgumentException("an entry needs sha256 or cert-subject");
    }
    if (sha256 != null && sha256.length != 32) {
      throw new IllegalArgumentException("sha256 must be 32 bytes");
    }
    sha256 = sha256 == null ? null : sha256.clone();
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("an entry needs a role");
    }
    roles = Set.copyOf(EnumSet.copyOf(roles));
    keyPrefixes = List.copyOf(keyPrefixes);
  }

  @Override
  public byte[] sha256() {
    return sha256 == null ? null : sha256.clone();
  }

  /** Compared without copying: the caller must not change it. */
  byte[] digestForComparison() {
    return sha256;
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** True when the entry may touch {@code key}: no prefixes listed, or one of them starts it. */
  public boolean allowsKey(String key) {
    if (keyPrefixes.isEmpty()) {
      return true;
    }
    for (String p : keyPrefixes) {
      if (key.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  /** {@code read, write}, in role order. */
  public String rolesText() {
    return EnumSet.copyOf(roles).stream().map(Role::configName).collect(Collectors.joining(", "));
  }

  /** The prefixes as a refusal names them: {@code 'likes:', 'views:'}. */
  public String prefixesText() {
    return keyPrefixes.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", "));
  }

  public Optional<X500Principal> subject() {
    return Optional.ofNullable(certSubject);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenEntry t && name.equals(t.name) && Arrays.equals(sha256, t.sha256)
        && roles.equals(t.roles) && keyPrefixes.equals(t.keyPrefixes) && Objects.equals(certSubject, t.certSubject);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(sha256), roles, keyPrefixes, certSubject);
  }

  /** Never prints the digest in full: logs show which entry, not material to compare against. */
  @Override
  public String toString() {
    return "TokenEntry[" + name + ", roles " + rolesText()
        + (keyPrefixes.isEmpty() ? "" : ", prefixes " + prefixesText())
        + (sha256 == null ? "" : ", sha256 " + HexFormat.of().formatHex(sha256, 0, 4) + "...")
        + (certSubject == null ? "" : ", cert-subject " + certSubject.getName()) + "]";
  }
}
