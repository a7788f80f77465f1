package dev.tally.gossip.engine;

import java.util.Objects;

/**
 * One signed change to one counter, as a validated request asks for it.
 *
 * @param amount unsigned magnitude, never 0 (callers validate user input before this point)
 * @param decrement true to add to N, false to add to P
 */
public record CounterChange(String key, long amount, boolean decrement) {
  public CounterChange {
    Objects.requireNonNull(key, "key");
    if (amount == 0) {
      throw new IllegalArgumentException("amount must not be 0");
    }
  }

  public static CounterChange increment(String key, long amount) {
    return new CounterChange(key, amount, false);
  }

  public static CounterChange decrement(String key, long amount) {
    return new CounterChange(key, amount, true);
  }
}
