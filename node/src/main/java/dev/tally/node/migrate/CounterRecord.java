package dev.tally.node.migrate;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of an export: a counter's key, its value and the time of its latest change ({@code
 * null} when unknown: an import ignores it, since a counter's time is its writers' clock).
 */
public record CounterRecord(String key, long value, Instant updatedAt) {
  public CounterRecord {
    Objects.requireNonNull(key, "key");
  }
}
