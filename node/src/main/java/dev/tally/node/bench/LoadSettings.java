package dev.tally.node.bench;

import java.time.Duration;
import java.util.Objects;

/**
 * What the load generator does, validated.
 *
 * @param rate calls per second for an open loop; 0 for a closed loop (as fast as the server answers)
 * @param concurrency calls in flight (closed loop), or the most in flight (open loop)
 * @param readWeight of a mixed workload, with {@code writeWeight}: 10 and 1 for 10:1
 * @param prefill add 1 to every key that can be read before the warm-up, so reads find values
 */
public record LoadSettings(Workload workload, KeyDistribution distribution, int keys, String keyPrefix,
    int concurrency, double rate, Duration warmup, Duration duration, int batchSize, int readWeight, int writeWeight,
    long seed, Duration timeout, boolean prefill) {

  /** IncrementMany's limit on items (the server's). */
  public static final int MAX_BATCH = 1000;

  public LoadSettings {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(distribution, "distribution");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(timeout, "timeout");
    if (keys < 1) {
      throw new IllegalArgumentException("--keys must be >= 1, got " + keys);
    }
    if (concurrency < 1 || concurrency > 100_000) {
      throw new IllegalArgumentException("--concurrency must be 1..100000, got " + concurrency);
    }
    if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("--rate must be a positive number of calls per second, got " + rate);
    }
    if (duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException("--duration must be positive, got " + duration);
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("--warmup must not be negative, got " + warmup);
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
    }
    if (batchSize < 1 || batchSize > MAX_BATCH) {
      throw new IllegalArgumentException("--batch-size must be 1.." + MAX_BATCH + ", got " + batchSize);
    }
    if (readWeight < 0 || writeWeight < 0 || readWeight + writeWeight == 0) {
      throw new IllegalArgumentException("--ratio needs non-negative weights that are not both 0, got "
          + readWeight + ":" + writeWeight);
    }
  }

  public boolean openLoop() {
    return rate > 0;
  }

  /** Keys the distribution can pick: one for HOT. */
  public int reachableKeys() {
    return distribution == KeyDistribution.HOT ? 1 : keys;
  }

  /** Counters a call of this operation touches. */
  int itemsPer(Operation op) {
    return op == Operation.BATCH ? batchSize : 1;
  }
}
