package dev.tally.node.config;

import java.util.Locale;

/**
 * What a node does with a retried write whose prior nodes cannot be asked in time (setting
 * {@code failover-resolution}; a request's {@code failover_resolution} overrides it).
 */
public enum FailoverResolution {
  /** Apply it, resolve in the background, undo it once if a prior node had applied it too. */
  AVAILABLE,
  /** Refuse it with UNAVAILABLE; nothing is applied. */
  WAIT;

  /** The spelling used in files, flags and the environment. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
