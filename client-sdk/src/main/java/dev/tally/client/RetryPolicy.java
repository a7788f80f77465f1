package dev.tally.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a call retries transient failures ({@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED} of one
 * attempt, {@code RESOURCE_EXHAUSTED}, connection loss). Other errors are never retried.
 *
 * <p>The delay before retry {@code n} (1-based) is drawn from {@code [cap * (1 - jitter), cap]}
 * where {@code cap = min(maxBackoff, initialBackoff * 2^(n-1))}; {@code jitter = 1} is "full
 * jitter", which spreads the retries of many clients evenly. Each attempt may take at most {@code
 * attemptTimeout}, so a node that hangs costs one attempt rather than the whole call; the call's
 * overall deadline bounds all attempts and backoffs together, and the client's {@link RetryBudget}
 * can refuse a retry when the cluster is failing many calls.
 *
 * @param maxAttempts attempts per call including the first, 1..100 (1 means never retry)
 * @param initialBackoff the cap of the first backoff, positive
 * @param maxBackoff the largest backoff cap, at least {@code initialBackoff}
 * @param jitter the randomised fraction of each backoff, 0..1
 * @param attemptTimeout the longest a single attempt may take, positive; the overall deadline
 *     still wins when it is shorter
 */
public record RetryPolicy(
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    double jitter,
    Duration attemptTimeout) {

  /** Most attempts a policy may allow. */
  public static final int MAX_ATTEMPTS_LIMIT = 100;

  private static final RetryPolicy DEFAULTS =
      new RetryPolicy(4, Duration.ofMillis(25), Duration.ofSeconds(1), 1.0, Duration.ofSeconds(2));

  /**
   * Checks every component.
   *
   * @throws IllegalArgumentException naming the component and its limit
   */
  public RetryPolicy {
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException(
          "maxAttempts must be 1.." + MAX_ATTEMPTS_LIMIT + ", got " + maxAttempts);
    }
    requirePositive("initialBackoff", initialBackoff);
    requirePositive("maxBackoff", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be >= initialBackoff (" + initialBackoff + "), got " + maxBackoff);
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be 0..1, got " + jitter);
    }
    requirePositive("attemptTimeout", attemptTimeout);
  }

  /**
   * 4 attempts, backoff capped at 25 ms doubling to 1 s, full jitter, 2 s per attempt (with the
   * client's default 5 s deadline).
   */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** The defaults with a single attempt: failures surface at once. */
  public static RetryPolicy noRetries() {
    return DEFAULTS.withMaxAttempts(1);
  }

  /** This policy with {@code maxAttempts} replaced. */
  public RetryPolicy withMaxAttempts(int maxAttempts) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, attemptTimeout);
  }

  /** This policy with both backoff bounds replaced. */
  public RetryPolicy withBackoff(Duration initialBackoff, Duration maxBackoff) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, attemptTimeout);
  }

  /** This policy with {@code jitter} replaced. */
  public RetryPolicy withJitter(double jitter) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, attemptTimeout);
  }

  /** This policy with {@code attemptTimeout} replaced. */
  public RetryPolicy withAttemptTimeout(Duration attemptTimeout) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, attemptTimeout);
  }

  private static void requirePositive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
