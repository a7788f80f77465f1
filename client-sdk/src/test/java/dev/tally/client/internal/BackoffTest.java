package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.RetryPolicy;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private static final RetryPolicy POLICY = RetryPolicy.defaults()
      .withBackoff(Duration.ofMillis(10), Duration.ofMillis(100));

  @Test
  void delay_withoutJitter_doublesUpToTheMaximum() {
    RetryPolicy fixed = POLICY.withJitter(0);
    Random random = new Random(1);
    long[] expectedMs = {10, 20, 40, 80, 100, 100};
    for (int retry = 1; retry <= expectedMs.length; retry++) {
      assertThat(Backoff.delayNanos(fixed, retry, random)).isEqualTo(expectedMs[retry - 1] * 1_000_000);
    }
    assertThat(Backoff.delayNanos(fixed, 5000, random)).isEqualTo(100_000_000);
  }

  @Test
  void delay_withFullJitter_staysWithinZeroAndTheCap() {
    long seed = Long.getLong("tally.test.seed", System.nanoTime());
    System.out.println("BackoffTest seed=" + seed + " (replay: -Dtally.test.seed=" + seed + ")");
    Random random = new Random(seed);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long d = Backoff.delayNanos(POLICY, 3, random);
      assertThat(d).as("seed %d", seed).isBetween(0L, 40_000_000L);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertThat(min).as("seed %d", seed).isLessThan(4_000_000L);
    assertThat(max).as("seed %d", seed).isGreaterThan(36_000_000L);
  }

  @Test
  void delay_withHalfJitter_keepsTheUpperHalf() {
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      assertThat(Backoff.delayNanos(POLICY.withJitter(0.5), 1, random)).isBetween(5_000_000L, 10_000_000L);
    }
  }

  @Test
  void delay_hugeBackoffs_doNotOverflow() {
    RetryPolicy huge = POLICY.withBackoff(Duration.ofDays(1000), Duration.ofDays(100_000)).withJitter(0);
    assertThat(Backoff.delayNanos(huge, 62, new Random(1))).isEqualTo(Duration.ofDays(100_000).toNanos());
  }
}
