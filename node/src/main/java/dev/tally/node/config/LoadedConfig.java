package dev.tally.node.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A validated config and where each value came from ({@code flag --port}, {@code env TALLY_PORT},
 * {@code file tally.yaml}, {@code default}), for the one start-up log line per setting.
 */
public record LoadedConfig(NodeConfig config, Map<ConfigKey, String> sources, Optional<Path> file) {
  public LoadedConfig {
    sources = Map.copyOf(sources);
  }

  /** One line per setting: {@code key = value (source)}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<ConfigKey, String> e : config.asText().entrySet()) {
      if (sb.length() > 0) {
        sb.append(System.lineSeparator());
      }
      String value = e.getValue().isEmpty() ? "(empty)" : e.getValue();
      sb.append(String.format("  %-22s = %s  (%s)", e.getKey().key(), value, sources.get(e.getKey())));
    }
    return sb.toString();
  }
}
