package dev.tally.node.bench;

import dev.tally.node.config.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where {@code tally bench} goes without {@code --target}: the local cluster that {@code tally up}
 * started (the comma-separated endpoints in {@code $TALLY_HOME/local/endpoints}, TALLY_HOME
 * defaulting to {@code ~/.tally}), else {@code 127.0.0.1:7400}. The same rule as the client
 * commands.
 */
final class DefaultTargets {
  static final String FALLBACK = "127.0.0.1:7400";

  private DefaultTargets() {}

  static Path endpointsFile(Map<String, String> env, String userHome) {
    String home = env.get("TALLY_HOME");
    Path base = home != null && !home.isBlank() ? Path.of(home) : Path.of(userHome, ".tally");
    return base.resolve("local").resolve("endpoints");
  }

  /** The endpoints text to use: the file's content when it exists and is not blank, else the fallback. */
  static String resolve(Map<String, String> env, String userHome) {
    Path file = endpointsFile(env, userHome);
    try {
      if (Files.isRegularFile(file)) {
        String text = Files.readString(file).strip();
        if (!text.isEmpty()) {
          return text;
        }
      }
    } catch (IOException e) {
      // unreadable: fall back, as if there were no local cluster
    }
    return FALLBACK;
  }

  /** @throws IllegalArgumentException naming the bad entry */
  static List<HostPort> parse(String commaSeparated) {
    List<HostPort> out = new ArrayList<>();
    for (String part : commaSeparated.split(",")) {
      if (!part.isBlank()) {
        out.add(HostPort.parse(part));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no HOST:PORT in '" + commaSeparated + "'");
    }
    return out;
  }
}
