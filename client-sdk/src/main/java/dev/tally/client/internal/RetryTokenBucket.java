package dev.tally.client.internal;

import dev.tally.client.RetryBudget;
import java.util.function.LongSupplier;

/**
 * The token bucket behind {@link RetryBudget}: calls deposit {@code retryRatio}, time deposits
 * {@code minRetriesPerSecond} per second, retries withdraw one.
 *
 * <p>Concurrency: any thread; state is guarded by {@code this} (short critical sections, no
 * calls out).
 */
final class RetryTokenBucket {

  private final double capacity;
  private final double perCall;
  private final double perNano;
  private final LongSupplier ticker;
  private double tokens; // guarded by this
  private long lastRefillNanos; // guarded by this

  RetryTokenBucket(RetryBudget budget, LongSupplier ticker) {
    this.capacity = budget.capacity();
    this.perCall = budget.retryRatio();
    this.perNano = budget.minRetriesPerSecond() / 1e9;
    this.ticker = ticker;
    this.tokens = capacity;
    this.lastRefillNanos = ticker.getAsLong();
  }

  /** A call started. */
  synchronized void onCall() {
    tokens = Math.min(capacity, tokens + perCall);
  }

  /** Takes a token for one retry; false when none is left. */
  synchronized boolean tryAcquire() {
    long now = ticker.getAsLong();
    long elapsed = now - lastRefillNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * perNano);
      lastRefillNanos = now;
    }
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return true;
    }
    return false;
  }

  synchronized double tokens() {
    return tokens;
  }
}
