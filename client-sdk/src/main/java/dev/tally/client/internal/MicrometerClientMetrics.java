package dev.tally.client.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Client metrics on a Micrometer registry:
 *
 * <ul>
 *   <li>{@code tally.client.calls} (timer; tags {@code method}, {@code outcome}): every logical
 *       call with its latency over all attempts; outcome is {@code success}, {@code
 *       outcome_unknown} or the lower-case status code.
 *   <li>{@code tally.client.retries}, {@code tally.client.failovers}, {@code
 *       tally.client.retry.budget.exhausted} (counters; tag {@code method}).
 *   <li>{@code tally.client.watch.reconnects} (counter).
 *   <li>{@code tally.client.coalesced.writes} (distribution summary): writes per coalesced request.
 * </ul>
 *
 * Meters are cached per tag set, so recording costs a map lookup.
 */
final class MicrometerClientMetrics implements ClientMetrics {

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Timer> calls = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> retries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> failovers = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> exhausted = new ConcurrentHashMap<>();
  private final Counter watchReconnects;
  private final DistributionSummary coalesced;

  private MicrometerClientMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.watchReconnects = Counter.builder("tally.client.watch.reconnects")
        .description("Watch streams lost and re-established")
        .register(registry);
    this.coalesced = DistributionSummary.builder("tally.client.coalesced.writes")
        .description("Increments and decrements carried by one coalesced IncrementMany")
        .register(registry);
  }

  static ClientMetrics create(Object registry) {
    if (!(registry instanceof MeterRegistry r)) {
      throw new IllegalArgumentException("not a Micrometer MeterRegistry: " + registry);
    }
    return new MicrometerClientMetrics(r);
  }

  @Override
  public void callCompleted(String method, String outcome, long nanos) {
    calls.computeIfAbsent(method + '|' + outcome, k -> Timer.builder("tally.client.calls")
            .description("Calls to Tally by method and outcome, over all attempts")
            .tag("method", method)
            .tag("outcome", outcome)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void retry(String method) {
    counter(retries, "tally.client.retries", "Attempts after the first", method).increment();
  }

  @Override
  public void failover(String method) {
    counter(failovers, "tally.client.failovers", "Attempts sent to another endpoint", method)
        .increment();
  }

  @Override
  public void retryBudgetExhausted(String method) {
    counter(exhausted, "tally.client.retry.budget.exhausted",
        "Retries refused because the retry budget was empty", method).increment();
  }

  @Override
  public void watchReconnect() {
    watchReconnects.increment();
  }

  @Override
  public void coalescedBatch(int writes) {
    coalesced.record(writes);
  }

  private Counter counter(
      ConcurrentMap<String, Counter> cache, String name, String description, String method) {
    return cache.computeIfAbsent(method, m -> Counter.builder(name)
        .description(description)
        .tag("method", m)
        .register(registry));
  }
}
