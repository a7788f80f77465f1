package dev.tally.node.bench;

import java.util.Locale;

/** What a benchmark run asks of the server. */
public enum Workload {
  /** One Increment (Redis: INCRBY key 1) per call. */
  INCR,
  /** One Get (Redis: GET key) per call. */
  GET,
  /** Gets and increments mixed at a read:write ratio (default 10:1). */
  MIXED,
  /** One IncrementMany of {@code --batch-size} items per call (Redis: one script or a pipelined burst). */
  BATCH;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
