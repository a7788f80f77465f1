package dev.tally.client;

/**
 * Caps retries across all calls of one client, so that a sick cluster is not flooded with retries
 * on top of its normal load (Finagle's retry budget, as a token bucket).
 *
 * <p>The bucket holds at most {@code minRetriesPerSecond + 100 * retryRatio} tokens and starts
 * full. Every call adds {@code retryRatio} tokens, the passing of time adds {@code
 * minRetriesPerSecond} tokens per second, and every retry takes one. With no token left a call
 * that would retry fails with its last error instead ({@link UnavailableException#retryBudgetExhausted()}
 * tells). Sustained retries are thus at most {@code retryRatio} of the calls plus {@code
 * minRetriesPerSecond}, so a low-traffic client can still retry. Watch re-subscriptions are paced
 * by backoff and do not draw on the budget.
 *
 * @param retryRatio tokens each call adds, 0..1 (0.1 allows retries for 10 % of calls)
 * @param minRetriesPerSecond tokens added per second regardless of traffic, 0..100000
 */
public record RetryBudget(double retryRatio, int minRetriesPerSecond) {

  private static final RetryBudget DEFAULTS = new RetryBudget(0.1, 10);

  /**
   * Checks both components.
   *
   * @throws IllegalArgumentException naming the component and its limit
   */
  public RetryBudget {
    if (!(retryRatio >= 0.0 && retryRatio <= 1.0)) {
      throw new IllegalArgumentException("retryRatio must be 0..1, got " + retryRatio);
    }
    if (minRetriesPerSecond < 0 || minRetriesPerSecond > 100_000) {
      throw new IllegalArgumentException(
          "minRetriesPerSecond must be 0..100000, got " + minRetriesPerSecond);
    }
  }

  /** Retries for 10 % of calls plus 10 per second. */
  public static RetryBudget defaults() {
    return DEFAULTS;
  }

  /** The most tokens the bucket holds (and starts with). */
  public double capacity() {
    return minRetriesPerSecond + 100 * retryRatio;
  }
}
