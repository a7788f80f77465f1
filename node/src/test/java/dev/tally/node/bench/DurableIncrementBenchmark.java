package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.NodeProcess;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable increments per second and latency percentiles of one node, measured once for the record
 * (never a pass/fail test: timings do not belong in assertions). The node runs in its own JVM with
 * {@code durability: sync} (WAL fsync before every acknowledgement, group commit); a closed-loop
 * load generator in the test JVM keeps N increments in flight over 10,000 random keys, each with a
 * request id (as the client SDK sends them), and records every call's latency with HdrHistogram.
 *
 * <pre>
 *   mvn -B -pl node -am test -Dtest=DurableIncrementBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dtally.bench=true [-Dtally.bench.seconds=10] [-Dtally.bench.warmup=10] [-Dtally.bench.keys=10000] \
 *       [-Dtally.bench.concurrency=64,1] [-Dtally.bench.durability=sync]
 * </pre>
 *
 * Results are printed and appended to {@code node/target/bench-results.txt}.
 */
@EnabledIfSystemProperty(named = "tally.bench", matches = "true")
class DurableIncrementBenchmark {

  @TempDir
  Path tmp;

  @Test
  void durableIncrements() throws Exception {
    int seconds = Integer.getInteger("tally.bench.seconds", 10);
    int warmup = Integer.getInteger("tally.bench.warmup", 10);
    int keys = Integer.getInteger("tally.bench.keys", 10_000);
    String durability = System.getProperty("tally.bench.durability", "sync");
    String[] levels = System.getProperty("tally.bench.concurrency", "64,1").split(",");
    int metricsPort = TestNodes.freePort();
    try (NodeProcess node = NodeProcess.start(tmp.resolve("data"), tmp.resolve("node.log"), "--durability", durability,
        "--metrics-port", Integer.toString(metricsPort))) {
      ManagedChannel channel = TestNodes.channel(node.port());
      try {
        CounterServiceGrpc.CounterServiceStub stub = CounterServiceGrpc.newStub(channel);
        int round = 0;
        for (String level : levels) {
          int concurrency = Integer.parseInt(level.strip());
          round++;
          run(stub, concurrency, keys, warmup, "warmup" + round);
          String before = scrape(metricsPort);
          Duration nodeCpuBefore = node.cpuTime();
          long clientCpuBefore = processCpuNanos();
          Result r = run(stub, concurrency, keys, seconds, "round" + round);
          double nodeCpuMicros = (node.cpuTime().minus(nodeCpuBefore)).toNanos() / 1e3 / r.histogram.getTotalCount();
          double clientCpuMicros = (processCpuNanos() - clientCpuBefore) / 1e3 / r.histogram.getTotalCount();
          String after = scrape(metricsPort);
          String line = String.format(
              "durable increments (durability=%s, %d keys, request ids on): %3d in flight: %,9.0f/s  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms  (%d calls, %d errors, %ds)",
              durability, keys, concurrency, r.perSecond(), r.ms(50), r.ms(99), r.ms(99.9), r.histogram.getMaxValue() / 1e6,
              r.histogram.getTotalCount(), r.errors, seconds)
              + String.format("%n    node: mean group %.1f writes, mean batch write+fsync %.3f ms, CPU %.1f us per increment;"
                  + " load generator CPU %.1f us per increment; load average %.2f",
                  delta(before, after, "tally_write_group_size_sum") / delta(before, after, "tally_write_group_size_count"),
                  1000 * delta(before, after, "tally_wal_sync_seconds_sum") / delta(before, after, "tally_wal_sync_seconds_count"),
                  nodeCpuMicros, clientCpuMicros, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
          System.out.println(line);
          Files.writeString(Path.of("target", "bench-results.txt"), line + System.lineSeparator(),
              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          assertThat(r.histogram.getTotalCount()).isPositive();
          assertThat(r.errors).as("failed calls").isZero();
        }
      } finally {
        TestNodes.shutdown(channel);
      }
      node.terminate(); // graceful, so a flight recording given in tally.node.jvmArgs is written
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static String scrape(int port) throws IOException, InterruptedException {
    return java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The change of a metric between two scrapes (first sample whose name matches). */
  private static double delta(String before, String after, String name) {
    return value(after, name) - value(before, name);
  }

  private static double value(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  private record Result(Histogram histogram, long errors, double elapsedSeconds) {
    double perSecond() {
      return histogram.getTotalCount() / elapsedSeconds;
    }

    double ms(double percentile) {
      return histogram.getValueAtPercentile(percentile) / 1e6;
    }
  }

  /** Keeps {@code concurrency} calls in flight until the deadline, then waits for the last replies. */
  private static Result run(CounterServiceGrpc.CounterServiceStub stub, int concurrency, int keys, int seconds,
      String idPrefix) throws InterruptedException, IOException {
    Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(10), 3);
    AtomicLong errors = new AtomicLong();
    AtomicLong ids = new AtomicLong();
    CountDownLatch done = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int c = 0; c < concurrency; c++) {
      SplittableRandom random = new SplittableRandom(c);
      new Object() {
        void next() {
          long sentAt = System.nanoTime();
          if (sentAt >= end) {
            done.countDown();
            return;
          }
          IncrementRequest req = IncrementRequest.newBuilder().setKey("bench-" + random.nextInt(keys))
              .setRequestId(idPrefix + "-" + ids.incrementAndGet()).build();
          stub.withDeadlineAfter(30, TimeUnit.SECONDS).increment(req, new StreamObserver<>() {
            @Override
            public void onNext(CounterValue value) {
              recorder.recordValue(Math.min(System.nanoTime() - sentAt, TimeUnit.SECONDS.toNanos(10)));
            }

            @Override
            public void onError(Throwable t) {
              errors.incrementAndGet();
              next();
            }

            @Override
            public void onCompleted() {
              next();
            }
          });
        }
      }.next();
    }
    if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
      throw new AssertionError("load did not finish");
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Result(recorder.getIntervalHistogram(), errors.get(), elapsed);
  }
}
