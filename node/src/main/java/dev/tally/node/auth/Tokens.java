package dev.tally.node.auth;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** New tokens and the token-file entries that accept them ({@code tally token create}). */
public final class Tokens {
  /** Marks a string as a Tally token (secret scanners and people recognise it). */
  public static final String PREFIX = "tally_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Tokens() {}

  /** {@code tally_} and 256 random bits, URL-safe base64 without padding (43 characters). */
  public static String create() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Hex SHA-256 of the token string, as the file's {@code sha256} field holds it. */
  public static String sha256Hex(String token) {
    return HexFormat.of().formatHex(TokenSet.sha256(token));
  }

  /** The file entry for a token: a YAML list item that {@link TokenFile} reads back. */
  public static String entry(String name, String token, Set<Role> roles, List<String> prefixes) {
    StringBuilder b = new StringBuilder()
        .append("- name: ").append(name).append('\n')
        .append("  sha256: ").append(sha256Hex(token)).append('\n')
        .append("  roles: [").append(roles.stream().sorted().map(Role::configName).collect(Collectors.joining(", ")))
        .append("]\n");
    if (!prefixes.isEmpty()) {
      b.append("  key-prefixes: [").append(prefixes.stream().map(Tokens::quoted).collect(Collectors.joining(", ")))
          .append("]\n");
    }
    return b.toString();
  }

  /** A YAML double-quoted scalar. */
  private static String quoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
