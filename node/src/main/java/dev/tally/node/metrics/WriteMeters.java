package dev.tally.node.metrics;

import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** The group commit's {@link WriteMetrics} as Micrometer meters. Thread-safe (Micrometer's meters are). */
public final class WriteMeters implements WriteMetrics {
  private final DistributionSummary groupSize;
  private final Timer commitTime;
  private final Counter dedupeHits;
  private final Counter shed;
  private final Counter dedupeSwept;
  private final Counter groupFailures;
  private final LongAdder applied = new LongAdder();

  public WriteMeters(MeterRegistry registry) {
    this.groupSize = DistributionSummary.builder("tally.write.group.size")
        .description("Client writes taken together into one group, per group that wrote a RocksDB batch (one WAL sync)")
        .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue((double) GroupCommitWriter.MAX_GROUP)
        .register(registry);
    this.commitTime = Timer.builder("tally.wal.sync")
        .description("Time the store's writer thread spent writing one group's batch to RocksDB, including the WAL fsync under durability=sync")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1).dividedBy(20))
        .maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
    this.dedupeHits = Counter.builder("tally.dedupe.hits")
        .description("Writes answered from a request_id seen before (nothing applied)").register(registry);
    this.shed = Counter.builder("tally.writes.shed")
        .description("Writes refused with RESOURCE_EXHAUSTED because max-pending-writes was reached").register(registry);
    this.dedupeSwept = Counter.builder("tally.dedupe.swept")
        .description("Expired dedupe index entries deleted").register(registry);
    this.groupFailures = Counter.builder("tally.writes.failed")
        .description("Client writes failed because their group's store write failed (nothing of them acknowledged)")
        .register(registry);
  }

  /**
   * The gauge of writes queued or being committed. The supplier form keeps a strong reference: the
   * state-object form holds its object weakly, and a method reference nobody else holds is
   * collected, after which the gauge silently reports NaN.
   */
  public static void registerPending(MeterRegistry registry, IntSupplier pending) {
    Gauge.builder("tally.writes.pending", pending::getAsInt).strongReference(true)
        .description("Writes queued or being committed").register(registry);
  }

  /** The estimated bytes of those writes ({@code tally.writes.pending.bytes}, compare with max-pending-write-bytes). */
  public static void registerPendingBytes(MeterRegistry registry, java.util.function.LongSupplier bytes) {
    Gauge.builder("tally.writes.pending.bytes", bytes::getAsLong).strongReference(true).baseUnit("bytes")
        .description("Estimated memory of the writes queued or being committed").register(registry);
  }

  @Override
  public void groupDurable(int writes, long nanos) {
    groupSize.record(writes);
    applied.add(writes);
    commitTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Client writes made durable since start (ClusterStatus's writes_applied): exact, unlike the summary's double sum. */
  public long writesApplied() {
    return applied.sum();
  }

  @Override
  public void dedupeHit() {
    dedupeHits.increment();
  }

  @Override
  public void shed() {
    shed.increment();
  }

  @Override
  public void dedupeSwept(int entries) {
    dedupeSwept.increment(entries);
  }

  @Override
  public void groupFailed(int writes) {
    groupFailures.increment(writes);
  }
}
