package dev.tally.node.config;

import java.util.Locale;

/** Who may read the metrics endpoint's /metrics (/health is always open). */
public enum MetricsAuth {
  /** Anyone who reaches {@code metrics-host:metrics-port}. */
  NONE,
  /** A bearer token of the {@code auth-tokens} file with the admin role. */
  TOKEN;

  /** The spelling used in files, flags and the environment. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
