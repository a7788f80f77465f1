package dev.tally.node.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the {@code auth-tokens} file: a YAML list of entries
 *
 * <pre>
 * - name: web                  # logs, metrics and refusals show it; never the token
 *   sha256: 5e884898da28...    # hex SHA-256 of the token string (64 digits)
 *   roles: [read, write]       # read, write, admin
 *   key-prefixes: ["likes:"]   # optional; absent means every key
 *   cert-subject: "CN=web"     # optional; a client certificate with this subject stands for it
 * </pre>
 *
 * Strict: unknown fields, duplicate names, digests or subjects, unknown roles and bad hex are
 * errors naming the entry ({@code entry 2 ('web')}) and the field. An empty file is an error too,
 * so that a file caught half-written by a reload does not lock every client out.
 */
public final class TokenFile {
  /** Principal names: safe in logs, metric tags and the scoped form of request ids. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Set<String> FIELDS = Set.of("name", "sha256", "roles", "key-prefixes", "cert-subject");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

  private TokenFile() {}

  /** True for a name an entry may have. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** @throws TokenFileException naming the file and what is wrong with it */
  public static TokenSet read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new TokenFileException("auth-tokens file " + file + " does not exist");
    } catch (IOException e) {
      throw new TokenFileException("cannot read auth-tokens file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, "auth-tokens file " + file);
  }

  /**
   * @param source how messages name the text, e.g. {@code auth-tokens file /etc/tally/tokens.yaml}
   * @throws TokenFileException naming the source, the entry and the field
   */
  public static TokenSet parse(String text, String source) {
    Object doc;
    try {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new TokenFileException(source + " is not valid YAML: " + e.getMessage());
    }
    if (doc == null) {
      throw new TokenFileException(source + " is empty; it must list at least one entry (name, sha256, roles)");
    }
    if (!(doc instanceof List<?> list)) {
      throw new TokenFileException(source + " must be a YAML list of entries (- name: ..., sha256: ..., roles: [...])");
    }
    if (list.isEmpty()) {
      throw new TokenFileException(source + " lists no entries; it must list at least one");
    }
    List<TokenEntry> entries = new ArrayList<>();
    Map<String, Integer> names = new HashMap<>();
    Map<String, String> digests = new HashMap<>();
    Map<X500Principal, String> subjects = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      TokenEntry e = entry(list.get(i), source, i + 1);
      Integer earlier = names.putIfAbsent(e.name(), i + 1);
      if (earlier != null) {
        throw new TokenFileException(source + ": entry " + (i + 1) + " has name '" + e.name()
            + "', already used by entry " + earlier + "; names must be unique");
      }
      if (e.digestForComparison() != null) {
        String other = digests.putIfAbsent(HexFormat.of().formatHex(e.digestForComparison()), e.name());
        if (other != null) {
          throw new TokenFileException(source + ": " + where(i + 1, e.name()) + " has the same sha256 as entry '"
              + other + "'; each token belongs to one entry");
        }
      }
      if (e.certSubject() != null) {
        String other = subjects.putIfAbsent(e.certSubject(), e.name());
        if (other != null) {
          throw new TokenFileException(source + ": " + where(i + 1, e.name()) + " has the same cert-subject as entry '"
              + other + "'");
        }
      }
      entries.add(e);
    }
    return new TokenSet(entries);
  }

  private static String where(int index, String name) {
    return "entry " + index + (name == null ? "" : " ('" + name + "')");
  }

  private static TokenEntry entry(Object item, String source, int index) {
    if (!(item instanceof Map<?, ?> map)) {
      throw new TokenFileException(source + ": entry " + index + " must be a mapping with name, sha256 and roles");
    }
    Object rawName = map.get("name");
    String name = rawName instanceof String s ? s : null;
    String at = source + ": " + where(index, name);
    for (Object k : map.keySet()) {
      if (!FIELDS.contains(String.valueOf(k))) {
        throw new TokenFileException(at + ": unknown field '" + k + "' (known: name, sha256, roles, key-prefixes,"
            + " cert-subject)");
      }
    }
    if (name == null || !NAME.matcher(name).matches()) {
      throw new TokenFileException(at + ": name " + (rawName == null ? "is missing" : "'" + rawName + "' is invalid")
          + "; it must be 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    byte[] digest = null;
    Object sha = map.get("sha256");
    if (sha != null) {
      if (!(sha instanceof String hex) || !HEX64.matcher(hex.strip()).matches()) {
        throw new TokenFileException(at + ": sha256 must be 64 hex digits (the SHA-256 of the token, as printed by"
            + " 'tally token create' or 'printf %s TOKEN | sha256sum'), got " + shape(sha));
      }
      digest = HexFormat.of().parseHex(hex.strip().toLowerCase(java.util.Locale.ROOT));
    }
    X500Principal subject = null;
    Object subj = map.get("cert-subject");
    if (subj != null) {
      if (!(subj instanceof String s) || s.isBlank()) {
        throw new TokenFileException(at + ": cert-subject must be a distinguished name such as \"CN=web,O=Example\"");
      }
      try {
        subject = new X500Principal(s.strip());
      } catch (IllegalArgumentException e) {
        throw new TokenFileException(at + ": cert-subject '" + s + "' is not a distinguished name: " + e.getMessage());
      }
    }
    if (digest == null && subject == null) {
      throw new TokenFileException(at + ": sha256 is missing (an entry needs sha256, cert-subject or both)");
    }
    EnumSet<Role> roles = EnumSet.noneOf(Role.class);
    Object rawRoles = map.get("roles");
    if (!(rawRoles instanceof List<?> roleList) || roleList.isEmpty()) {
      throw new TokenFileException(at + ": roles must be a non-empty list of read, write, admin, e.g. roles: [read]");
    }
    for (int r = 0; r < roleList.size(); r++) {
      Object role = roleList.get(r);
      final int ri = r;
      roles.add(Role.parse(role instanceof String s ? s : null).orElseThrow(() -> new TokenFileException(at
          + ": roles[" + ri + "] " + describe(role) + " is not a role; use read, write or admin")));
    }
    List<String> prefixes = new ArrayList<>();
    if (map.containsKey("key-prefixes")) {
      Object raw = map.get("key-prefixes");
      if (!(raw instanceof List<?> prefixList) || prefixList.isEmpty()) {
        throw new TokenFileException(at + ": key-prefixes must be a non-empty list of strings, e.g. [\"likes:\"];"
            + " leave it out to allow every key");
      }
      for (int p = 0; p < prefixList.size(); p++) {
        if (!(prefixList.get(p) instanceof String s) || s.isEmpty()) {
          throw new TokenFileException(at + ": key-prefixes[" + p + "] must be a non-empty string, got "
              + describe(prefixList.get(p)));
        }
        prefixes.add(s);
      }
    }
    return new TokenEntry(name, digest, roles, prefixes, subject);
  }

  /**
   * What a bad sha256 looked like, without its text: a token pasted there by mistake must not
   * reach the log.
   */
  private static String shape(Object v) {
    if (v instanceof String s) {
      return s.strip().length() + " characters" + (s.strip().startsWith(Tokens.PREFIX)
          ? " starting with '" + Tokens.PREFIX + "' (that is a token: put its SHA-256 here, never the token)" : "");
    }
    return "a " + v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " (quote it)";
  }

  /** A value as an error shows it: quoted text, or its YAML type (never more than 80 characters). */
  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    String text = v instanceof String s ? "'" + s + "'" : v + " (a " + v.getClass().getSimpleName().toLowerCase(
        java.util.Locale.ROOT) + "; quote it)";
    return text.length() > 80 ? text.substring(0, 77) + "..." : text;
  }
}
