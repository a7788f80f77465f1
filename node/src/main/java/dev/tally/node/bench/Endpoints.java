package dev.tally.node.bench;

import dev.tally.node.config.HostPort;
import java.util.ArrayList;
import java.util.List;

/** The {@code HOST:PORT[,HOST:PORT...]} lists of {@code --target} and {@code --redis}. */
final class Endpoints {
  private Endpoints() {}

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
