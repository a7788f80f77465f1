package dev.tally.node.bench;

import java.util.Locale;

/** One kind of call the load generator makes; each has its own latency histogram. */
public enum Operation {
  GET,
  INCR,
  BATCH;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
