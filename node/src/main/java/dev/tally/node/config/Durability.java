package dev.tally.node.config;

import java.util.Locale;

/** When a write counts as durable, and so when it is acknowledged. */
public enum Durability {
  /** The write-ahead log is fsynced before the reply (group commit shares one fsync). */
  SYNC,
  /** The write-ahead log is written before the reply; the OS flushes it later. */
  ASYNC;

  /** The spelling used in files, flags and the environment. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
