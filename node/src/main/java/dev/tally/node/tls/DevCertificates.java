package dev.tally.node.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The files of {@code tally certs create} and {@code tally up --tls}: a fresh CA
 * ({@code ca.pem}, {@code ca-key.pem}), one certificate per node ({@code <name>.pem},
 * {@code <name>-key.pem}: CN and DNS SAN = the name, every host as a SAN, server and client auth)
 * and one client certificate ({@code <client>.pem}, {@code <client>-key.pem}: client auth). Keys
 * are written 0600. Existing files are refused unless {@code force}: a CA replaced by accident
 * would lock every node out of every other.
 */
public final class DevCertificates {
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

  /** What to make. */
  public record Spec(Path dir, List<String> hosts, List<String> names, String client, Duration validity, boolean force) {
    public Spec {
      Objects.requireNonNull(dir, "dir");
      hosts = List.copyOf(hosts);
      names = List.copyOf(names);
      if (names.isEmpty()) {
        throw new IllegalArgumentException("give at least one node name");
      }
      for (String n : names) {
        requireName("node name", n);
      }
      if (client != null) {
        requireName("client name", client);
        if (names.contains(client)) {
          throw new IllegalArgumentException("the client name '" + client + "' is also a node name; pick another");
        }
      }
      if (validity.isNegative() || validity.isZero()) {
        throw new IllegalArgumentException("the validity must be at least one day");
      }
    }

    public List<Path> files() {
      List<Path> out = new ArrayList<>(List.of(dir.resolve("ca.pem"), dir.resolve("ca-key.pem")));
      for (String n : names) {
        out.add(cert(n));
        out.add(key(n));
      }
      if (client != null) {
        out.add(cert(client));
        out.add(key(client));
      }
      return out;
    }

    public Path caFile() {
      return dir.resolve("ca.pem");
    }

    public Path cert(String name) {
      return dir.resolve(name + ".pem");
    }

    public Path key(String name) {
      return dir.resolve(name + "-key.pem");
    }
  }

  private DevCertificates() {}

  /**
   * Writes every file of {@code spec}.
   *
   * @return the files written, in order
   * @throws IllegalStateException naming the files that exist, when not {@code force}
   */
  public static List<Path> create(Spec spec) {
    List<Path> existing = spec.files().stream().filter(Files::exists).toList();
    if (!existing.isEmpty() && !spec.force()) {
      throw new IllegalStateException("refusing to overwrite " + existing + " (pass --force to replace them; "
          + "nodes with certificates of the old CA will then no longer trust the new ones)");
    }
    try {
      Files.createDirectories(spec.dir());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    CertificateAuthority ca = CertificateAuthority.create("tally development CA", spec.validity());
    ca.writeCertificate(spec.caFile(), spec.force());
    ca.writeKey(spec.dir().resolve("ca-key.pem"), spec.force());
    for (String n : spec.names()) {
      CertificateAuthority.Issued node = ca.issueNode(n, spec.hosts(), spec.validity());
      node.writeCertificate(spec.cert(n), spec.force());
      node.writeKey(spec.key(n), CertificateAuthority.KeyFormat.PKCS8, spec.force());
    }
    if (spec.client() != null) {
      CertificateAuthority.Issued client = ca.issueClient(spec.client(), spec.validity());
      client.writeCertificate(spec.cert(spec.client()), spec.force());
      client.writeKey(spec.key(spec.client()), CertificateAuthority.KeyFormat.PKCS8, spec.force());
    }
    return spec.files();
  }

  private static void requireName(String what, String name) {
    if (name == null || !FILE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + what + " '" + name
          + "': 1..253 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }
}
