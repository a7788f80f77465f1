package dev.tally.node.cluster;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.local.LocalCluster;
import dev.tally.node.local.LocalLayout;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.tally.gossip.engine.ReplicaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two replication figures issue 3 asks for, measured on this machine and printed (never
 * pass/fail: timings do not belong in assertions). Not part of {@code mvn verify}.
 *
 * <pre>
 *   mvn -B -pl node -am test -Dtest=ReplicationMeasurement -Dsurefire.failIfNoSpecifiedTests=false -Dtally.measure=true \
 *       [-Dtally.measure.rate=3000] [-Dtally.measure.seconds=30] [-Dtally.measure.warmup=10] \
 *       [-Dtally.measure.durability=sync|async] [-Dtally.measure.keys=100000] [-Dtally.measure.only=lag|converge]
 * </pre>
 *
 * <ol>
 *   <li><b>Replication lag under a steady write load</b>: a 3-node cluster of node processes on
 *       loopback (as {@code tally up} starts it: durability sync unless asked, gossip 50 ms, every default), an
 *       open-loop load of {@code rate} increments/s over 10,000 keys spread over the three nodes
 *       for {@code warmup} and then {@code seconds} more; p50/p99 of the
 *       {@code tally_replication_delay_seconds} histogram (per key: from its durable commit on the
 *       writing node to the peer's durable ack) over the measured seconds only (the difference of
 *       two scrapes of every node's /metrics), per link and over all links.
 *   <li><b>Convergence after a partition across which {@code keys} keys diverged</b>: three
 *       in-process nodes (production settings, the transport fault hook), n3 cut off, that many
 *       distinct keys written on n1 (IncrementMany of 1000), the link healed, and the time until
 *       every key reads 1 on n3. Run twice: with the default delta buffer (100,000 keys per peer)
 *       and with a buffer of 10,000 so that n3 falls out of the delta stream and only anti-entropy
 *       brings it level.
 * </ol>
 *
 * Results are printed and appended to {@code node/target/measure-results.txt}, with the load
 * average (the box is shared).
 */
@EnabledIfSystemProperty(named = "tally.measure", matches = "true")
class ReplicationMeasurement {
  private static final Pattern BUCKET = Pattern.compile(
      "tally_replication_delay_seconds_bucket\\{[^}]*node=\"(n\\d)\"[^}]*peer=\"(n\\d)\"[^}]*le=\"([^\"]+)\"[^}]*} ([0-9.eE+-]+)");

  @TempDir
  Path tmp;

  private final String only = System.getProperty("tally.measure.only", "");

  @Test
  void replicationLag_underASteadyWriteLoad_onThreeNodeProcesses() throws Exception {
    if (!only.isEmpty() && !only.equals("lag")) {
      return;
    }
    int rate = Integer.getInteger("tally.measure.rate", 3000);
    int seconds = Integer.getInteger("tally.measure.seconds", 30);
    int warmup = Integer.getInteger("tally.measure.warmup", 10);
    String durability = System.getProperty("tally.measure.durability", "sync");
    int base = 20_000 + 10 * new SplittableRandom().nextInt(3_000);
    LocalCluster cluster = new LocalCluster(new LocalLayout(3, 1, tmp.resolve("cluster"), base), System.err::println,
        List.of("--durability", durability));
    cluster.prepare(false);
    cluster.checkPortsFree();
    cluster.launch();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      cluster.awaitReady(Duration.ofMinutes(3));
      for (LocalLayout.Node n : cluster.layout().all()) {
        channels.add(TestNodes.channel(n.clientPort()));
      }
      openLoop(channels, rate, warmup);
      Map<String, TreeMap<Double, Double>> before = buckets(cluster);
      long[] result = openLoop(channels, rate, seconds);
      Map<String, TreeMap<Double, Double>> after = buckets(cluster);

      StringBuilder report = new StringBuilder(String.format(
          "replication delay, 3 node processes on loopback, durability %s, %d increments/s open loop over 10,000 keys,"
              + " %d s measured after %d s of warm-up (%d acked, %d failed, load average %.2f):",
          durability, rate, seconds, warmup, result[0], result[1], ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
      TreeMap<Double, Double> all = new TreeMap<>();
      for (Map.Entry<String, TreeMap<Double, Double>> link : after.entrySet()) {
        TreeMap<Double, Double> window = new TreeMap<>();
        TreeMap<Double, Double> earlier = before.getOrDefault(link.getKey(), new TreeMap<>());
        link.getValue().forEach((le, count) -> window.put(le, count - earlier.getOrDefault(le, 0.0)));
        window.forEach((le, count) -> all.merge(le, count, Double::sum));
        report.append(String.format("%n    %s: %s", link.getKey(), quantiles(window)));
      }
      report.append(String.format("%n    all links: %s", quantiles(all)));
      record(report.toString());
    } finally {
      for (ManagedChannel ch : channels) {
        TestNodes.shutdown(ch);
      }
      cluster.stop(Duration.ofSeconds(30));
    }
  }

  /** Cumulative delay bucket counts of every link ("n1 -> n2"), by upper bound in seconds. */
  private static Map<String, TreeMap<Double, Double>> buckets(LocalCluster cluster) throws IOException, InterruptedException {
    Map<String, TreeMap<Double, Double>> out = new TreeMap<>();
    for (LocalLayout.Node n : cluster.layout().all()) {
      Matcher m = BUCKET.matcher(scrape(n.metricsPort()));
      while (m.find()) {
        double le = m.group(3).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(3));
        out.computeIfAbsent(m.group(1) + " -> " + m.group(2), k -> new TreeMap<>()).put(le, Double.parseDouble(m.group(4)));
      }
    }
    return out;
  }

  /** p50/p90/p99/p99.9 of a cumulative histogram, interpolating inside a bucket as Prometheus does. */
  private static String quantiles(TreeMap<Double, Double> cumulative) {
    double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    if (total <= 0) {
      return "no samples";
    }
    StringBuilder sb = new StringBuilder();
    for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
      double target = q * total;
      double lower = 0;
      double below = 0;
      double value = Double.NaN;
      for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
        if (b.getValue() >= target) {
          double upper = b.getKey().isInfinite() ? lower : b.getKey();
          double inBucket = b.getValue() - below;
          value = inBucket <= 0 ? upper : lower + (upper - lower) * (target - below) / inBucket;
          break;
        }
        lower = b.getKey();
        below = b.getValue();
      }
      sb.append(String.format("p%s %.1f ms  ", q * 100 % 1 == 0 ? String.valueOf((int) (q * 100)) : String.valueOf(q * 100),
          value * 1000));
    }
    return sb.append(String.format("(%,d keys)", (long) total)).toString();
  }

  @Test
  void convergence_afterHealingAPartitionAcrossWhichManyKeysDiverged() throws Exception {
    if (!only.isEmpty() && !only.equals("converge")) {
      return;
    }
    int keys = Integer.getInteger("tally.measure.keys", 100_000);
    converge(keys, "default delta buffer (100,000 keys per peer)", UnaryOperator.identity(), tmp.resolve("a"));
    converge(keys, "delta buffer of 10,000 keys: anti-entropy only", r -> r.withLimits(1000, 10_000), tmp.resolve("b"));
  }

  private void converge(int keys, String variant, UnaryOperator<ReplicaConfig> tuning, Path root) throws Exception {
    InProcessCluster.Spec spec = new InProcessCluster.Spec().nodes(3, "dc1")
        .set("durability", "sync").set("gossip-interval", "50ms").set("anti-entropy-interval", "1s")
        .set("heartbeat-interval", "500ms").set("failure-timeout", "10s").set("quorum-timeout", "2s")
        .set("peer-timeout", "2s").tuning(tuning);
    try (InProcessCluster c = InProcessCluster.start(root, spec)) {
      c.awaitMembership();
      c.faults().isolate("n3", c.names());
      List<String> all = new ArrayList<>(keys);
      long writeStart = System.nanoTime();
      for (int i = 0; i < keys; i += 1000) {
        IncrementManyRequest.Builder batch = IncrementManyRequest.newBuilder();
        for (int k = i; k < Math.min(keys, i + 1000); k++) {
          String key = "diverged:" + k;
          all.add(key);
          batch.addItems(IncrementManyRequest.Item.newBuilder().setKey(key));
        }
        c.stub("n1").incrementMany(batch.build());
      }
      double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
      long n2Start = System.nanoTime();
      awaitAllOne(c.stub("n2"), all);
      double n2Seconds = (System.nanoTime() - n2Start) / 1e9;
      boolean needsRepair = c.status("n1").getMembersList().stream()
          .anyMatch(m -> m.getName().equals("n3") && m.getNeedsRepair());

      c.faults().heal();
      long healed = System.nanoTime();
      awaitAllOne(c.stub("n3"), all);
      double convergeSeconds = (System.nanoTime() - healed) / 1e9;

      record(String.format("convergence after a partition, 3 in-process nodes, %s: %,d keys written on n1 while n3 was cut off"
              + " (%.1f s to write, n2 level %.1f s later; n3 %s), every key on n3 equal %.2f s after the heal"
              + " (load average %.2f)",
          variant, keys, writeSeconds, n2Seconds,
          needsRepair ? "had fallen out of n1's delta stream (anti-entropy repairs it)" : "still in n1's delta buffer",
          convergeSeconds, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    }
  }

  /** Waits until every key reads 1 on the node; each key is read until it is seen, then never again. */
  private static void awaitAllOne(CounterServiceGrpc.CounterServiceBlockingStub stub, List<String> keys) {
    LinkedHashSet<String> left = new LinkedHashSet<>(keys);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!left.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(left.size() + " keys still differ after 10 minutes");
      }
      List<String> batch = left.stream().limit(1000).toList();
      List<CounterValue> values = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .getMany(GetManyRequest.newBuilder().addAllKeys(batch).build()).getValuesList();
      int before = left.size();
      for (CounterValue v : values) {
        if (v.getValue() == 1) {
          left.remove(v.getKey());
        }
      }
      if (left.size() == before) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // nothing new arrived: poll again shortly
      }
    }
  }

  /** Sends {@code rate} increments per second, spread over the channels, for {@code seconds}; returns acked, failed. */
  private static long[] openLoop(List<ManagedChannel> channels, int rate, int seconds) throws InterruptedException {
    List<CounterServiceGrpc.CounterServiceStub> stubs = channels.stream().map(CounterServiceGrpc::newStub).toList();
    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    SplittableRandom random = new SplittableRandom(42);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    ticker.scheduleAtFixedRate(() -> {
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      while (sent.get() < due) {
        long n = sent.incrementAndGet();
        stubs.get((int) (n % stubs.size())).withDeadlineAfter(30, TimeUnit.SECONDS).increment(
            IncrementRequest.newBuilder().setKey("steady:" + random.nextInt(10_000)).build(), new StreamObserver<>() {
              @Override
              public void onNext(CounterValue value) {
                acked.incrementAndGet();
              }

              @Override
              public void onError(Throwable t) {
                failed.incrementAndGet();
              }

              @Override
              public void onCompleted() {}
            });
      }
    }, 0, 1, TimeUnit.MILLISECONDS);
    ticker.awaitTermination(seconds, TimeUnit.SECONDS);
    ticker.shutdownNow();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (acked.get() + failed.get() < sent.get() && System.nanoTime() < end) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    // Let the last pushes be acknowledged before the metrics are read.
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
    return new long[] {acked.get(), failed.get()};
  }

  private static String scrape(int port) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static void record(String line) throws IOException {
    System.out.println(line);
    Files.writeString(Path.of("target", "measure-results.txt"), line + System.lineSeparator(),
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
