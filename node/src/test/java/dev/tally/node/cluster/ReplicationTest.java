package dev.tally.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.WatchClient;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Three real nodes in one DC: every write, wherever it lands, ends up counted exactly once everywhere. */
class ReplicationTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  @Test
  void writesSpreadOverAllNodes_convergeToTheExactTotalEverywhere() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    Map<String, Long> expected = new HashMap<>();
    List<String> names = c.names();
    for (int i = 0; i < 300; i++) {
      String key = "k" + (i % 7);
      long amount = 1 + i % 5;
      c.stub(names.get(i % names.size())).increment(IncrementRequest.newBuilder().setKey(key).setAmount(amount).build());
      expected.merge(key, amount, Long::sum);
    }

    c.awaitValues(expected);

    assertThat(expected.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(900);
  }

  @Test
  void nodeRestartedMidLoad_catchesUpExactly() throws Exception {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    try (Load load = new Load(c, 20)) {
      load.start(3);
      load.awaitAcked(300);
      load.target(Set.of("n1", "n3"));
      load.awaitIdle("n2");
      c.stop("n2");
      long whileDown = load.acked();
      load.awaitAcked(whileDown + 300);
      c.start("n2");
      load.target(Set.of("n1", "n2", "n3"));
      load.awaitAcked(load.acked() + 300);
      load.stopAndWait();

      assertThat(load.failures()).isEmpty();
      c.awaitValues(load.expected());
    }
  }

  @Test
  void wipedDataDir_comesBackUnderANewReplicaId_andNothingIsLostOrCountedTwice() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    Map<String, Long> expected = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      String key = "w" + (i % 6);
      c.stub(c.names().get(i % 3)).increment(IncrementRequest.newBuilder().setKey(key).setAmount(2).build());
      expected.merge(key, 2L, Long::sum);
    }
    // Wipe only after n3's own increments reached the others: a wipe destroys whatever existed
    // nowhere else, and that loss is the disk's, not replication's. What this test checks is that
    // the replicated part survives under n3's old replica id without being counted twice.
    c.awaitValues(expected);
    long oldId = c.node("n3").replicaId();
    c.stop("n3");
    c.wipe("n3");

    c.start("n3");
    c.awaitMembership();

    assertThat(c.node("n3").replicaId()).isNotEqualTo(oldId);
    c.awaitValues(expected);
    for (int i = 0; i < 30; i++) {
      c.stub("n3").increment(IncrementRequest.newBuilder().setKey("w0").setAmount(1).build());
    }
    expected.merge("w0", 30L, Long::sum);
    c.awaitValues(expected);
    ClusterStatusResponse seenByN1 = c.status("n1");
    assertThat(seenByN1.getMembersList()).filteredOn(m -> m.getName().equals("n3")).singleElement()
        .satisfies(m -> assertThat(m.getReplicaId()).isEqualTo(ReplicaIds.format(c.node("n3").replicaId())));
  }

  @Test
  void transportPartition_isHealedByAntiEntropy() {
    // A delta buffer of 20 keys: a peer cut off for 200 keys is dropped from the delta stream and
    // only anti-entropy can bring it level.
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1")
        .tuning(r -> r.withLimits(10, 20)));
    c.awaitMembership();
    c.faults().isolate("n3", c.names());
    Map<String, Long> expected = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      String key = "p" + i;
      c.stub(i % 2 == 0 ? "n1" : "n2").increment(IncrementRequest.newBuilder().setKey(key).build());
      expected.put(key, 1L);
    }
    c.awaitValuesOn(List.of("n1", "n2"), expected);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(c.status("n1").getMembersList())
        .filteredOn(m -> m.getName().equals("n3")).singleElement()
        .satisfies(m -> assertThat(m.getNeedsRepair()).as("n3 fell out of n1's delta stream").isTrue()));
    assertThat(c.value("n3", "p0")).isZero();

    c.faults().heal();

    c.awaitValues(expected);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(c.status("n1").getMembersList())
        .filteredOn(m -> m.getName().equals("n3")).singleElement()
        .satisfies(m -> assertThat(m.getNeedsRepair()).isFalse()));
  }

  @Test
  void watchOnOneNode_seesIncrementsWrittenOnAnother() throws Exception {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    WatchClient watch = WatchClient.open(c.channel("n1"), List.of("likes"));
    assertThat(watch.next().getValue()).as("initial value").isZero();

    c.stub("n3").increment(IncrementRequest.newBuilder().setKey("likes").setAmount(5).build());
    c.stub("n2").increment(IncrementRequest.newBuilder().setKey("likes").setAmount(2).build());

    long last = 0;
    while (last != 7) {
      CounterValue v = watch.next();
      assertThat(v.getKey()).isEqualTo("likes");
      assertThat(v.getValue()).isIn(5L, 2L, 7L);
      last = v.getValue();
    }
    watch.cancel();
  }

  /**
   * Closed-loop increments with request ids from a few threads, each to a node of the current
   * target set, counting what was acknowledged per key. Nodes are stopped only when no call is on
   * its way to them, so every call has a known outcome; any failure is kept for the test to report.
   */
  private static final class Load implements AutoCloseable {
    private final InProcessCluster cluster;
    private final int keys;
    private final Map<String, LongAdder> acked = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private volatile List<String> targets;

    Load(InProcessCluster cluster, int keys) {
      this.cluster = cluster;
      this.keys = keys;
      this.targets = cluster.names();
    }

    void start(int threadCount) {
      for (int t = 0; t < threadCount; t++) {
        int id = t;
        Thread thread = new Thread(() -> run(id), "load-" + t);
        thread.start();
        threads.add(thread);
      }
    }

    /** Later calls go only to these nodes ({@link #awaitIdle} waits out a call already on its way to another). */
    void target(Set<String> nodes) {
      targets = cluster.names().stream().filter(nodes::contains).toList();
    }

    /**
     * Waits until no call to {@code node} is in flight. A thread counts its call in before it checks
     * that the node is still a target, so after {@link #target} and this, none can start.
     */
    void awaitIdle(String node) {
      await().atMost(Duration.ofSeconds(30)).until(() -> inFlight(node).get() == 0);
    }

    private java.util.concurrent.atomic.AtomicInteger inFlight(String node) {
      return inFlight.computeIfAbsent(node, k -> new java.util.concurrent.atomic.AtomicInteger());
    }

    private void run(int id) {
      long n = 0;
      while (running.get()) {
        List<String> now = targets;
        String node = now.get((int) (n % now.size()));
        String key = "load-" + ((n * 7 + id) % keys);
        n++;
        inFlight(node).incrementAndGet();
        try {
          if (!targets.contains(node)) {
            continue; // switched away meanwhile
          }
          cluster.stub(node).increment(IncrementRequest.newBuilder().setKey(key).setRequestId("t" + id + "-" + n).build());
          acked.computeIfAbsent(key, k -> new LongAdder()).increment();
          total.incrementAndGet();
        } catch (StatusRuntimeException e) {
          failures.add(node + " " + key + ": " + e.getStatus());
        } finally {
          inFlight(node).decrementAndGet();
        }
      }
    }

    long acked() {
      return total.get();
    }

    void awaitAcked(long n) {
      await().atMost(Duration.ofSeconds(60)).until(() -> total.get() >= n || !failures.isEmpty());
    }

    List<String> failures() {
      return failures;
    }

    Map<String, Long> expected() {
      Map<String, Long> out = new HashMap<>();
      acked.forEach((k, v) -> out.put(k, v.sum()));
      return out;
    }

    void stopAndWait() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stopAndWait();
    }
  }
}
