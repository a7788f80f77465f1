package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.RetryBudget;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryTokenBucketTest {

  private final AtomicLong now = new AtomicLong(123);

  @Test
  void startsFull_andEachRetryTakesOneToken() {
    RetryTokenBucket bucket = new RetryTokenBucket(new RetryBudget(0.0, 3), now::get);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
  }

  @Test
  void calls_depositTheRatio() {
    RetryTokenBucket bucket = new RetryTokenBucket(new RetryBudget(0.1, 0), now::get);
    for (int i = 0; i < 10; i++) {
      assertThat(bucket.tryAcquire()).isTrue(); // the initial 10 tokens
    }
    assertThat(bucket.tryAcquire()).isFalse();
    for (int i = 0; i < 9; i++) {
      bucket.onCall();
    }
    assertThat(bucket.tryAcquire()).isFalse();
    bucket.onCall();
    assertThat(bucket.tryAcquire()).isTrue();
  }

  @Test
  void time_depositsTheFloor_upToTheCapacity() {
    RetryTokenBucket bucket = new RetryTokenBucket(new RetryBudget(0.0, 2), now::get);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
    now.addAndGet(500_000_000L);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
    now.addAndGet(3_600_000_000_000L);
    assertThat(bucket.tokens()).isLessThanOrEqualTo(2.0);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
  }

  @Test
  void zeroBudget_neverAllowsARetry() {
    RetryTokenBucket bucket = new RetryTokenBucket(new RetryBudget(0.0, 0), now::get);
    bucket.onCall();
    now.addAndGet(10_000_000_000L);
    assertThat(bucket.tryAcquire()).isFalse();
  }
}
