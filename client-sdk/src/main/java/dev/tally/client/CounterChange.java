package dev.tally.client;

import java.util.Objects;

/**
 * One item of {@link TallyClient#incrementMany}: a signed change to one counter.
 *
 * <p>A positive amount increments, a negative one decrements; 0 is refused when the batch is sent
 * ({@link InvalidArgumentException} naming the item).
 *
 * @param key the counter's key (1..4096 bytes of UTF-8, checked when the batch is sent)
 * @param amount the signed change; must not be 0
 */
public record CounterChange(String key, long amount) {

  /** Checks that {@code key} is present; the amount is checked when the batch is sent. */
  public CounterChange {
    Objects.requireNonNull(key, "key");
  }

  /** An increment of {@code key} by 1. */
  public static CounterChange increment(String key) {
    return new CounterChange(key, 1);
  }

  /**
   * An increment of {@code key} by {@code amount}.
   *
   * @throws IllegalArgumentException when {@code amount} is below 1
   */
  public static CounterChange increment(String key, long amount) {
    if (amount < 1) {
      throw new IllegalArgumentException("amount must be >= 1, got " + amount);
    }
    return new CounterChange(key, amount);
  }

  /**
   * A decrement of {@code key} by {@code amount}.
   *
   * @throws IllegalArgumentException when {@code amount} is below 1
   */
  public static CounterChange decrement(String key, long amount) {
    if (amount < 1) {
      throw new IllegalArgumentException("amount must be >= 1, got " + amount);
    }
    return new CounterChange(key, -amount);
  }
}
