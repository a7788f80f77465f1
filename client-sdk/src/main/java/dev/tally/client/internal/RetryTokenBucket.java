package dev.tally.client.internal;

import dev.tally.client.RetryBudget;
import java.util.function.LongSupplier;

/**
 * The token bucket behind {@link RetryBudget}: calls deposit {@code retryRatio}, time deposits
 * {@code minRetriesPerSecond} per second, retries withdraw one. Tokens are counted in millionths,
 * so that ten deposits of 0.1 make exactly one token.
 *
 * <p>Concurrency: any thread; state is guarded by {@code this} (short critical sections, no
 * calls out).
 */
final class RetryTokenBucket {

  private static final long UNIT = 1_000_000;
  /** Longer idle spells than this refill the bucket anyway; clamping keeps the math in range. */
  private static final long MAX_ELAPSED_NANOS = 200_000_000_000L;

  private final long capacity;
  private final long perCall;
  private final long floorPerSecond;
  private final LongSupplier ticker;
  private long tokens; // guarded by this, in millionths of a token
  private long lastRefillNanos; // guarded by this

  RetryTokenBucket(RetryBudget budget, LongSupplier ticker) {
    this.capacity = Math.round(budget.capacity() * UNIT);
    this.perCall = Math.round(budget.retryRatio() * UNIT);
    this.floorPerSecond = budget.minRetriesPerSecond();
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
    refill();
    if (tokens >= UNIT) {
      tokens -= UNIT;
      return true;
    }
    return false;
  }

  private void refill() {
    long now = ticker.getAsLong();
    long elapsed = now - lastRefillNanos;
    if (floorPerSecond == 0 || elapsed <= 0) {
      lastRefillNanos = now;
      return;
    }
    if (elapsed > MAX_ELAPSED_NANOS) {
      tokens = capacity;
      lastRefillNanos = now;
      return;
    }
    // floor tokens/s = floor * UNIT millionths per 1e9 ns = floor / 1000 millionths per ns.
    long add = elapsed * floorPerSecond / 1000;
    if (add > 0) {
      tokens = Math.min(capacity, tokens + add);
      lastRefillNanos += add * 1000 / floorPerSecond;
    }
  }

  /** Tokens left (for tests and diagnostics). */
  synchronized double tokens() {
    return (double) tokens / UNIT;
  }
}
