package dev.tally.node.bench;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.engine.PreparedWrites;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.node.cluster.NoPeerTransport;
import dev.tally.node.cluster.SingleNodeMembership;
import dev.tally.node.config.Durability;
import dev.tally.node.storage.RocksStateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The write path's batching without the network: groups of increments over 10,000 keys, prepared by
 * the {@link Replica} and stored by {@link RocksStateStore} in a temp dir, the way the group commit
 * does it, reported as increments per second.
 *
 * <ul>
 *   <li>{@code serial}: prepare, then {@link Replica#commit} (write, fsync, publish), one group after
 *       the other: the disk idles while the CPU prepares and the CPU idles during the fsync.
 *   <li>{@code pipelined}: prepare, {@link RocksStateStore#writeAsync}, {@link Replica#stage}; the
 *       previous group is published when its write is durable, so the next group is prepared
 *       while the writer thread syncs (what the node does).
 * </ul>
 *
 * <pre>
 *   mvn -B -pl node -am test -Dtest=NodeJmhBenchmarks -Dsurefire.failIfNoSpecifiedTests=false -Djmh=WritePath
 * </pre>
 *
 * Two cores, shared: the figures are noisy; compare the modes within one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WritePathBenchmark {
  private static final int KEYS = 10_000;

  @Param({"sync", "async"})
  String durability;

  @Param({"1", "64", "1024"})
  int groupSize;

  @Param({"serial", "pipelined"})
  String mode;

  private Path dir;
  private RocksStateStore store;
  private Replica replica;
  private List<List<LocalWrite>> groups;
  private int next;
  private CompletableFuture<Long> previousWrite;


  /** The benchmark thread is the replica thread: tasks handed over run when it drains them. */
  private static final class CallerThread implements Scheduler {
    final java.util.concurrent.ConcurrentLinkedQueue<Runnable> tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    void drain() {
      for (Runnable t; (t = tasks.poll()) != null; ) {
        t.run();
      }
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      return () -> {};
    }

    @Override
    public boolean inThread() {
      return true;
    }
  }

  private final CallerThread thread = new CallerThread();

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("tally-jmh-writepath");
    store = RocksStateStore.open(dir, "jmh", Durability.valueOf(durability.toUpperCase(java.util.Locale.ROOT)), Clock.SYSTEM);
    replica = new Replica(ReplicaConfig.defaults("jmh", "dc1", store.replicaId()), Clock.SYSTEM, thread,
        store, new NoPeerTransport(), new SingleNodeMembership("jmh", "dc1"), new SplittableRandom(1),
        ReplicaListener.NONE);
    SplittableRandom random = new SplittableRandom(42);
    groups = new ArrayList<>();
    for (int g = 0; g < 256; g++) {
      List<LocalWrite> writes = new ArrayList<>(groupSize);
      for (int i = 0; i < groupSize; i++) {
        writes.add(LocalWrite.of(CounterChange.increment("bench:" + random.nextInt(KEYS), 1)));
      }
      groups.add(writes);
    }
  }

  /** Counts increments, so JMH reports increments per second next to groups per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Increments {
    public long increments;

    @Setup(Level.Iteration)
    public void reset() {
      increments = 0;
    }
  }

  @Benchmark
  public void group(Increments counted, org.openjdk.jmh.infra.Blackhole bh) {
    counted.increments += groupSize;
    List<LocalWrite> writes = groups.get(next++ & 255);
    PreparedWrites prepared = replica.prepare(writes);
    if (mode.equals("serial")) {
      replica.commit(prepared, StoreAttachment.NONE);
      bh.consume(prepared);
      return;
    }
    CompletableFuture<Long> written = store.writeAsync(prepared.after(), StoreAttachment.NONE);
    replica.stage(prepared, written);
    finishPrevious();
    previousWrite = written;

  }

  private void finishPrevious() {
    if (previousWrite != null) {
      previousWrite.join();
      // Its settling task was handed to this thread once the write finished: run it.
      thread.drain();
      previousWrite = null;
    }
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    finishPrevious();
    store.close();
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
