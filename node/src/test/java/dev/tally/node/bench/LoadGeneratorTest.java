package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generator's loop, phases and accounting, against an in-memory target. */
class LoadGeneratorTest {

  private static LoadSettings settings(Workload workload, KeyDistribution distribution, int concurrency, double rate,
      Duration warmup, Duration duration, int read, int write) {
    return new LoadSettings(workload, distribution, 100, "k", concurrency, rate, warmup, duration, 10, read, write,
        42L, Duration.ofSeconds(5), false);
  }

  @Test
  void closedLoop_countsEverySuccessfulCallAndEveryErrorByCode() throws Exception {
    try (FakeTarget target = new FakeTarget(0, 5)) {
      List<Progress> progress = new ArrayList<>();
      LoadGenerator generator = new LoadGenerator(target, settings(Workload.INCR, KeyDistribution.UNIFORM, 4, 0,
          Duration.ZERO, Duration.ofMillis(1500), 1, 1), progress::add);

      BenchResult result = generator.run();

      assertThat(result.calls()).isPositive();
      assertThat(result.errors()).containsOnlyKeys("UNAVAILABLE");
      assertThat(result.byOperation()).containsOnlyKeys(Operation.INCR);
      assertThat(result.latency().count()).isGreaterThanOrEqualTo(result.calls());
      // Every call the target saw either succeeded or failed (1 in 5 fails); the checkReachable
      // Get is the first call and is not counted by the generator.
      long failed = target.calls.get() / 5;
      assertThat(generator.succeeded(Operation.INCR) + failed + 1).isBetween(target.calls.get() - 1, target.calls.get() + 1);
      assertThat(progress).isNotEmpty().allMatch(p -> !p.warmup());
    }
  }

  @Test
  void warmup_isMeasuredSeparatelyAndLeftOutOfTheResult() throws Exception {
    try (FakeTarget target = new FakeTarget(0, 0)) {
      List<Progress> progress = new ArrayList<>();
      LoadGenerator generator = new LoadGenerator(target, settings(Workload.GET, KeyDistribution.UNIFORM, 2, 0,
          Duration.ofMillis(1200), Duration.ofMillis(1200), 1, 1), progress::add);

      BenchResult result = generator.run();

      assertThat(progress).anyMatch(Progress::warmup).anyMatch(p -> !p.warmup());
      assertThat(result.calls()).isPositive().isLessThan(generator.succeeded(Operation.GET));
      assertThat(result.seconds()).isBetween(1.0, 5.0);
      assertThat(result.errors()).isEmpty();
    }
  }

  @Test
  void mixed_sendsReadsAndWritesAtTheRatio() throws Exception {
    try (FakeTarget target = new FakeTarget(0, 0)) {
      LoadGenerator generator = new LoadGenerator(target, settings(Workload.MIXED, KeyDistribution.UNIFORM, 8, 0,
          Duration.ZERO, Duration.ofSeconds(1), 3, 1), null);

      BenchResult result = generator.run();

      long gets = generator.succeeded(Operation.GET);
      long incrs = generator.succeeded(Operation.INCR);
      assertThat(gets + incrs).isGreaterThan(1000);
      assertThat((double) gets / (gets + incrs)).isBetween(0.70, 0.80);
      assertThat(result.byOperation()).containsOnlyKeys(Operation.GET, Operation.INCR);
    }
  }

  @Test
  void hotDistribution_sendsEveryCallToOneKey() throws Exception {
    try (FakeTarget target = new FakeTarget(0, 0)) {
      target.recordKeys = true;
      new LoadGenerator(target, settings(Workload.INCR, KeyDistribution.HOT, 2, 0, Duration.ZERO,
          Duration.ofMillis(300), 1, 1), null).run();

      assertThat(target.keysSeen).isNotEmpty().allMatch("k0"::equals);
    }
  }

  @Test
  void openLoop_measuresFromTheIntendedSendTime_soAStallShowsAsLatencyOfEveryDelayedCall() throws Exception {
    // 200 ms per call, one call at a time, 50 calls/s due: calls fall further and further behind.
    try (FakeTarget target = new FakeTarget(200, 0)) {
      LoadGenerator generator = new LoadGenerator(target, settings(Workload.INCR, KeyDistribution.UNIFORM, 1, 50,
          Duration.ZERO, Duration.ofSeconds(1), 1, 1), null);

      BenchResult result = generator.run();

      assertThat(result.notSent()).as("calls due but never sent").isPositive();
      // Each call's own service time is 200 ms; measured from the intended time, the later ones waited
      // behind the earlier ones as well.
      assertThat(result.latency().max()).isGreaterThan(400);
      assertThat(result.settings().openLoop()).isTrue();
    }
  }

  @Test
  void unreachableTarget_failsBeforeTheRunWithTheError() {
    try (FakeTarget target = new FakeTarget(0, 1)) {
      LoadGenerator generator = new LoadGenerator(target, settings(Workload.INCR, KeyDistribution.UNIFORM, 1, 0,
          Duration.ZERO, Duration.ofSeconds(1), 1, 1), null);

      assertThatThrownBy(generator::run).isInstanceOf(BenchException.class).hasMessageContaining("UNAVAILABLE");
    }
  }

  @Test
  void settings_refuseWhatCannotRun() {
    assertThatThrownBy(() -> settings(Workload.INCR, KeyDistribution.UNIFORM, 0, 0, Duration.ZERO, Duration.ofSeconds(1), 1, 1))
        .hasMessageContaining("--concurrency");
    assertThatThrownBy(() -> settings(Workload.INCR, KeyDistribution.UNIFORM, 1, -1, Duration.ZERO, Duration.ofSeconds(1), 1, 1))
        .hasMessageContaining("--rate");
    assertThatThrownBy(() -> settings(Workload.MIXED, KeyDistribution.UNIFORM, 1, 0, Duration.ZERO, Duration.ofSeconds(1), 0, 0))
        .hasMessageContaining("--ratio");
    assertThatThrownBy(() -> settings(Workload.INCR, KeyDistribution.UNIFORM, 1, 0, Duration.ZERO, Duration.ZERO, 1, 1))
        .hasMessageContaining("--duration");
  }
}
