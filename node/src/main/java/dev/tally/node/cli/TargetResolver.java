package dev.tally.node.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a client command connects when {@code --target} is not given: the local cluster that
 * {@code tally up} started, whose client endpoints it writes, comma-separated, to {@code
 * $TALLY_HOME/local/endpoints} ({@code TALLY_HOME} defaults to {@code ~/.tally}); without that
 * file, a node on this machine's default client port, {@value #FALLBACK}.
 */
public final class TargetResolver {

  /** The target when no local cluster is recorded: {@code tally node}'s default address. */
  public static final String FALLBACK = "127.0.0.1:7400";

  private final Map<String, String> env;
  private final Path userHome;

  /**
   * @param env the environment ({@code TALLY_HOME} is read from it)
   * @param userHome the user's home directory, where {@code .tally} lives by default
   */
  public TargetResolver(Map<String, String> env, Path userHome) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    this.userHome = Objects.requireNonNull(userHome, "userHome");
  }

  /** The process's environment and home directory. */
  public static TargetResolver system() {
    return new TargetResolver(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** The file {@code tally up} writes the local cluster's client endpoints to. */
  public Path endpointsFile() {
    String home = env.get("TALLY_HOME");
    Path base = home == null || home.isBlank() ? userHome.resolve(".tally") : Path.of(home);
    return base.resolve("local").resolve("endpoints");
  }

  /**
   * The default target and where it came from.
   *
   * @throws IllegalArgumentException naming the file when it exists but cannot be read or lists
   *     no endpoint
   */
  public Resolved resolve() {
    Path file = endpointsFile();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return new Resolved(FALLBACK, "the default; no local cluster is recorded in " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage() + "; pass --target", e);
    }
    // Commas are the format; newlines and spaces are tolerated so a hand-edited file works too.
    List<String> endpoints = new ArrayList<>();
    for (String part : text.split("[,\\s]+")) {
      if (!part.isEmpty()) {
        endpoints.add(part);
      }
    }
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException(file + " lists no endpoint; start a cluster with 'tally up' or pass --target");
    }
    return new Resolved(String.join(",", endpoints), "the local cluster in " + file);
  }

  /**
   * @param target {@code host:port[,host:port...]}
   * @param source where it came from, for error messages
   */
  public record Resolved(String target, String source) {}
}
