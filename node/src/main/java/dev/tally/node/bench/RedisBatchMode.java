package dev.tally.node.bench;

import java.util.Locale;

/** How the Redis target sends the equivalent of one IncrementMany. */
public enum RedisBatchMode {
  /**
   * One EVALSHA of a script that runs INCRBY on every key and returns every new value: like
   * IncrementMany, one request, applied all together, one reply with all values (the default).
   */
  SCRIPT,
  /** N INCRBY commands written to the connection in one burst (no MULTI), N replies. */
  PIPELINE;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
