package dev.tally.client.internal;

import dev.tally.client.RetryPolicy;
import java.util.random.RandomGenerator;

/** Exponential backoff with jitter, as {@link RetryPolicy} describes it. */
final class Backoff {

  private Backoff() {}

  /**
   * The delay before retry {@code retry} (1-based): uniform in {@code [cap * (1 - jitter), cap]},
   * {@code cap = min(maxBackoff, initialBackoff * 2^(retry - 1))}.
   */
  static long delayNanos(RetryPolicy policy, int retry, RandomGenerator random) {
    long initial = policy.initialBackoff().toNanos();
    long max = policy.maxBackoff().toNanos();
    int doublings = Math.min(Math.max(retry - 1, 0), 62);
    long cap = initial > (max >> doublings) ? max : Math.min(max, initial << doublings);
    double randomPart = cap * policy.jitter() * random.nextDouble();
    return Math.max(0, cap - (long) randomPart);
  }
}
