package dev.tally.client;

import java.time.Instant;
import java.util.Objects;

/**
 * The value of one counter as a node reported it.
 *
 * @param key the counter's key
 * @param value the counter's value: the sum of its increments minus the sum of its decrements
 * @param updatedAt the writer's clock at the latest change folded into this value, or {@code null}
 *     for a key that has never been written (every key exists implicitly with value 0). Converged
 *     replicas report the same instant.
 */
public record CounterValue(String key, long value, Instant updatedAt) {

  /** Checks that {@code key} is present; {@code updatedAt} may be null (never written). */
  public CounterValue {
    Objects.requireNonNull(key, "key");
  }

  /** True when no change to this key has ever been recorded ({@link #updatedAt()} is null). */
  public boolean neverWritten() {
    return updatedAt == null;
  }
}
